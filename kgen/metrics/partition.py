"""The exact log partition function of an RBM, by enumerating its smaller layer."""

import math

import numpy as np

from kgen import checks

# Enumerated states of a layer: 2**20 (about a million) at most.
MAX_ENUMERATED_UNITS = 20
_CHUNK = 4096


def rbm_parameters(model):
    """``(kernel [D, H], visible_bias [D], hidden_bias [H])`` of a Bernoulli-Bernoulli
    RBM as float64 NumPy arrays (read from its public weights).

    Raises:
        ValueError: naming ``model`` if it has no such weights or its visible
            units are not binary (a ``GaussianRBM``: use its own
            ``exact_log_partition``).
    """
    units = getattr(model, "visible_units", "bernoulli")
    if units != "bernoulli":
        raise ValueError(f"`model` must be a Bernoulli-Bernoulli RBM; {type(model).__name__} "
                         f"has {units} visible units (a GaussianRBM computes its own exact log "
                         f"Z: model.exact_log_partition()). Received: visible_units={units!r}")
    try:
        w, b, c = (np.asarray(getattr(model, name), np.float64)
                   for name in ("kernel", "visible_bias", "hidden_bias"))
    except AttributeError:
        raise ValueError(f"`model` must be a Bernoulli-Bernoulli RBM with weights kernel, "
                         f"visible_bias and hidden_bias. Received: {type(model).__name__}"
                         ) from None
    if w.ndim != 2 or b.shape != (w.shape[0],) or c.shape != (w.shape[1],):
        raise ValueError(f"`model` must have kernel [D, H], visible_bias [D], hidden_bias "
                         f"[H]. Received: {w.shape}, {b.shape}, {c.shape}")
    return w, b, c


def exact_log_partition(model, layer=None):
    """log Z of a Bernoulli-Bernoulli RBM, exactly, by enumerating one layer.

    With the other layer summed out in closed form,

        log Z = logsumexp_h [h.c + sum_i softplus((W h + b)_i)]     (hidden layer)
              = logsumexp_v [v.b + sum_j softplus((v W + c)_j)]     (visible layer),

    computed in float64 over all 2**m states of the enumerated layer, in chunks.

    Args:
        model: an RBM (``kgen.models.energy.RBM``, or any model with ``kernel``
            [D, H], ``visible_bias`` [D], ``hidden_bias`` [H]).
        layer: ``"hidden"``, ``"visible"`` or None (default: the smaller one).

    Returns:
        dict with ``log_z`` (float, nats), ``method`` (``"exact"``), ``layer``
        (the enumerated layer) and ``num_states``; ``model.set_log_partition``
        takes it.

    Raises:
        ValueError: naming ``model`` if it is not an RBM or the enumerated layer
            has more than 20 units, or ``layer`` if it is not one of the two.

    Example:

    >>> model.set_log_partition(kgen.metrics.exact_log_partition(model))  # H <= 20
    >>> kgen.metrics.nll(model, test)["nll"]   # exact test NLL, nats
    """
    w, b, c = rbm_parameters(model)
    if layer is None:
        layer = "hidden" if w.shape[1] <= w.shape[0] else "visible"
    checks.one_of("layer", layer, ("hidden", "visible"))
    if layer == "visible":  # the same sum with the roles of the layers swapped
        w, b, c = w.T, c, b
    units = w.shape[1]
    if units > MAX_ENUMERATED_UNITS:
        raise ValueError(f"`model` must have at most {MAX_ENUMERATED_UNITS} {layer} units to "
                         f"enumerate (2**{units} states); use "
                         f"kgen.metrics.ais_log_partition. Received: {units} {layer} units")
    chunks = []
    bits = 1 << np.arange(units)
    for start in range(0, 2 ** units, _CHUNK):
        h = ((np.arange(start, min(start + _CHUNK, 2 ** units))[:, None] & bits) > 0)
        h = h.astype(np.float64)
        chunks.append(_logsumexp(h @ c + np.logaddexp(0.0, h @ w.T + b).sum(axis=1)))
    return {"log_z": float(_logsumexp(np.array(chunks))), "method": "exact", "layer": layer,
            "num_states": 2 ** units}


def _logsumexp(values):
    top = np.max(values)
    return top + math.log(np.sum(np.exp(values - top)))


__all__ = ["exact_log_partition", "rbm_parameters", "MAX_ENUMERATED_UNITS"]
