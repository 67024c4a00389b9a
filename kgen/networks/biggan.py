"""BigGAN's networks (Brock et al. 2019), sized for 28x28 or 32x32 images on a CPU.

References:
    1. Brock, Donahue, Simonyan, "Large Scale GAN Training for High Fidelity Natural
       Image Synthesis", ICLR 2019. https://arxiv.org/abs/1809.11096
    2. Zhang, Goodfellow, Metaxas, Odena, "Self-Attention Generative Adversarial
       Networks", ICML 2019. https://arxiv.org/abs/1805.08318
    3. Miyato, Koyama, "cGANs with Projection Discriminator", ICLR 2018.
       https://arxiv.org/abs/1802.05637
    4. Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative
       Adversarial Networks", ICLR 2018. https://arxiv.org/abs/1802.05957
"""

import itertools

import keras

from kgen import checks
from kgen.layers.conditional_batch_norm import ConditionalBatchNormalization
from kgen.layers.orthogonal_regularizer import OffDiagonalOrthogonalRegularizer
from kgen.layers.self_attention import SelfAttention
from kgen.networks.gan import _labels_input, _levels, _one_hot


class _Builder:
    """Seeded orthogonal initializers (BigGAN's ``G_init='ortho'``) and optional
    spectral normalization and regularizer for every kernel of one network."""

    def __init__(self, seed, spectral_norm, regularizer=None):
        self.seeds = itertools.count(0 if seed is None else seed, 8)  # room for copies
        self.seeded = seed is not None
        self.spectral_norm, self.regularizer = spectral_norm, regularizer

    def initializer(self):
        seed = next(self.seeds)
        return keras.initializers.Orthogonal(seed=seed if self.seeded else None)

    def wrap(self, layer, name=None):
        if not self.spectral_norm:
            return layer
        return keras.layers.SpectralNormalization(layer, name=name and f"{name}_sn")

    def conv(self, filters, size, use_bias=True):
        return self.wrap(keras.layers.Conv2D(
            filters, size, padding="same", use_bias=use_bias,
            kernel_initializer=self.initializer(), kernel_regularizer=self.regularizer))

    def dense(self, units, name):
        return self.wrap(keras.layers.Dense(units, kernel_initializer=self.initializer(),
                                            kernel_regularizer=self.regularizer, name=name),
                         name)

    def attention(self, resolution):
        return SelfAttention(pool=True, spectral_norm=self.spectral_norm,
                             kernel_initializer=self.initializer(),
                             kernel_regularizer=self.regularizer,
                             name=f"attention_{resolution}")


def _attention_resolution(value, resolutions):
    if value is not None and value not in resolutions:
        raise ValueError(f"`attention_resolution` must be None or one of the blocks' "
                         f"resolutions {sorted(set(resolutions))}. Received: "
                         f"attention_resolution={value!r}")
    return value


def biggan_generator(latent_dim=60, num_classes=10, event_shape=(28, 28, 1),
                     base_channels=32, embedding_dim=32, attention_resolution=14,
                     orthogonal_weight=1e-4, spectral_norm=True, synchronized=True, seed=None,
                     name="generator"):
    """BigGAN's generator G(z, y): hierarchical latents, a shared class embedding,
    residual up-blocks with class-conditional BN, self-attention, tanh output.

    z is split into ``steps + 1`` equal chunks (``steps`` = the number of 2x
    up-samplings from the bottom map: 2 for 28x28, 3 for 32x32). The first chunk alone
    is projected to the bottom map (size 7 or 4, ``base_channels * 2**steps``
    channels); block i gets the condition ``c_i = [embedding(y), chunk i+1]`` for both
    of its conditional BNs (Brock et al. 2019, sec. 3 and fig. 15: the class enters
    only through the gains and biases). A block is BigGAN's G ResBlock::

        h = conv3x3(relu(CBN2(conv3x3(up(relu(CBN1(x, c)))), c)))
        out = h + conv1x1(up(x))          channels halve per block

    then ``SelfAttention`` (keys and values max-pooled) after the block whose output
    has ``attention_resolution``, and BN, ReLU, a 3x3 convolution and tanh. For
    ``(28, 28, 1)`` and the defaults: z(60) -> 7x7x128 -> 14x14x64 (attention) ->
    28x28x32 -> 28x28x1. Every convolution and dense layer (and the conditional
    gains and biases, and the attention's 1x1 convolutions) is spectrally normalized
    and initialized orthogonally, and carries BigGAN's orthogonal regularization
    (``OffDiagonalOrthogonalRegularizer(orthogonal_weight)``; not the shared
    embedding, as in BigGAN's code). The BNs use synchronized (cross-replica)
    statistics.

    Args:
        latent_dim: int, the size of z, a multiple of ``steps + 1``.
        num_classes: int >= 2.
        event_shape: ``(size, size, channels)``, size halving to <= 7 (28, 32, 64).
        base_channels: int, channels of the last block (doubled per level down).
        embedding_dim: int, the size of the shared class embedding.
        attention_resolution: ``None`` or the output size of one block (14 or 28 for
            28x28 images).
        orthogonal_weight: float >= 0, beta of the orthogonal regularization (0: none).
        spectral_norm: bool.
        synchronized: bool, cross-replica BN statistics.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[z, labels]``: ``[batch, latent_dim]`` float, ``[batch]`` int.
    Output shape: ``[batch, *event_shape]`` in [-1, 1].

    Returns:
        A functional ``keras.Model``; block i's condition is the output of its layer
        ``block{i}_condition``.

    Raises:
        ValueError / TypeError: naming ``latent_dim``, ``num_classes``,
            ``event_shape``, ``base_channels``, ``embedding_dim``,
            ``attention_resolution`` or ``orthogonal_weight``.

    Example:

    >>> g = kgen.networks.biggan_generator(60, 10, (28, 28, 1), seed=0)
    >>> g([z, labels])       # [batch, 28, 28, 1]
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
    base_channels = checks.positive_int("base_channels", base_channels)
    embedding_dim = checks.positive_int("embedding_dim", embedding_dim)
    event_shape, size, steps = _shape(event_shape)
    if latent_dim % (steps + 1):
        raise ValueError(f"`latent_dim` must be a multiple of {steps + 1} (one chunk of z "
                         f"for the bottom map and one per block of {event_shape[:2]} "
                         f"images). Received: latent_dim={latent_dim}")
    resolutions = [size * 2 ** (i + 1) for i in range(steps)]
    attention_resolution = _attention_resolution(attention_resolution, resolutions)
    weight = checks.non_negative_float("orthogonal_weight", orthogonal_weight)
    build = _Builder(seed, spectral_norm, OffDiagonalOrthogonalRegularizer(weight)
                     if weight > 0 else None)
    z, labels = keras.Input((latent_dim,), name="z"), _labels_input()
    chunk = latent_dim // (steps + 1)
    chunks = [z[:, i * chunk:(i + 1) * chunk] for i in range(steps + 1)]
    shared = keras.layers.Embedding(num_classes, embedding_dim, name="shared_embedding",
                                    embeddings_initializer=build.initializer())(labels)
    channels = base_channels * 2 ** steps
    h = build.dense(size * size * channels, "bottom")(chunks[0])
    h = keras.layers.Reshape((size, size, channels), name="bottom_map")(h)
    for i in range(steps):
        condition = keras.layers.Concatenate(name=f"block{i}_condition")(
            [shared, chunks[i + 1]])
        channels //= 2
        h = _up_block(h, condition, channels, i, build, synchronized)
        if resolutions[i] == attention_resolution:
            h = build.attention(resolutions[i])(h)
    h = keras.layers.BatchNormalization(epsilon=1e-4, synchronized=synchronized)(h)
    h = keras.layers.ReLU()(h)
    h = build.conv(event_shape[-1], 3)(h)
    return keras.Model([z, labels], keras.layers.Activation("tanh")(h), name=name)


def _cbn(build, synchronized, name):
    return ConditionalBatchNormalization(
        synchronized=synchronized, spectral_norm=build.spectral_norm,
        kernel_initializer=build.initializer(), kernel_regularizer=build.regularizer,
        name=name)


def _up_block(x, condition, filters, i, build, synchronized):
    h = _cbn(build, synchronized, f"block{i}_cbn1")([x, condition])
    h = keras.layers.UpSampling2D(2)(keras.layers.ReLU()(h))
    h = build.conv(filters, 3)(h)
    h = _cbn(build, synchronized, f"block{i}_cbn2")([h, condition])
    h = build.conv(filters, 3)(keras.layers.ReLU()(h))
    shortcut = build.conv(filters, 1)(keras.layers.UpSampling2D(2)(x))
    return keras.layers.Add()([h, shortcut])


def biggan_discriminator(event_shape=(28, 28, 1), num_classes=10, base_channels=32,
                         attention_resolution=14, spectral_norm=True, seed=None,
                         name="discriminator"):
    """BigGAN's discriminator D(x, y): residual down-blocks with spectral norm,
    self-attention and the projection head of Miyato & Koyama 2018.

    ``steps`` blocks halve the map (28 -> 14 -> 7) doubling the channels from
    ``base_channels``, then one block keeps its size. A block is BigGAN's D ResBlock::

        h = avgpool(conv3x3(relu(conv3x3(relu(x)))))   (no first relu in block 0)
        out = h + avgpool(conv1x1(x))                   (block 0: conv1x1(avgpool(x)))

    ``SelfAttention`` follows the block whose output has ``attention_resolution``.
    The head sums relu(h) over positions to phi(x) (``[batch, C]``) and returns
    ``psi(phi(x)) + embed(y) . phi(x)``: a linear output plus the inner product of a
    class embedding with the features (Miyato & Koyama 2018, sec. 3). For
    ``(28, 28, 1)`` and the defaults: 28 -> 14x14x32 (attention) -> 7x7x64 -> 7x7x64
    -> 1. Every layer with a kernel, the class embedding (a bias-free dense map of
    the one-hot label) included, is spectrally normalized; no batch norm.

    Args:
        event_shape: ``(size, size, channels)``, size halving to <= 7 (28, 32, 64).
        num_classes: int >= 2.
        base_channels: int, channels of the first block.
        attention_resolution: ``None`` or the output size of a down-block (14 or 7
            for 28x28 images).
        spectral_norm: bool.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[x, labels]``: ``[batch, *event_shape]``, ``[batch]`` int.
    Output shape: ``[batch, 1]``, raw (a hinge-loss critic value).

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError / TypeError: naming ``num_classes``, ``event_shape``,
            ``base_channels`` or ``attention_resolution``.

    Example:

    >>> d = kgen.networks.biggan_discriminator((28, 28, 1), 10, seed=1)
    >>> d([x, labels])       # [batch, 1]
    """
    num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
    base_channels = checks.positive_int("base_channels", base_channels)
    event_shape, size, steps = _shape(event_shape)
    resolutions = [event_shape[0] // 2 ** (i + 1) for i in range(steps)] + [size]
    attention_resolution = _attention_resolution(attention_resolution, resolutions)
    build = _Builder(seed, spectral_norm)
    x, labels = keras.Input(event_shape, name="x"), _labels_input()
    h, attended = x, False
    for i in range(steps + 1):
        filters = base_channels * 2 ** min(i, steps - 1)
        h = _down_block(h, filters, i < steps, i > 0, build)
        if resolutions[i] == attention_resolution and not attended:
            h, attended = build.attention(resolutions[i])(h), True
    h = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(h))
    features = keras.layers.Rescaling(float(size * size), name="sum_pool")(h)
    out = build.dense(1, "linear")(features)
    # The class embedding as a bias-free dense map of the one-hot label: Keras's
    # SpectralNormalization of an Embedding casts its output to the labels' int dtype
    # (no gradient, rounded values); this is the same matrix and spectral norm.
    embed = build.wrap(keras.layers.Dense(filters, use_bias=False, name="class_embedding",
                                          kernel_initializer=build.initializer()),
                       "class_embedding")
    projection = keras.layers.Dot(axes=1, name="projection")(
        [embed(_one_hot(labels, num_classes)), features])
    return keras.Model([x, labels], keras.layers.Add()([out, projection]), name=name)


def _down_block(x, filters, downsample, preactivation, build):
    h = keras.layers.ReLU()(x) if preactivation else x
    h = build.conv(filters, 3)(h)
    h = build.conv(filters, 3)(keras.layers.ReLU()(h))
    pool = keras.layers.AveragePooling2D(2) if downsample else None
    h = pool(h) if pool else h
    shortcut = x
    if preactivation:
        shortcut = build.conv(filters, 1)(shortcut)
        shortcut = keras.layers.AveragePooling2D(2)(shortcut) if downsample else shortcut
    else:
        shortcut = keras.layers.AveragePooling2D(2)(shortcut) if downsample else shortcut
        shortcut = build.conv(filters, 1)(shortcut)
    return keras.layers.Add()([h, shortcut])


def _shape(event_shape):
    try:
        return _levels(event_shape)
    except (TypeError, ValueError) as e:
        raise type(e)(str(e).replace("image_shape", "event_shape")) from e


__all__ = ["biggan_discriminator", "biggan_generator"]
