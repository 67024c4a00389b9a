"""GAN generators and discriminators: DCGAN (Radford et al. 2015) and MLPs for 2-D toys.

References:
    1. Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep
       Convolutional Generative Adversarial Networks", ICLR 2016.
       https://arxiv.org/abs/1511.06434
    2. Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for Generative
       Adversarial Networks", ICLR 2018. https://arxiv.org/abs/1802.05957
    3. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017 (layer
       norm instead of batch norm in a critic with a gradient penalty).
       https://arxiv.org/abs/1704.00028
"""

import keras

from kgen import checks
from kgen.networks.dense import _units

NORMALIZATIONS = ("batch", "layer", None)


def _initializer(seed):
    """DCGAN's initialization: weights ~ N(0, 0.02) (Radford et al., sec. 4)."""
    return keras.initializers.RandomNormal(0.0, 0.02, seed=seed)


def _sub_seed(seed, i):
    return None if seed is None else seed + i


def _levels(image_shape):
    """``(size at the bottom, number of stride-2 steps)`` of a square image: halve
    while even and above 7 (28 -> 7 in 2, 32 -> 4 in 3, 64 -> 4 in 4)."""
    image_shape = _units("image_shape", image_shape)
    if len(image_shape) != 3 or image_shape[0] != image_shape[1]:
        raise ValueError(f"`image_shape` must be (size, size, channels). "
                         f"Received: image_shape={image_shape}")
    size, steps = image_shape[0], 0
    while size % 2 == 0 and size > 7:
        size, steps = size // 2, steps + 1
    if steps == 0:
        raise ValueError(f"`image_shape` must have an even size above 7 (e.g. 28 or 32). "
                         f"Received: image_shape={image_shape}")
    return image_shape, size, steps


def _maybe_spectral(layer, spectral_norm):
    return keras.layers.SpectralNormalization(layer) if spectral_norm else layer


def dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), base_filters=64,
                    batch_norm=True, seed=None, name="generator", num_classes=None,
                    code_dim=None):
    """The DCGAN generator: a projection to a small map, then stride-2 transposed
    convolutions (4x4 kernels) halving the channels, ReLU, tanh output.

    For ``(28, 28, 1)``: z -> 7x7x256 -> 14x14x128 -> 28x28x1; for ``(32, 32, 3)``:
    z -> 4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x3 (Radford et al. 2015, fig. 1,
    with ``base_filters`` = 64 at the last hidden map). Batch norm after every hidden
    layer (not the output), weights ~ N(0, 0.02).

    Args:
        latent_dim: int, the size of z.
        image_shape: ``(size, size, channels)``; the size halves down to <= 7.
        base_filters: int, channels of the last hidden map (doubled per level up).
        batch_norm: bool; False for a generator whose weights are averaged (EMA).
        seed: optional int seeding the initial weights.
        name: model name.
        num_classes: ``None``, or an int >= 2: a conditional generator G(z, y) taking
            ``[z, labels]``, the one-hot label concatenated to z (Mirza & Osindero
            2014, arXiv:1411.1784, sec. 4.1).
        code_dim: ``None``, or an int >= 1: an InfoGAN generator G(z, c) taking
            ``[z, codes]``, the ``[batch, code_dim]`` codes concatenated to z (Chen
            et al. 2016, arXiv:1606.03657).

    Input shape: ``[batch, latent_dim]`` (and ``[batch]`` int labels or
    ``[batch, code_dim]`` codes).
    Output shape: ``[batch, *image_shape]`` in [-1, 1].

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError / TypeError: on a bad size or shape.
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    base_filters = checks.positive_int("base_filters", base_filters)
    image_shape, size, steps = _levels(image_shape)
    filters = base_filters * 2 ** (steps - 1)
    z, h = _noise_input(latent_dim, num_classes, code_dim)
    h = keras.layers.Dense(size * size * 2 * filters, use_bias=not batch_norm,
                           kernel_initializer=_initializer(_sub_seed(seed, 0)))(h)
    h = keras.layers.Reshape((size, size, 2 * filters))(h)
    for i in range(steps):
        if batch_norm:
            h = keras.layers.BatchNormalization()(h)
        h = keras.layers.ReLU()(h)
        last = i == steps - 1
        h = keras.layers.Conv2DTranspose(
            image_shape[-1] if last else filters // 2 ** i, 4, strides=2, padding="same",
            use_bias=last or not batch_norm, activation="tanh" if last else None,
            kernel_initializer=_initializer(_sub_seed(seed, i + 1)))(h)
    return keras.Model(z, h, name=name)


def dcgan_discriminator(image_shape=(28, 28, 1), normalization="batch", base_filters=64,
                        spectral_norm=False, seed=None, name="discriminator",
                        num_classes=None, auxiliary_classifier=False, q_units=None):
    """The DCGAN discriminator: stride-2 4x4 convolutions doubling the channels from
    ``base_filters``, LeakyReLU(0.2), no normalization on the first layer, one linear
    output (a logit or critic value).

    For ``(28, 28, 1)``: 28 -> 14x14x64 -> 7x7x128 -> 1; for ``(32, 32, 3)``:
    32 -> 16x16x64 -> 8x8x128 -> 4x4x256 -> 1.

    Args:
        image_shape: ``(size, size, channels)``.
        normalization: ``"batch"`` (DCGAN), ``"layer"`` (for ``wasserstein_gp``,
            Gulrajani et al. sec. 4) or ``None`` (e.g. with spectral norm).
        base_filters: int, channels of the first layer.
        spectral_norm: bool, wrap every convolution and the output layer in
            ``keras.layers.SpectralNormalization`` (Miyato et al. 2018).
        seed: optional int seeding the initial weights.
        name: model name.
        num_classes: ``None``, or an int >= 2: a conditional discriminator D(x, y)
            taking ``[x, labels]``, the one-hot label tiled over the image as extra
            channels (Mirza & Osindero 2014); with ``auxiliary_classifier`` instead
            D takes x only and has a second head of class logits (AC-GAN, Odena et
            al. 2017, arXiv:1610.09585, sec. 3).
        auxiliary_classifier: bool, see ``num_classes``.
        q_units: ``None``, or an int >= 1: a second linear head ``q`` of that width
            on the last hidden features, InfoGAN's Q(c | x) sharing D's body (Chen
            et al. 2016, arXiv:1606.03657, sec. 5).

    Input shape: ``[batch, *image_shape]`` (and ``[batch]`` int labels).
    Output shape: ``[batch, 1]`` (and ``[batch, num_classes]`` class logits or
    ``[batch, q_units]``).

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError / TypeError: naming ``normalization``, ``image_shape`` or a size.
    """
    checks.one_of("normalization", normalization, NORMALIZATIONS)
    base_filters = checks.positive_int("base_filters", base_filters)
    image_shape, _, steps = _levels(image_shape)
    x, h, labels = _data_input(image_shape, num_classes, auxiliary_classifier)
    if labels is not None:  # one-hot maps of the label beside the image's channels
        y = keras.layers.Reshape((1, 1, num_classes))(_one_hot(labels, num_classes))
        h = keras.layers.Concatenate()(
            [h, keras.layers.UpSampling2D(image_shape[:2])(y)])
    for i in range(steps):
        conv = keras.layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same",
                                   use_bias=i == 0 or normalization is None,
                                   kernel_initializer=_initializer(_sub_seed(seed, i)))
        h = _maybe_spectral(conv, spectral_norm)(h)
        if i > 0 and normalization == "batch":
            h = keras.layers.BatchNormalization()(h)
        elif i > 0 and normalization == "layer":
            h = keras.layers.LayerNormalization(axis=(1, 2, 3))(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Flatten()(h)
    out = _maybe_spectral(keras.layers.Dense(
        1, kernel_initializer=_initializer(_sub_seed(seed, steps))), spectral_norm)(h)
    return _discriminator_model(x, h, out, num_classes, auxiliary_classifier,
                                _initializer(_sub_seed(seed, steps + 1)), name, q_units)


def mlp_generator(latent_dim=2, output_dim=2, hidden_units=(128, 128, 128),
                  activation="relu", output_activation=None, seed=None, name="generator",
                  num_classes=None, code_dim=None):
    """An MLP generator for 2-D toys: z -> hidden layers -> ``output_dim``, linear output
    by default (the toys are unbounded).

    Args:
        latent_dim: int, the size of z.
        output_dim: int, the size of an example.
        hidden_units: int or tuple of ints.
        activation: Keras activation of the hidden layers.
        output_activation: ``None`` (linear) or an activation name (``"tanh"``).
        seed: optional int seeding the initial weights.
        name: model name.
        num_classes, code_dim: as ``dcgan_generator``'s.

    Input shape: ``[batch, latent_dim]``. Output shape: ``[batch, output_dim]``.

    Returns:
        A functional ``keras.Model``.
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    output_dim = checks.positive_int("output_dim", output_dim)
    z, h = _noise_input(latent_dim, num_classes, code_dim)
    h = _mlp(h, _units("hidden_units", hidden_units), activation, False, seed)
    out = keras.layers.Dense(output_dim, activation=output_activation,
                             kernel_initializer=_glorot(seed, 99))(h)
    return keras.Model(z, out, name=name)


def mlp_discriminator(input_dim=2, hidden_units=(128, 128, 128), activation="relu",
                      spectral_norm=False, seed=None, name="discriminator",
                      num_classes=None, auxiliary_classifier=False, q_units=None):
    """An MLP discriminator for 2-D toys: hidden layers -> one linear output.

    Args:
        input_dim: int, the size of an example.
        hidden_units: int or tuple of ints.
        activation: Keras activation of the hidden layers.
        spectral_norm: bool, wrap every Dense layer in
            ``keras.layers.SpectralNormalization``.
        seed: optional int seeding the initial weights.
        name: model name.
        num_classes, auxiliary_classifier, q_units: as ``dcgan_discriminator``'s
            (the one-hot label concatenated to x).

    Input shape: ``[batch, input_dim]``. Output shape: ``[batch, 1]``.

    Returns:
        A functional ``keras.Model``.
    """
    input_dim = checks.positive_int("input_dim", input_dim)
    x, h, labels = _data_input((input_dim,), num_classes, auxiliary_classifier)
    if labels is not None:
        h = keras.layers.Concatenate()([h, _one_hot(labels, num_classes)])
    h = _mlp(h, _units("hidden_units", hidden_units), activation, spectral_norm, seed)
    out = _maybe_spectral(keras.layers.Dense(1, kernel_initializer=_glorot(seed, 99)),
                          spectral_norm)(h)
    return _discriminator_model(x, h, out, num_classes, auxiliary_classifier,
                                _glorot(seed, 100), name, q_units)


def _glorot(seed, i):
    return keras.initializers.GlorotUniform(seed=_sub_seed(seed, i))


def _mlp(h, hidden_units, activation, spectral_norm, seed):
    for i, units in enumerate(hidden_units):
        dense = keras.layers.Dense(units, activation=activation,
                                   kernel_initializer=_glorot(seed, i))
        h = _maybe_spectral(dense, spectral_norm)(h)
    return h


# --- conditional inputs (Mirza & Osindero 2014) and the AC-GAN head (Odena et al. 2017) ---
def _checked_classes(num_classes):
    return None if num_classes is None else checks.positive_int("num_classes", num_classes,
                                                                minimum=2)


def _one_hot(labels, num_classes):
    return keras.layers.CategoryEncoding(num_classes, output_mode="one_hot")(labels)


def _labels_input():
    return keras.Input((), dtype="int32", name="labels")


def _noise_input(latent_dim, num_classes, code_dim=None):
    """``(inputs, h)``: z, ``[z, labels]`` with h = [z, one_hot(labels)], or ``[z, codes]``
    with h = [z, codes]."""
    z = keras.Input((latent_dim,), name="z")
    num_classes = _checked_classes(num_classes)
    if code_dim is not None:
        code_dim = checks.positive_int("code_dim", code_dim)
        if num_classes is not None:
            raise ValueError(f"`code_dim` and `num_classes` exclude each other. Received: "
                             f"code_dim={code_dim}, num_classes={num_classes}")
        codes = keras.Input((code_dim,), name="codes")
        return [z, codes], keras.layers.Concatenate()([z, codes])
    if num_classes is None:
        return z, z
    labels = _labels_input()
    return [z, labels], keras.layers.Concatenate()([z, _one_hot(labels, num_classes)])


def _data_input(shape, num_classes, auxiliary_classifier):
    """``(inputs, x, labels)``: labels is the labels input of a conditional D, else None."""
    x = keras.Input(shape, name="x")
    num_classes = _checked_classes(num_classes)
    if auxiliary_classifier and num_classes is None:
        raise ValueError("`auxiliary_classifier` needs `num_classes`. Received: "
                         "auxiliary_classifier=True, num_classes=None")
    if num_classes is None or auxiliary_classifier:
        return x, x, None
    labels = _labels_input()
    return [x, labels], x, labels


def _discriminator_model(inputs, h, out, num_classes, auxiliary_classifier, initializer,
                         name, q_units=None):
    if q_units is not None:
        q_units = checks.positive_int("q_units", q_units)
        if auxiliary_classifier:
            raise ValueError(f"`q_units` and `auxiliary_classifier` exclude each other. "
                             f"Received: q_units={q_units}, auxiliary_classifier=True")
        q = keras.layers.Dense(q_units, kernel_initializer=initializer, name="q")(h)
        return keras.Model(inputs, [out, q], name=name)
    if not auxiliary_classifier:
        return keras.Model(inputs, out, name=name)
    logits = keras.layers.Dense(num_classes, kernel_initializer=initializer,
                                name="class_logits")(h)
    return keras.Model(inputs, [out, logits], name=name)
