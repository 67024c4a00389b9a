"""CycleGAN's networks: a ResNet image-to-image generator and a PatchGAN discriminator,
both with instance normalization, sized for small images such as 28x28x1 digits.

References:
    1. Zhu, Park, Isola, Efros, "Unpaired Image-to-Image Translation using
       Cycle-Consistent Adversarial Networks", ICCV 2017, appendix 7.2 (the networks).
       https://arxiv.org/abs/1703.10593
    2. Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
       Super-Resolution", ECCV 2016 (the ResNet generator).
       https://arxiv.org/abs/1603.08155
    3. Isola, Zhu, Zhou, Efros, "Image-to-Image Translation with Conditional
       Adversarial Networks", CVPR 2017 (the PatchGAN discriminator).
       https://arxiv.org/abs/1611.07004
    4. Ulyanov, Vedaldi, Lempitsky, "Instance Normalization", 2016.
       https://arxiv.org/abs/1607.08022
"""

import keras

from kgen import checks
from kgen.networks.dense import _units


def _initializer(seed, i):
    """The released code's initialization: weights ~ N(0, 0.02)."""
    return keras.initializers.RandomNormal(0.0, 0.02, seed=None if seed is None else seed + i)


def _instance_norm():
    """Instance normalization: one group per channel (``groups=-1``), with a learned
    scale and offset per channel."""
    return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)


def _image_shape(image_shape, downsamples):
    image_shape = _units("image_shape", image_shape)
    if len(image_shape) != 3 or any(s % 2 ** downsamples for s in image_shape[:2]):
        raise ValueError(f"`image_shape` must be (height, width, channels) with height and "
                         f"width divisible by 2**downsamples = {2 ** downsamples}. "
                         f"Received: image_shape={image_shape}")
    return image_shape


def cyclegan_generator(image_shape=(28, 28, 1), output_channels=None, base_filters=16,
                       residual_blocks=4, downsamples=2, seed=None, name="generator"):
    """The ResNet generator of CycleGAN (Zhu et al. 2017, app. 7.2), scaled down.

    ``c7s1-k, d2k, d4k, R4k x residual_blocks, u2k, uk, c7s1-C`` with
    ``k = base_filters`` and two down-samplings (``downsamples``): a 7x7 convolution,
    stride-2 3x3 convolutions doubling the channels, residual blocks of two 3x3
    convolutions (``x + IN(conv(ReLU(IN(conv(x)))))``), stride-2 3x3 transposed
    convolutions halving them, and a 7x7 convolution to the output channels with tanh.
    Every hidden convolution is followed by instance normalization and ReLU, so it has
    no bias (instance norm would cancel it). For 28x28x1 and the defaults:
    28x28x16 -> 14x14x32 -> 7x7x64 (4 residual blocks) -> 14x14x32 -> 28x28x16 ->
    28x28x1. The paper pads by reflection; Keras has no reflection-padding layer that
    loads with ``safe_mode=True``, so the convolutions zero-pad (``"same"``).

    Args:
        image_shape: ``(height, width, channels)`` of the input, both sizes divisible
            by ``2 ** downsamples``.
        output_channels: channels of the output; default the input's.
        base_filters: int, k, the channels of the first layer.
        residual_blocks: int >= 0 (the paper: 6 at 128x128, 9 at 256x256).
        downsamples: int >= 0, the stride-2 steps down (and up).
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[batch, *image_shape]``, in [-1, 1].
    Output shape: ``[batch, height, width, output_channels]``, in [-1, 1] (tanh).

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError / TypeError: naming ``image_shape``, ``output_channels``,
            ``base_filters``, ``residual_blocks`` or ``downsamples``.

    Example:

    >>> g = kgen.networks.cyclegan_generator((28, 28, 1))
    >>> g.output_shape
    (None, 28, 28, 1)
    """
    downsamples = checks.positive_int("downsamples", downsamples, minimum=0)
    image_shape = _image_shape(image_shape, downsamples)
    channels = checks.positive_int("output_channels", output_channels or image_shape[-1])
    base_filters = checks.positive_int("base_filters", base_filters)
    residual_blocks = checks.positive_int("residual_blocks", residual_blocks, minimum=0)
    layers, count = keras.layers, iter(range(10**6))

    def conv(h, filters, kernel, strides=1, transpose=False, norm=True):
        kind = layers.Conv2DTranspose if transpose else layers.Conv2D
        h = kind(filters, kernel, strides=strides, padding="same", use_bias=not norm,
                 kernel_initializer=_initializer(seed, next(count)))(h)
        return _instance_norm()(h) if norm else h

    x = keras.Input(image_shape, name="x")
    h = layers.ReLU()(conv(x, base_filters, 7))
    for i in range(downsamples):
        h = layers.ReLU()(conv(h, base_filters * 2 ** (i + 1), 3, strides=2))
    filters = base_filters * 2 ** downsamples
    for _ in range(residual_blocks):
        r = conv(layers.ReLU()(conv(h, filters, 3)), filters, 3)
        h = layers.Add()([h, r])
    for i in reversed(range(downsamples)):
        h = layers.ReLU()(conv(h, base_filters * 2 ** i, 3, strides=2, transpose=True))
    out = layers.Conv2D(channels, 7, padding="same", activation="tanh",
                        kernel_initializer=_initializer(seed, next(count)))(h)
    return keras.Model(x, out, name=name)


def patchgan_discriminator(image_shape=(28, 28, 1), base_filters=32, downsamples=2,
                           seed=None, name="discriminator"):
    """A PatchGAN discriminator (Isola et al. 2017; Zhu et al. 2017, app. 7.2), scaled
    down: one raw (least-squares) output per overlapping image patch.

    ``downsamples`` blocks ``C-k`` of stride-2 4x4 convolutions with LeakyReLU(0.2),
    doubling the channels from ``base_filters`` (instance normalization and no bias
    after the first), then a stride-1 4x4 convolution to one channel. For 28x28 and
    the defaults: 28 -> 14x14x32 -> 7x7x64 -> a 7x7 map of outputs, each seeing a
    22x22 patch (receptive field (((1 - 1) + 4 - 1) * 2 + 4 - 1) * 2 + 4). The
    paper's 70x70 PatchGAN for 256x256 images has three stride-2 blocks and one of
    stride 1.

    Args:
        image_shape: ``(height, width, channels)``, sizes divisible by
            ``2 ** downsamples``.
        base_filters: int, the channels of the first block.
        downsamples: int >= 1, the stride-2 blocks.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[batch, *image_shape]``.
    Output shape: ``[batch, height / 2**downsamples, width / 2**downsamples, 1]``.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError / TypeError: naming ``image_shape``, ``base_filters`` or
            ``downsamples``.

    Example:

    >>> d = kgen.networks.patchgan_discriminator((28, 28, 1))
    >>> d.output_shape
    (None, 7, 7, 1)
    """
    downsamples = checks.positive_int("downsamples", downsamples)
    image_shape = _image_shape(image_shape, downsamples)
    base_filters = checks.positive_int("base_filters", base_filters)
    x = keras.Input(image_shape, name="x")
    h = x
    for i in range(downsamples):
        h = keras.layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same",
                                use_bias=i == 0, kernel_initializer=_initializer(seed, i))(h)
        if i > 0:
            h = _instance_norm()(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    out = keras.layers.Conv2D(1, 4, padding="same",
                              kernel_initializer=_initializer(seed, downsamples))(h)
    return keras.Model(x, out, name=name)


__all__ = ["cyclegan_generator", "patchgan_discriminator"]
