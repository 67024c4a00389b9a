"""IAF as a density model: the inverse of MAF (fast sampling, D passes per density step)."""

from kgen.models.flows.maf import MAF
from kgen.models.registry import register


@register("iaf")
class IAF(MAF):
    """Inverse autoregressive flow as a density model (Kingma et al. 2016,
    arXiv:1606.04934; Papamakarios et al. 2017, sec. 3.3).

    ``MAF`` with every step inverted (``tfb.Invert`` of the MAF step,
    ``kgen.bijectors.inverse_autoregressive_flow``): ``sample`` and ``decode``
    take one MADE pass per step; ``log_prob``, ``encode`` and training take D
    passes per step (fine for low-dimensional data; prefer MAF for density
    estimation). Arguments and API as ``MAF``.
    """

    inverted = True


__all__ = ["IAF"]
