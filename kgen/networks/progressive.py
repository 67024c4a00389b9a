"""Progressive GAN's growing generator and discriminator (Karras et al. 2018, sec. 2,
table 2), growing by weights on static-shape paths.

Both networks take ``[images or z, progress]``, ``progress`` being ``[batch, 2]`` rows
``(stage, alpha)`` (all rows equal; the model fills them from its training state).
At stage ``s`` the generator's image is that of ``toRGB_s`` after blocks ``0..s``; while
block ``s`` fades in (``alpha < 1``) the previous toRGB's image, upsampled, is blended in:
``(1 - alpha) * up2(toRGB_{s-1}(h_{s-1})) + alpha * toRGB_s(h_s)`` (fig. 2). The
discriminator mirrors it with ``fromRGB`` and 2x average pooling. Images are always
passed at the full resolution: the generator upsamples its ``r_s`` image by nearest
neighbours, the discriminator average-pools its input to each ``r_j``, as the paper's
released code does. So every tensor has one static shape at every stage.

The networks compute every block at every stage and weight each level's path by
``level_weights`` (the paper code's "linear" structure): the levels above the stage get
weight exactly 0, so they have no effect and get exactly zero gradients (Adam leaves them
as initialized), and the two-product blend ``(1 - a) * old + a * new`` makes
``alpha = 0`` and ``alpha = 1`` exact. We measured the alternative, ``tf.switch_case``
over the stages, which runs only the current stage's blocks: on 2 shared CPUs its
train step took 20-25 s to trace (3.4 s for a plain GAN of the same size; the Case op's
gradients, and the penalty's gradient of gradients, dominate) and its XLA compilation
did not finish in 10 minutes. Computing all blocks costs the early stages the last
stage's time instead, but keeps one fast trace and ``jit_compile=True``.

References:
    1. Karras, Aila, Laine, Lehtinen, "Progressive Growing of GANs for Improved
       Quality, Stability, and Variation", ICLR 2018. https://arxiv.org/abs/1710.10196
"""

import keras
import tensorflow as tf

from kgen import checks
from kgen.layers.equalized import EqualizedConv2D, EqualizedDense
from kgen.layers.progressive import MinibatchStdDev, PixelNormalization
from kgen.serialization import register_serializable


def check_resolutions(resolutions, image_shape):
    """``resolutions`` as a tuple of ints, each twice the one before, the last the size
    of ``image_shape`` (``(size, size, channels)``).

    Raises:
        ValueError / TypeError: naming ``resolutions`` (or ``image_shape``).
    """
    image_shape = checks.event_shape("image_shape", image_shape)
    if len(image_shape) != 3 or image_shape[0] != image_shape[1]:
        raise ValueError(f"`image_shape` must be (size, size, channels). "
                         f"Received: image_shape={image_shape}")
    if isinstance(resolutions, (int, str)) or not hasattr(resolutions, "__iter__"):
        raise TypeError(f"`resolutions` must be a tuple of ints. "
                        f"Received: resolutions={resolutions!r}")
    resolutions = tuple(checks.positive_int("resolutions", r) for r in resolutions)
    if not resolutions or resolutions[-1] != image_shape[0]:
        raise ValueError(f"`resolutions` must end at the data's size {image_shape[0]} "
                         f"(e.g. (7, 14, 28) for 28x28 images). "
                         f"Received: resolutions={resolutions}")
    if any(b != 2 * a for a, b in zip(resolutions, resolutions[1:])):
        raise ValueError(f"`resolutions` must double at each stage. "
                         f"Received: resolutions={resolutions}")
    return resolutions, image_shape


def _filters(filters, count):
    filters = tuple(checks.positive_int("filters", f) for f in (
        filters if hasattr(filters, "__iter__") else (filters,) * count))
    if len(filters) != count:
        raise ValueError(f"`filters` must give one width per resolution ({count}). "
                         f"Received: filters={filters}")
    return filters


def upsample(x, factor):
    """Nearest-neighbour upsampling of ``[batch, h, w, c]`` by an int ``factor``."""
    if factor == 1:
        return x
    return tf.repeat(tf.repeat(x, factor, axis=1), factor, axis=2)


def downsample(x, factor):
    """Average pooling of ``[batch, h, w, c]`` over ``factor x factor`` blocks."""
    if factor == 1:
        return x
    return tf.nn.avg_pool2d(x, factor, factor, "VALID")


def blend(old, new, alpha):
    """``(1 - alpha) * old + alpha * new``: ``old`` exactly at 0, ``new`` exactly at 1."""
    return (1.0 - alpha) * old + alpha * new


def level_weights(stage, alpha, num_stages):
    """``c_j`` for the levels ``j = 0..num_stages-1``: how far level j's block is in,
    1 below ``stage``, ``alpha`` at it, 0 above; ``c_0 = 1`` (block 0 is always in).
    Exact: every weight is one of 0, 1, ``alpha``."""
    stage = tf.cast(stage, tf.int32)
    alpha = tf.cast(alpha, tf.float32)
    return [tf.constant(1.0)] + [
        tf.where(j < stage, 1.0, tf.where(j == stage, alpha, 0.0))
        for j in range(1, num_stages)]


def output_weights(stage, alpha, num_stages):
    """``w_j = c_j - c_{j+1}`` (``c_S = 0``), the weight of level j's image in the
    output: ``alpha`` at the stage, ``1 - alpha`` one below, 0 elsewhere (1 at the
    stage when ``alpha = 1`` or at stage 0)."""
    c = level_weights(stage, alpha, num_stages) + [tf.constant(0.0)]
    return [c[j] - c[j + 1] for j in range(num_stages)]


def stage_images(x, stage, alpha, resolutions):
    """Real images as the discriminator sees them at ``(stage, alpha)``: average-pooled
    to the stage's resolution, blended with their half-resolution version while the
    stage fades in (as the generator's output is), upsampled back to the full size:
    ``sum_j w_j up(down(x))`` with ``output_weights``."""
    full = resolutions[-1]
    weights = output_weights(stage, alpha, len(resolutions))
    levels = [upsample(downsample(x, full // r), full // r) for r in resolutions]
    return tf.add_n([w * level for w, level in zip(weights, levels)])


class _Growing(keras.Model):
    """What both networks share: the stage schedule, the inputs, the config."""

    def _setup(self, image_shape, resolutions, filters, seed):
        self.resolutions, self.image_shape = check_resolutions(resolutions, image_shape)
        self.filters = _filters(filters, len(self.resolutions))
        self.seed = checks.seed("seed", seed)
        self._count = 0

    def _seed(self):
        self._count += 1
        return None if self.seed is None else self.seed + self._count

    @property
    def num_stages(self):
        return len(self.resolutions)

    @property
    def output_shape(self):
        return (None,) + self._output_shape

    @staticmethod
    def _progress(progress):
        progress = tf.convert_to_tensor(progress, tf.float32)
        return tf.cast(progress[0, 0], tf.int32), progress[0, 1]

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "image_shape": list(self.image_shape), "resolutions": list(self.resolutions),
                "filters": list(self.filters), "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_serializable
class ProgressiveGenerator(_Growing):
    """Progressive GAN's generator (Karras et al. 2018, table 2, scaled down).

    Block 0: pixel norm of z, an equalized dense layer to ``r_0 x r_0 x filters[0]``,
    a 3x3 convolution; block ``s > 0``: nearest 2x upsampling and two 3x3
    convolutions of ``filters[s]`` channels; every convolution is followed by
    LeakyReLU(0.2) and pixel norm; ``toRGB_s`` is a linear 1x1 convolution. All
    layers have an equalized learning rate. See the module docstring for the stage
    weights and the fade-in.

    Args:
        latent_dim: int, the size of z.
        image_shape: ``(size, size, channels)``.
        resolutions: the stages' sizes, doubling, ending at ``size``.
        filters: int or one int per resolution, the channels of each stage's block.
        seed: optional int seeding the initial weights.
        **kwargs: ``keras.Model`` arguments (``name``).

    Call arguments:
        inputs: ``[z, progress]``: ``[batch, latent_dim]`` noise and ``[batch, 2]``
            rows ``(stage, alpha)``.
        training: unused (no layer differs).

    Input shape: ``[(batch, latent_dim), (batch, 2)]``.
    Output shape: ``[batch, *image_shape]`` (linear; data in [-1, 1]).

    Raises:
        ValueError / TypeError: naming ``resolutions``, ``image_shape``, ``filters``,
            ``latent_dim`` or ``seed``.

    Example:

    >>> g = ProgressiveGenerator(100, (28, 28, 1), (7, 14, 28), (128, 64, 32))
    >>> g([tf.zeros((2, 100)), tf.constant([[1.0, 0.5]] * 2)]).shape  # stage 1, half faded
    TensorShape([2, 28, 28, 1])
    """

    def __init__(self, latent_dim=100, image_shape=(28, 28, 1), resolutions=(7, 14, 28),
                 filters=(128, 64, 32), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._setup(image_shape, resolutions, filters, seed)
        self.latent_dim = checks.positive_int("latent_dim", latent_dim)
        self._output_shape = self.image_shape
        r0, f = self.resolutions[0], self.filters
        z = keras.Input((self.latent_dim,))
        h = EqualizedDense(r0 * r0 * f[0], activation="leaky_relu", seed=self._seed())(
            PixelNormalization()(z))
        h = PixelNormalization()(keras.layers.Reshape((r0, r0, f[0]))(h))
        self.blocks = [keras.Model(z, self._conv(h, f[0]), name="block_0")]
        for s in range(1, self.num_stages):
            h0 = keras.Input((self.resolutions[s - 1],) * 2 + (f[s - 1],))
            h = self._conv(self._conv(keras.layers.UpSampling2D(2)(h0), f[s]), f[s])
            self.blocks.append(keras.Model(h0, h, name=f"block_{s}"))
        self.to_rgb = []
        for s in range(self.num_stages):
            layer = EqualizedConv2D(self.image_shape[-1], 1, gain=1.0, seed=self._seed(),
                                    name=f"to_rgb_{s}")
            layer.build((None, self.resolutions[s], self.resolutions[s], f[s]))
            self.to_rgb.append(layer)
        self.built = True

    def _conv(self, h, filters):
        h = EqualizedConv2D(filters, 3, activation="leaky_relu", seed=self._seed())(h)
        return PixelNormalization()(h)

    @property
    def input_shape(self):
        return [(None, self.latent_dim), (None, 2)]

    def call(self, inputs, training=None):
        z, progress = inputs
        weights = output_weights(*self._progress(progress), self.num_stages)
        h, images = self.blocks[0](z, training=training), []
        for j in range(self.num_stages):
            if j > 0:
                h = self.blocks[j](h, training=training)
            factor = self.resolutions[-1] // self.resolutions[j]
            images.append(weights[j] * upsample(self.to_rgb[j](h), factor))
        return tf.add_n(images)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@register_serializable
class ProgressiveDiscriminator(_Growing):
    """Progressive GAN's discriminator (Karras et al. 2018, table 2, scaled down).

    ``fromRGB_s``: a 1x1 convolution to ``filters[s]`` channels; block ``s > 0``: a
    3x3 convolution of ``filters[s]`` channels, one of ``filters[s - 1]``, 2x average
    pooling; block 0: minibatch standard deviation (sec. 3), a 3x3 convolution, an
    equalized dense layer of ``filters[0]`` units and the linear output. LeakyReLU(0.2)
    after every hidden layer, no normalization (the WGAN-GP penalty is per example;
    the minibatch statistic couples the examples of a group, as in the paper), every
    layer with an equalized learning rate.

    Args:
        image_shape: ``(size, size, channels)``.
        resolutions: the stages' sizes, doubling, ending at ``size``.
        filters: int or one int per resolution.
        group_size: int, ``MinibatchStdDev``'s group size (4).
        seed: optional int seeding the initial weights.
        **kwargs: ``keras.Model`` arguments (``name``).

    Call arguments:
        inputs: ``[x, progress]``: ``[batch, *image_shape]`` images at full size and
            ``[batch, 2]`` rows ``(stage, alpha)``.
        training: unused.

    Input shape: ``[(batch, *image_shape), (batch, 2)]``.
    Output shape: ``[batch, 1]``, the critic value.

    Raises:
        ValueError / TypeError: naming ``resolutions``, ``image_shape``, ``filters``,
            ``group_size`` or ``seed``.
    """

    def __init__(self, image_shape=(28, 28, 1), resolutions=(7, 14, 28),
                 filters=(128, 64, 32), group_size=4, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._setup(image_shape, resolutions, filters, seed)
        self.group_size = checks.positive_int("group_size", group_size)
        self._output_shape = (1,)
        f, r = self.filters, self.resolutions
        self.from_rgb = []
        for s in range(self.num_stages):
            layer = EqualizedConv2D(f[s], 1, activation="leaky_relu", seed=self._seed(),
                                    name=f"from_rgb_{s}")
            layer.build((None, r[s], r[s], self.image_shape[-1]))
            self.from_rgb.append(layer)
        h0 = keras.Input((r[0], r[0], f[0]))
        h = MinibatchStdDev(self.group_size)(h0)
        h = keras.layers.Flatten()(self._conv(h, f[0]))
        h = EqualizedDense(f[0], activation="leaky_relu", seed=self._seed())(h)
        self.blocks = [keras.Model(h0, EqualizedDense(1, gain=1.0, seed=self._seed())(h),
                                   name="block_0")]
        for s in range(1, self.num_stages):
            h0 = keras.Input((r[s], r[s], f[s]))
            h = self._conv(self._conv(h0, f[s]), f[s - 1])
            self.blocks.append(keras.Model(h0, keras.layers.AveragePooling2D(2)(h),
                                           name=f"block_{s}"))
        self.built = True

    def _conv(self, h, filters):
        return EqualizedConv2D(filters, 3, activation="leaky_relu", seed=self._seed())(h)

    @property
    def input_shape(self):
        return [(None,) + self.image_shape, (None, 2)]

    def call(self, inputs, training=None):
        x, progress = inputs
        x = tf.convert_to_tensor(x, tf.float32)
        c = level_weights(*self._progress(progress), self.num_stages)
        full, last = self.resolutions[-1], self.num_stages - 1
        h = self.from_rgb[last](x)
        for j in range(last, 0, -1):  # level j's block, or the image entering below it
            skip = self.from_rgb[j - 1](downsample(x, full // self.resolutions[j - 1]))
            h = blend(skip, self.blocks[j](h, training=training), c[j])
        return self.blocks[0](h, training=training)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def progressive_generator(latent_dim=100, image_shape=(28, 28, 1), resolutions=(7, 14, 28),
                          filters=(128, 64, 32), seed=None, name="generator"):
    """Builds a ``ProgressiveGenerator`` (see there)."""
    return ProgressiveGenerator(latent_dim, image_shape, resolutions, filters, seed=seed,
                                name=name)


def progressive_discriminator(image_shape=(28, 28, 1), resolutions=(7, 14, 28),
                              filters=(128, 64, 32), group_size=4, seed=None,
                              name="discriminator"):
    """Builds a ``ProgressiveDiscriminator`` (see there)."""
    return ProgressiveDiscriminator(image_shape, resolutions, filters, group_size, seed=seed,
                                    name=name)


__all__ = ["ProgressiveDiscriminator", "ProgressiveGenerator", "blend", "check_resolutions",
           "downsample", "level_weights", "output_weights", "progressive_discriminator", "progressive_generator",
           "stage_images", "upsample"]
