"""Rational-quadratic spline steps with linear tails (Durkan et al. 2019, neural spline
flows): a coupling layer and a MADE-driven autoregressive layer, on TFP's
``tfb.RationalQuadraticSpline``."""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.bijectors.flow_bijector import NoCache, forward_and_log_det, inverse_and_log_det
from kgen.bijectors.masked_autoregressive import _keep_last
from kgen.layers.coupling import _Coupling, weight_seed
from kgen.layers.flow_layer import FlowLayer
from kgen.layers.made import _ORDERS, MADE
from kgen.serialization import register_serializable

tfb = tfp.bijectors
# Smallest bin width / height (absolute, in the units of x: every bin is at least this
# wide and high, whatever B) and knot slope (nflows' defaults).
MIN_BIN_SIZE = 1e-3
MIN_SLOPE = 1e-3
# softplus(0 + offset) + MIN_SLOPE = 1: a zero network output gives slope 1 at every knot.
_SLOPE_OFFSET = math.log(math.expm1(1.0 - MIN_SLOPE))


class _UncachedSpline(tfb.RationalQuadraticSpline):
    """``tfb.RationalQuadraticSpline`` without TFP's bijector cache (every call computes;
    see ``kgen.bijectors.flow_bijector``)."""

    _cache = NoCache()


def spline_params(num_bins):
    """Network outputs per dimension of a spline with ``num_bins`` bins: ``K`` widths,
    ``K`` heights and ``K - 1`` interior knot slopes, ``3K - 1``."""
    return 3 * num_bins - 1


def rational_quadratic_spline(params, num_bins, bound):
    """The elementwise spline of unconstrained ``params`` ``[..., 3K - 1]``.

    Widths and heights are ``MIN_BIN_SIZE + (2B - K MIN_BIN_SIZE) softmax(.)``
    (they fill ``[-B, B]``), interior slopes ``softplus(. + c) + MIN_SLOPE``
    with ``c`` such that zero gives slope 1; the boundary slopes are 1 and the
    map is the identity outside ``[-B, B]`` (linear tails; Durkan et al.
    2019, arXiv:1906.04032, sec. 3.1 and appendix A). All zeros give the
    identity.

    Returns:
        An uncached ``tfb.RationalQuadraticSpline`` (event_ndims 0) of batch
        shape ``params.shape[:-1]``.
    """
    k = num_bins
    scale = 2.0 * bound - k * MIN_BIN_SIZE
    widths = MIN_BIN_SIZE + scale * tf.nn.softmax(params[..., :k], axis=-1)
    heights = MIN_BIN_SIZE + scale * tf.nn.softmax(params[..., k:2 * k], axis=-1)
    slopes = tf.nn.softplus(params[..., 2 * k:] + _SLOPE_OFFSET) + MIN_SLOPE
    return _UncachedSpline(widths, heights, slopes, range_min=-bound)


def _check_spline(num_bins, bound):
    num_bins = checks.positive_int("num_bins", num_bins, minimum=2)
    if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
            or not 0 < bound < float("inf"):
        raise ValueError(f"`bound` must be a finite number > 0. Received: bound={bound!r}")
    return num_bins, float(bound)


@register_serializable
class SplineCoupling(_Coupling):
    """Rational-quadratic spline coupling layer (Durkan et al. 2019, RQ-NSF (C),
    arXiv:1906.04032, sec. 3.2 and 4).

    With the binary mask ``b`` (1: conditioning part; ``coupling_mask``), the
    network ``NN(b * z)`` gives ``3K - 1`` spline parameters per transformed
    dimension (``rational_quadratic_spline``), and

        forward (latent -> data):  x = b * z + (1 - b) * g(z)
        inverse (data -> latent):  z = b * x + (1 - b) * g^-1(x)
        log|det dx/dz| = sum((1 - b) * log g'(z))

    with ``g`` monotone on ``[-bound, bound]`` and the identity outside; both
    directions in closed form (the inverse solves a quadratic). A fresh layer
    is close to the identity. The network is ``AffineCoupling``'s: an MLP for
    vectors, a residual CNN for images.

    Args:
        mask_type: ``"checkerboard"`` or ``"channel"``.
        parity: 0 or 1, which half conditions.
        num_bins: int >= 2, the spline's bins K.
        bound: float > 0, the spline's interval ``[-B, B]``.
        hidden_units, filters, num_blocks, activation, seed: the network, as
            ``AffineCoupling``.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments, Returns: as ``FlowLayer`` (no context).

    Input shape:
        ``[batch, D]`` or ``[batch, H, W, C]``.

    Raises:
        ValueError / TypeError: naming ``num_bins``, ``bound``, ``mask_type``, ...

    Example:

    >>> layer = SplineCoupling("checkerboard", parity=0, num_bins=8, bound=3.0)
    >>> x, log_det = layer(z)
    """

    def __init__(self, mask_type="checkerboard", parity=0, num_bins=8, bound=3.0,
                 hidden_units=(64, 64), filters=64, num_blocks=2, activation="relu",
                 seed=None, **kwargs):
        super().__init__(mask_type, parity, hidden_units, filters, num_blocks, activation,
                         seed, **kwargs)
        self.num_bins, self.bound = _check_spline(num_bins, bound)
        self.params = spline_params(self.num_bins)

    def _apply(self, value, inverse):
        spline = rational_quadratic_spline(self.conditioner(value), self.num_bins, self.bound)
        if inverse:
            out, log_det = spline.inverse(value), spline.inverse_log_det_jacobian(value, 0)
        else:
            out, log_det = spline.forward(value), spline.forward_log_det_jacobian(value, 0)
        free = 1.0 - self.mask
        return self.mask * value + free * out, self._event_sum(free * log_det)

    def _forward(self, z, context):
        return self._apply(z, inverse=False)

    def _inverse(self, x, context):
        return self._apply(x, inverse=True)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "bound": self.bound}


def spline_autoregressive_flow(made, num_bins, bound, context=None, name=None):
    """A rational-quadratic MAF step: ``tfb.MaskedAutoregressiveFlow`` whose
    ``bijector_fn`` is the spline of ``made(x, context)`` (``params = 3K - 1``).

    ``inverse`` (data -> latent) and its log-det take one MADE pass together;
    ``forward`` (sampling) takes D passes.

    Raises:
        ValueError: if ``made.params`` is not ``3 * num_bins - 1``.
    """
    if getattr(made, "params", None) != spline_params(num_bins):
        raise ValueError(f"`made` must have params=3 * num_bins - 1 = "
                         f"{spline_params(num_bins)}. Received: made with params="
                         f"{getattr(made, 'params', None)}")
    spline = lambda x: rational_quadratic_spline(  # noqa: E731
        made(x, context=context), num_bins, bound)
    return tfb.MaskedAutoregressiveFlow(bijector_fn=_keep_last(spline), name=name)


@register_serializable
class MaskedSplineStep(FlowLayer):
    """One rational-quadratic autoregressive step on vectors, owning its MADE
    (Durkan et al. 2019, RQ-NSF (AR), arXiv:1906.04032, sec. 3.2).

    ``[widths, heights, slopes]_i = MADE(x)_i`` depend on the dimensions before
    ``i`` in ``input_order``; the bijector is ``spline_autoregressive_flow``
    (TFP's ``MaskedAutoregressiveFlow`` with a spline ``bijector_fn``):

        inverse (data -> latent, one pass):  u_i = g_i^-1(x_i)
        forward (latent -> data, D passes):  x_i = g_i(u_i)

    Args:
        event_size: int >= 1, the dimension D.
        num_bins: int >= 2; bound: float > 0 (as ``SplineCoupling``).
        hidden_units: the MADE's hidden widths.
        input_order: ``"left-to-right"`` or ``"right-to-left"``.
        context_units: optional int >= 1, a context given to the MADE.
        activation: the MADE's hidden activation.
        seed: optional int >= 0 seeding the MADE's initial weights.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments, Returns: as ``FlowLayer``.

    Input shape:
        ``[batch, event_size]``.

    Raises:
        ValueError / TypeError: naming ``event_size``, ``num_bins``, ``bound``,
            ``input_order`` or ``context_units`` (not ``None`` or an int >= 1).
    """

    def __init__(self, event_size, num_bins=8, bound=3.0, hidden_units=(64, 64),
                 input_order="left-to-right", context_units=None, activation="relu",
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.event_size = checks.positive_int("event_size", event_size)
        self.num_bins, self.bound = _check_spline(num_bins, bound)
        self.hidden_units = tuple([hidden_units] if isinstance(hidden_units, int)
                                  else hidden_units)
        self.input_order = checks.one_of("input_order", input_order, set(_ORDERS))
        self.context_units = (None if context_units is None
                              else checks.positive_int("context_units", context_units))
        self.activation = keras.activations.get(activation)
        self.seed = checks.seed("seed", seed)
        init = lambda k: weight_seed(self.seed, k)  # noqa: E731
        self.made = MADE(self.event_size, self.hidden_units,
                         params=spline_params(self.num_bins), activation=self.activation,
                         input_order=self.input_order, context_units=self.context_units,
                         kernel_initializer=keras.initializers.GlorotUniform(seed=init(0)),
                         output_kernel_initializer=keras.initializers.RandomNormal(
                             stddev=1e-3, seed=init(1)), name="made")

    def build(self, input_shape):
        super().build(input_shape)
        if not self.made.built:
            self.made.build(input_shape)

    def bijector(self, context=None, event_ndims=None):
        return spline_autoregressive_flow(self.made, self.num_bins, self.bound, context,
                                          name=self.name)

    def _forward(self, z, context):
        return forward_and_log_det(self.bijector(context), z, 1)

    def _inverse(self, x, context):
        return inverse_and_log_det(self.bijector(context), x, 1)

    def get_config(self):
        return {**super().get_config(), "event_size": self.event_size,
                "num_bins": self.num_bins, "bound": self.bound,
                "hidden_units": list(self.hidden_units), "input_order": self.input_order,
                "context_units": self.context_units,
                "activation": keras.activations.serialize(self.activation), "seed": self.seed}


__all__ = ["MaskedSplineStep", "SplineCoupling", "rational_quadratic_spline",
           "spline_autoregressive_flow", "spline_params"]
