"""Progressive GAN's normalization layers: minibatch standard deviation and pixelwise
feature normalization (Karras et al. 2018, https://arxiv.org/abs/1710.10196).

References:
    1. Karras, Aila, Laine, Lehtinen, "Progressive Growing of GANs for Improved
       Quality, Stability, and Variation", ICLR 2018. https://arxiv.org/abs/1710.10196
"""

import keras
import tensorflow as tf

from kgen import checks
from kgen.serialization import register_serializable


def _epsilon(epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
        raise ValueError(f"`epsilon` must be a number > 0. Received: epsilon={epsilon!r}")
    return float(epsilon)


@register_serializable
class PixelNormalization(keras.layers.Layer):
    """Pixelwise feature vector normalization (Karras et al. 2018, sec. 4.2, eq. 1).

    Each pixel's feature vector is scaled to unit mean square over the channels:

        b[x, y, :] = a[x, y, :] / sqrt(mean_j a[x, y, j]^2 + epsilon)

    The layer has no weights. Used in the generator after every convolution.

    Args:
        epsilon: float > 0 inside the square root (1e-8 in the paper).
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[batch, ..., channels]`` float tensor.

    Input shape: ``[batch, ..., channels]``.
    Output shape: the same.

    Raises:
        ValueError: naming ``epsilon``.

    Example:

    >>> PixelNormalization()(tf.fill((1, 2, 2, 4), 3.0))  # all ones (up to epsilon)
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = _epsilon(epsilon)

    def call(self, inputs):
        mean_square = tf.reduce_mean(tf.square(inputs), axis=-1, keepdims=True)
        return inputs * tf.math.rsqrt(mean_square + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@register_serializable
class MinibatchStdDev(keras.layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018, sec. 3): one feature map of
    the examples' spread within their group, appended to the input's channels.

    The batch is split into groups of ``g`` examples; in each group the standard
    deviation over the group's examples is computed for every feature and position,
    ``sqrt(var + epsilon)``, and averaged over all features and positions into one
    value, which fills one extra channel of every example in the group:

        s_k = mean_{h, w, c} sqrt(mean_{i in group k} (x_i - mean_k x)^2 + epsilon)
        output_i = concat(x_i, s_{k(i)} * ones[h, w, 1])

    ``g`` is the largest divisor of the batch size that is <= ``group_size`` (4 in
    the paper's code), so any batch works (a batch of prime size above
    ``group_size`` gets ``g = 1``: a constant channel). Groups are *contiguous*
    (examples ``k g, ..., k g + g - 1``), not strided as in the paper's code: the
    statistic is the same in distribution, and contiguous groups are what make the
    layer replica-consistent. Under ``tf.distribute.MirroredStrategy`` a layer
    sees only its replica's examples, a contiguous slice of the global batch, so
    with a per-replica batch divisible by ``group_size`` the groups (and the
    outputs) are those of the same global batch on one device.

    Args:
        group_size: int >= 1, the largest group.
        epsilon: float > 0 inside the square root (1e-8 in the paper's code).
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[batch, height, width, channels]`` float tensor.

    Input shape: ``[batch, height, width, channels]``.
    Output shape: ``[batch, height, width, channels + 1]``.

    Raises:
        ValueError: naming ``group_size`` or ``epsilon``; at call, naming
            ``inputs`` if they are not rank 4.

    Example:

    >>> MinibatchStdDev(group_size=4)(tf.random.normal((8, 7, 7, 16))).shape
    TensorShape([8, 7, 7, 17])
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = checks.positive_int("group_size", group_size)
        self.epsilon = _epsilon(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"`inputs` must be [batch, height, width, channels]. "
                             f"Received: inputs of shape {tuple(input_shape)}")
        super().build(input_shape)

    def group(self, batch):
        """The group size used for a batch of ``batch`` examples (a scalar tensor)."""
        candidates = tf.range(1, self.group_size + 1)
        divides = tf.equal(tf.math.floormod(batch, candidates), 0)
        return tf.reduce_max(tf.where(divides, candidates, 1))

    def call(self, inputs):
        shape = tf.shape(inputs)
        g = self.group(shape[0])
        groups = tf.reshape(inputs, tf.concat([[-1, g], shape[1:]], 0))
        centred = groups - tf.reduce_mean(groups, axis=1, keepdims=True)
        std = tf.sqrt(tf.reduce_mean(tf.square(centred), axis=1) + self.epsilon)
        stat = tf.reduce_mean(std, axis=[1, 2, 3])  # [batch / g]
        stat = tf.repeat(stat, g)[:, None, None, None]
        return tf.concat([inputs, tf.ones_like(inputs[..., :1]) * stat], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (None if input_shape[-1] is None
                                          else input_shape[-1] + 1,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size,
                "epsilon": self.epsilon}


__all__ = ["MinibatchStdDev", "PixelNormalization"]
