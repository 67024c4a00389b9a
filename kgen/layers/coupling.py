"""Coupling layers: affine (RealNVP) and additive (NICE), with checkerboard and channel masks."""

import numbers

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.layers.flow_layer import FlowLayer
from kgen.serialization import register_serializable

MASK_TYPES = ("checkerboard", "channel")


def coupling_mask(event_shape, mask_type, parity):
    """The binary mask ``b`` of a coupling layer: 1 where ``x`` conditions, 0 where
    it is transformed, float32 of ``event_shape``.

    For vectors ``[D]``, ``"checkerboard"`` alternates dimensions
    (``b_i = (i + parity) % 2 == 0``) and ``"channel"`` takes the first
    ``D // 2`` dimensions (the last ``D - D // 2`` with ``parity=1``). For
    images ``[H, W, C]``, ``"checkerboard"`` alternates pixels
    (``(h + w + parity) % 2 == 0``, every channel alike) and ``"channel"``
    splits the channels so (Dinh et al. 2016, arXiv:1605.08803, fig. 3).

    Raises:
        ValueError: naming ``event_shape`` if a mask would leave one side empty
            (a single dimension, or ``"channel"`` on one channel).
    """
    shape = tuple(event_shape)
    if len(shape) not in (1, 3):
        raise ValueError(f"`event_shape` must be [D] or [H, W, C] for a coupling layer. "
                         f"Received: event_shape={shape}")
    if mask_type == "checkerboard":
        index = (np.arange(shape[0]) if len(shape) == 1 else
                 np.add.outer(np.arange(shape[0]), np.arange(shape[1]))[..., None])
        mask = np.broadcast_to((index + parity) % 2 == 0, shape)
    else:
        channels = shape[-1]
        first = np.arange(channels) < channels // 2
        mask = np.broadcast_to(first if parity == 0 else ~first, shape)
    if mask.all() or not mask.any():
        raise ValueError(f"`event_shape` is too small for a {mask_type!r} coupling mask "
                         f"(one side would be empty). Received: event_shape={shape}")
    return mask.astype(np.float32)


def weight_seed(seed, index):
    """The seed of a layer's ``index``-th initial weight, from the layer's ``seed``
    (``None`` stays ``None``): a hash of both by ``numpy.random.SeedSequence``, an
    int in ``[0, 2**31)``. Unlike ``seed + index``, neighbouring layers' seeds
    (``FlowModel.layer_seed`` gives consecutive ints) never give two weights the
    same seed, hence the same initial values, short of a hash collision."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0] >> 1)


class _Coupling(FlowLayer):
    """Shared by the coupling layers: the mask and the conditioning network
    ``b * x -> params`` (``[batch, *event_shape, params]``)."""

    params = 1

    def __init__(self, mask_type="checkerboard", parity=0, hidden_units=(64, 64), filters=64,
                 num_blocks=2, activation="relu", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = checks.seed("seed", seed)
        self.mask_type = checks.one_of("mask_type", mask_type, set(MASK_TYPES))
        self.parity = checks.one_of("parity", parity, {0, 1})
        if isinstance(hidden_units, int):
            hidden_units = (hidden_units,)
        self.hidden_units = tuple(checks.positive_int("hidden_units", u) for u in hidden_units)
        self.filters = checks.positive_int("filters", filters)
        self.num_blocks = checks.positive_int("num_blocks", num_blocks, minimum=0)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        super().build(input_shape)
        shape = tuple(input_shape[1:])
        self.mask = tf.constant(coupling_mask(shape, self.mask_type, self.parity))
        seeds = (weight_seed(self.seed, k) for k in range(1000))  # one per weight
        glorot = lambda: keras.initializers.GlorotUniform(seed=next(seeds))  # noqa: E731
        out_init = keras.initializers.RandomNormal(stddev=1e-3, seed=next(seeds))
        if len(shape) == 1:
            self.net = [keras.layers.Dense(u, activation=self.activation, name=f"dense_{i}",
                                           kernel_initializer=glorot())
                        for i, u in enumerate(self.hidden_units)]
            self.out = keras.layers.Dense(shape[0] * self.params, kernel_initializer=out_init,
                                          name="params")
        else:
            conv = lambda f, name, init: keras.layers.Conv2D(  # noqa: E731
                f, 3, padding="same", name=name, kernel_initializer=init)
            self.net = [conv(self.filters, "conv_in", glorot())] + [
                conv(self.filters, f"block_{i}_{j}", glorot()) for i in range(self.num_blocks)
                for j in range(2)]
            self.out = conv(shape[-1] * self.params, "params", out_init)
        width = input_shape
        for layer in self.net:
            layer.build(width)
            width = tuple(width[:-1]) + (layer.units if len(shape) == 1 else layer.filters,)
        self.out.build(width)
        self._shape = shape

    def conditioner(self, x):
        """The network's parameters from ``b * x``: ``[batch, *event_shape, params]``."""
        h = x * self.mask
        if len(self._shape) == 1:
            for layer in self.net:
                h = layer(h)
        else:
            h = self.activation(self.net[0](h))
            for i in range(self.num_blocks):  # residual blocks: h + conv(act(conv(h)))
                r = self.net[2 + 2 * i](self.activation(self.net[1 + 2 * i](h)))
                h = self.activation(h + r)
        out = self.out(h)
        return tf.reshape(out, tf.concat([tf.shape(x), [self.params]], 0))

    def _event_sum(self, values):
        return tf.reduce_sum(values, axis=list(range(1, len(self._shape) + 1)))

    def get_config(self):
        return {**super().get_config(), "mask_type": self.mask_type, "parity": self.parity,
                "hidden_units": list(self.hidden_units), "filters": self.filters,
                "num_blocks": self.num_blocks, "seed": self.seed,
                "activation": keras.activations.serialize(self.activation)}


@register_serializable
class AffineCoupling(_Coupling):
    """Affine coupling layer (Dinh et al. 2016, RealNVP, arXiv:1605.08803, eq. 4-9).

    With the binary mask ``b`` (1: conditioning part) and ``[s_raw, t] =
    NN(b * z)``, the log-scale is soft-clamped, ``s = B tanh(s_raw / B)``
    (``|s| < B = log_scale_bound``, so sampling stays finite), and

        forward (latent -> data):  x = b * z + (1 - b) * (z * exp(s) + t)
        inverse (data -> latent):  z = b * x + (1 - b) * (x - t) * exp(-s)
        log|det dx/dz| = sum((1 - b) * s)

    both from one network pass (``NN`` sees only ``b * z = b * x``). The
    network is an MLP for vectors ``[D]`` and a residual CNN for images
    ``[H, W, C]`` (3x3 convolutions, ``num_blocks`` blocks of two); its output
    layer starts near zero, so a fresh layer is close to the identity.

    Args:
        mask_type: ``"checkerboard"`` or ``"channel"`` (see ``coupling_mask``).
        parity: 0 or 1, which half conditions.
        hidden_units: tuple of ints, the MLP's widths (vectors).
        filters: int, the CNN's channels (images).
        num_blocks: int >= 0, the CNN's residual blocks (images).
        activation: the hidden activation.
        seed: optional int >= 0 seeding the network's initial weights.
        log_scale_bound: float > 0, the bound B of the log-scale.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments, Returns: as ``FlowLayer`` (no context).

    Input shape:
        ``[batch, D]`` or ``[batch, H, W, C]``.

    Output shape:
        the same, and ``[batch]`` for the log-det.

    Example:

    >>> layer = AffineCoupling("checkerboard", parity=0, hidden_units=(64, 64))
    >>> x, log_det = layer(z)               # latent -> data
    >>> z2, inverse_log_det = layer(x, inverse=True)
    """

    params = 2

    def __init__(self, mask_type="checkerboard", parity=0, hidden_units=(64, 64), filters=64,
                 num_blocks=2, activation="relu", log_scale_bound=3.0, seed=None, **kwargs):
        super().__init__(mask_type, parity, hidden_units, filters, num_blocks, activation,
                         seed, **kwargs)
        if isinstance(log_scale_bound, bool) or not isinstance(log_scale_bound, numbers.Real) \
                or not 0 < log_scale_bound < float("inf"):
            raise ValueError(f"`log_scale_bound` must be a finite number > 0. "
                             f"Received: log_scale_bound={log_scale_bound!r}")
        self.log_scale_bound = float(log_scale_bound)

    def shift_and_log_scale(self, x):
        """``(t, s)`` on the transformed part (zero on the conditioning part)."""
        params = self.conditioner(x)
        bound = self.log_scale_bound
        free = 1.0 - self.mask
        return free * params[..., 1], free * bound * tf.tanh(params[..., 0] / bound)

    def _forward(self, z, context):
        shift, log_scale = self.shift_and_log_scale(z)
        return z * tf.exp(log_scale) + shift, self._event_sum(log_scale)

    def _inverse(self, x, context):
        shift, log_scale = self.shift_and_log_scale(x)
        return (x - shift) * tf.exp(-log_scale), -self._event_sum(log_scale)

    def get_config(self):
        return {**super().get_config(), "log_scale_bound": self.log_scale_bound}


@register_serializable
class AdditiveCoupling(_Coupling):
    """Additive coupling layer (Dinh et al. 2014, NICE, arXiv:1410.8516, eq. 4-6).

    ``forward``: ``x = z + (1 - b) * m(b * z)``; ``inverse``: ``z = x - (1 - b)
    * m(b * x)``; the log-det is 0 (volume preserving). Args, shapes and the
    network as ``AffineCoupling`` (no ``log_scale_bound``).
    """

    params = 1

    def _shift(self, x):
        return (1.0 - self.mask) * self.conditioner(x)[..., 0]

    def _forward(self, z, context):
        return z + self._shift(z), tf.zeros(tf.shape(z)[:1], z.dtype)

    def _inverse(self, x, context):
        return x - self._shift(x), tf.zeros(tf.shape(x)[:1], x.dtype)


__all__ = ["AdditiveCoupling", "AffineCoupling", "coupling_mask", "weight_seed"]
