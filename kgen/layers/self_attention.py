"""The SAGAN self-attention block, with BigGAN's channel reductions and pooling."""

import keras

from kgen import checks
from kgen.layers._options import checked_bools, copies
from kgen.serialization import register_serializable


@register_serializable
class SelfAttention(keras.layers.Layer):
    """Self-attention over the positions of a feature map (SAGAN, Zhang et al. 2019,
    arXiv:1805.08318, sec. 3), as in BigGAN (Brock et al. 2019, arXiv:1809.11096).

    For a map ``x`` of ``N = H * W`` positions and ``C`` channels, with 1x1
    convolutions (no bias) ``f`` and ``g`` to ``C / key_reduction`` channels, ``h`` to
    ``C / value_reduction`` and ``v`` back to ``C``::

        s[i, j]  = f(x)_i . g(x)_j                        queries i, keys j
        beta     = softmax over j of s                    [batch, N, N']
        o_i      = v( sum_j beta[i, j] h(x)_j )
        y        = gamma * o + x                          gamma: a scalar, starts at 0

    With ``pool=True`` the keys and values ``g(x)``, ``h(x)`` are max-pooled 2x2
    (``N' = ceil(H / 2) * ceil(W / 2)``), as BigGAN's code does; else ``N' = N``.
    SAGAN's paper reduces every projection to C/8; BigGAN's code reduces the values
    to C/2 (the defaults here). Because gamma starts at 0 the block starts as the
    identity and the network learns how much attention to mix in.

    Args:
        key_reduction: int >= 1, the channels of ``f`` and ``g`` are ``C // key_reduction``.
        value_reduction: int >= 1, the channels of ``h`` are ``C // value_reduction``.
        pool: bool, max-pool the keys and values 2x2.
        spectral_norm: bool, wrap the four convolutions in
            ``keras.layers.SpectralNormalization`` (both of BigGAN's networks do).
        kernel_initializer: of the four convolutions.
        kernel_regularizer: optional regularizer of the four kernels.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        x: ``[batch, height, width, channels]``.
        training: bool, passed to the spectral normalization (power iteration).

    Input shape:
        ``[batch, height, width, channels]``, channels known and >= ``key_reduction``
        and ``value_reduction``.

    Output shape:
        as the input.

    Raises:
        ValueError / TypeError: naming ``key_reduction``, ``value_reduction``, ``pool``
            or ``spectral_norm``; ``x`` on build for a map that is not rank 4 or has too
            few channels.

    Example:

    >>> attention = kgen.layers.SelfAttention(pool=True)
    >>> y = attention(x)     # x: [8, 14, 14, 64]; y = x while gamma = 0
    """

    def __init__(self, key_reduction=8, value_reduction=2, pool=False, spectral_norm=False,
                 kernel_initializer="glorot_uniform", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.key_reduction = checks.positive_int("key_reduction", key_reduction)
        self.value_reduction = checks.positive_int("value_reduction", value_reduction)
        self.pool, self.spectral_norm = checked_bools(pool=pool, spectral_norm=spectral_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def _conv(self, name, filters, initializer):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False, name=name,
                                   kernel_initializer=initializer,
                                   kernel_regularizer=self.kernel_regularizer)
        return keras.layers.SpectralNormalization(conv, name=f"{name}_sn") if (
            self.spectral_norm) else conv

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[-1] if len(input_shape) == 4 else None
        if channels is None or channels < max(self.key_reduction, self.value_reduction):
            raise ValueError(f"`x` must be [batch, height, width, channels] with channels "
                             f">= key_reduction={self.key_reduction} and value_reduction="
                             f"{self.value_reduction}. Received: x of shape {input_shape}")
        keys, values = channels // self.key_reduction, channels // self.value_reduction
        inits = copies(self.kernel_initializer, 4)
        self.query_conv = self._conv("query", keys, inits[0])    # SAGAN's f (BigGAN's theta)
        self.key_conv = self._conv("key", keys, inits[1])        # g (phi)
        self.value_conv = self._conv("value", values, inits[2])  # h (g)
        self.output_conv = self._conv("output", channels, inits[3])  # v (o)
        for conv in (self.query_conv, self.key_conv, self.value_conv):
            conv.build(input_shape)
        self.output_conv.build(input_shape[:-1] + (values,))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, x, training=None):
        ops = keras.ops
        batch, height, width, channels = ops.shape(x)
        query = self.query_conv(x, training=training)
        key = self.key_conv(x, training=training)
        value = self.value_conv(x, training=training)
        if self.pool:
            key = ops.max_pool(key, 2, 2, padding="same")
            value = ops.max_pool(value, 2, 2, padding="same")
        query = ops.reshape(query, (batch, -1, query.shape[-1]))
        key = ops.reshape(key, (batch, -1, key.shape[-1]))
        value = ops.reshape(value, (batch, -1, value.shape[-1]))
        beta = ops.softmax(ops.matmul(query, ops.transpose(key, (0, 2, 1))), axis=-1)
        attended = ops.reshape(ops.matmul(beta, value), (batch, height, width, -1))
        return self.gamma * self.output_conv(attended, training=training) + x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "key_reduction": self.key_reduction,
                "value_reduction": self.value_reduction, "pool": self.pool,
                "spectral_norm": self.spectral_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


__all__ = ["SelfAttention"]
