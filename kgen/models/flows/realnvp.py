"""RealNVP (Dinh et al. 2016): affine coupling layers, checkerboard and channel masks, squeeze,
and the multi-scale architecture with factored-out latents."""

from kgen import checks
from kgen.layers.actnorm import ActNorm
from kgen.layers.coupling import MASK_TYPES, AffineCoupling
from kgen.layers.squeeze import Squeeze
from kgen.models.flows.base import FlowModel
from kgen.models.flows.glow import FactorOut
from kgen.models.registry import register


@register("realnvp")
class RealNVP(FlowModel):
    """Real-valued non-volume preserving flow (Dinh et al. 2016, arXiv:1605.08803).

    A stack of ``AffineCoupling`` layers (soft-clamped log-scales, so samples
    stay finite), each optionally preceded by an ``ActNorm`` with
    data-dependent initialization (in place of the paper's batch norm, as
    Glow does), on a standard normal base; see ``FlowModel`` for the density,
    the preprocessing and the API.

    - Vectors ``[D]``: ``num_flows`` couplings of ``mask_type``, alternating
      parity, MLP networks (``hidden_units``).
    - Images ``[H, W, C]``: ``num_scales`` scales (sec. 3.6). Each but the
      last has ``num_couplings`` checkerboard couplings, a ``Squeeze`` and
      ``num_couplings`` channel couplings; the last has ``num_couplings + 1``
      checkerboard couplings (the paper: 3 and 4). Networks are residual CNNs
      (``filters``, ``num_blocks``). H and W must be divisible by
      ``2 ** (num_scales - 1)``. With ``factor_out`` (sec. 3.6, fig. 4b),
      after each scale but the last half the channels go to the latent under
      a standard normal prior (``FactorOut`` without a learned prior) and the
      other half to the next scale; without it every step sees all
      dimensions. ``latent_shape`` is then ``[H/2, W/2, 4C]`` (``num_scales >= 2``:
      the factored halves and the deeper latent in place).

    Args:
        event_shape: ``[D]`` or ``[H, W, C]``; default ``(2,)``.
        num_flows: int >= 1, couplings for vectors.
        mask_type: ``"checkerboard"`` or ``"channel"``, for vectors.
        num_scales: int >= 1, for images.
        num_couplings: int >= 1 per mask and scale, for images.
        hidden_units: MLP widths (vectors).
        filters, num_blocks: the CNNs (images).
        log_scale_bound: float > 0, the bound of each log-scale.
        actnorm: bool, an ActNorm before each coupling.
        factor_out: bool, factor out half the channels after each scale but
            the last (images).
        num_levels, logit_alpha, data_init, seed, **kwargs: as ``FlowModel``
            (for 8-bit images: ``num_levels=256, logit_alpha=0.05``).

    Call arguments:
        x: ``[batch, *event_shape]``.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` nats.

    Raises:
        ValueError / TypeError: naming the argument (``num_flows=0``, odd
            sizes to squeeze as ``event_shape``, ...).

    Example:

    >>> model = kgen.models.flows.RealNVP(event_shape=(2,), num_flows=8, seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(kgen.data.sample_toy("two_moons", 10_000, seed=0), batch_size=256)
    >>> model.log_prob(x), model.sample(16, seed=0, temperature=0.8)
    """

    def __init__(self, event_shape=(2,), num_flows=8, mask_type="checkerboard", num_scales=2,
                 num_couplings=3, hidden_units=(64, 64), filters=64, num_blocks=2,
                 log_scale_bound=3.0, actnorm=True, num_levels=None, logit_alpha=None,
                 data_init=True, factor_out=False, seed=None, **kwargs):
        super().__init__(event_shape, num_levels=num_levels, logit_alpha=logit_alpha,
                         data_init=data_init, seed=seed, **kwargs)
        self.num_flows = checks.positive_int("num_flows", num_flows)
        self.mask_type = checks.one_of("mask_type", mask_type, set(MASK_TYPES))
        self.num_scales = checks.positive_int("num_scales", num_scales)
        self.num_couplings = checks.positive_int("num_couplings", num_couplings)
        self.hidden_units = tuple(hidden_units) if not isinstance(hidden_units, int) else (
            hidden_units,)
        self.filters, self.num_blocks = filters, num_blocks
        self.log_scale_bound = log_scale_bound
        if not isinstance(actnorm, bool):
            raise TypeError(f"`actnorm` must be True or False. Received: actnorm={actnorm!r}")
        self.actnorm = actnorm
        if not isinstance(factor_out, bool):
            raise TypeError(f"`factor_out` must be True or False. "
                            f"Received: factor_out={factor_out!r}")
        self.factor_out = factor_out
        if len(self.event_shape) == 1:
            layers = self._layers_for([(self.mask_type, i % 2) for i in range(self.num_flows)])
        elif len(self.event_shape) == 3:
            layers = self._scale(0)
        else:
            raise ValueError(f"`event_shape` must be [D] or [H, W, C]. "
                             f"Received: event_shape={self.event_shape}")
        self.set_flow_layers(layers)

    def _scale(self, scale):
        """Scale ``scale`` and the deeper ones (data side first); step ``i`` of the
        whole plan is named and seeded ``i`` with or without ``factor_out``."""
        start = scale * (2 * self.num_couplings + 1)
        if scale == self.num_scales - 1:
            return self._layers_for(
                [("checkerboard", i % 2) for i in range(self.num_couplings + 1)], start)
        plan = ([("checkerboard", i % 2) for i in range(self.num_couplings)] + ["squeeze"]
                + [("channel", i % 2) for i in range(self.num_couplings)])
        layers, deeper = self._layers_for(plan, start), self._scale(scale + 1)
        if not self.factor_out:
            return layers + deeper
        return layers + [FactorOut(deeper, learned_prior=False,
                                   seed=self.layer_seed(10_000 + scale),
                                   name=f"factor_out_{scale}")]

    def _layers_for(self, plan, start=0):
        layers = []
        for i, step in enumerate(plan, start):
            if step == "squeeze":
                layers.append(Squeeze(name=f"squeeze_{i}"))
                continue
            if self.actnorm:
                layers.append(ActNorm(name=f"actnorm_{i}"))
            layers.append(AffineCoupling(
                step[0], step[1], hidden_units=self.hidden_units, filters=self.filters,
                num_blocks=self.num_blocks, log_scale_bound=self.log_scale_bound,
                seed=self.layer_seed(i), name=f"coupling_{i}"))
        return layers

    def get_config(self):
        return {**super().get_config(), "num_flows": self.num_flows,
                "mask_type": self.mask_type, "num_scales": self.num_scales,
                "num_couplings": self.num_couplings, "hidden_units": list(self.hidden_units),
                "filters": self.filters, "num_blocks": self.num_blocks,
                "log_scale_bound": self.log_scale_bound, "actnorm": self.actnorm,
                "factor_out": self.factor_out}


__all__ = ["RealNVP"]
