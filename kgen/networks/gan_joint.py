"""Networks of adversarially learned inference (BiGAN / ALI): an encoder x -> z and a
joint discriminator D(x, z), as MLPs for vector toys and DCGAN-style for images.

References:
    1. Donahue, Krähenbühl, Darrell, "Adversarial Feature Learning", ICLR 2017.
       https://arxiv.org/abs/1605.09782
    2. Dumoulin et al., "Adversarially Learned Inference", ICLR 2017.
       https://arxiv.org/abs/1606.00704
"""

import keras

from kgen import checks
from kgen.networks.dense import _units
from kgen.networks.gan import NORMALIZATIONS, _glorot, _initializer, _levels, _maybe_spectral
from kgen.networks.gan import _mlp, _sub_seed


def mlp_gan_encoder(input_dim=2, latent_dim=2, hidden_units=(128, 128), activation="relu",
                    seed=None, name="encoder"):
    """An MLP encoder E(x) for BiGAN on vectors: hidden layers -> a linear
    ``latent_dim`` output (a deterministic encoder, Donahue et al. 2016, sec. 3).

    Args:
        input_dim: int, the size of an example.
        latent_dim: int, the size of z.
        hidden_units: int or tuple of ints.
        activation: Keras activation of the hidden layers.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[batch, input_dim]``. Output shape: ``[batch, latent_dim]``.

    Returns:
        A functional ``keras.Model``.
    """
    input_dim = checks.positive_int("input_dim", input_dim)
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    x = keras.Input((input_dim,), name="x")
    h = _mlp(x, _units("hidden_units", hidden_units), activation, False, seed)
    out = keras.layers.Dense(latent_dim, kernel_initializer=_glorot(seed, 99))(h)
    return keras.Model(x, out, name=name)


def mlp_joint_discriminator(input_dim=2, latent_dim=2, hidden_units=(128, 128),
                            activation="relu", spectral_norm=False, seed=None,
                            name="discriminator"):
    """An MLP joint discriminator D(x, z): [x, z] concatenated -> hidden layers -> one
    linear output (a logit).

    Args:
        input_dim: int, the size of an example.
        latent_dim: int, the size of z.
        hidden_units: int or tuple of ints.
        activation: Keras activation of the hidden layers.
        spectral_norm: bool, wrap every Dense layer in
            ``keras.layers.SpectralNormalization``.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[[batch, input_dim], [batch, latent_dim]]``. Output shape:
    ``[batch, 1]``.

    Returns:
        A functional ``keras.Model``.
    """
    input_dim = checks.positive_int("input_dim", input_dim)
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    x, z = keras.Input((input_dim,), name="x"), keras.Input((latent_dim,), name="z")
    h = _mlp(keras.layers.Concatenate()([x, z]), _units("hidden_units", hidden_units),
             activation, spectral_norm, seed)
    out = _maybe_spectral(keras.layers.Dense(1, kernel_initializer=_glorot(seed, 99)),
                          spectral_norm)(h)
    return keras.Model([x, z], out, name=name)


def _conv_features(x, image_shape, normalization, base_filters, spectral_norm, seed):
    """The DCGAN discriminator's body: stride-2 4x4 convolutions doubling the channels,
    LeakyReLU(0.2), no normalization on the first; flattened."""
    checks.one_of("normalization", normalization, NORMALIZATIONS)
    base_filters = checks.positive_int("base_filters", base_filters)
    _, _, steps = _levels(image_shape)
    h = x
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
    return keras.layers.Flatten()(h), steps


def dcgan_encoder(image_shape=(28, 28, 1), latent_dim=100, normalization="batch",
                  base_filters=64, seed=None, name="encoder"):
    """A DCGAN-style encoder E(x): the DCGAN discriminator's convolutions, then a linear
    ``latent_dim`` output (BiGAN's encoder, Donahue et al. 2016, sec. 4).

    Args:
        image_shape: ``(size, size, channels)``.
        latent_dim: int, the size of z.
        normalization: ``"batch"``, ``"layer"`` or ``None``.
        base_filters: int, channels of the first layer.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[batch, *image_shape]``. Output shape: ``[batch, latent_dim]``.

    Returns:
        A functional ``keras.Model``.
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    image_shape, _, _ = _levels(image_shape)
    x = keras.Input(image_shape, name="x")
    h, steps = _conv_features(x, image_shape, normalization, base_filters, False, seed)
    out = keras.layers.Dense(latent_dim, kernel_initializer=_initializer(_sub_seed(seed, steps)))
    return keras.Model(x, out(h), name=name)


def dcgan_joint_discriminator(image_shape=(28, 28, 1), latent_dim=100, base_filters=64,
                              hidden_units=512, normalization=None, spectral_norm=False,
                              seed=None, name="discriminator"):
    """A joint discriminator D(x, z) for images: the DCGAN convolutions on x, a Dense
    layer on z, both concatenated -> a ``hidden_units`` LeakyReLU layer -> one linear
    output (the three parts of ALI's D_x, D_z and D_xz, Dumoulin et al. 2016, app. A).

    Args:
        image_shape: ``(size, size, channels)``.
        latent_dim: int, the size of z.
        base_filters: int, channels of the first convolution.
        hidden_units: int, the width of the z layer and of the joint layer.
        normalization: ``"batch"``, ``"layer"`` or ``None`` for the convolutions.
        spectral_norm: bool, wrap every convolution and Dense layer in
            ``keras.layers.SpectralNormalization``.
        seed: optional int seeding the initial weights.
        name: model name.

    Input shape: ``[[batch, *image_shape], [batch, latent_dim]]``. Output shape:
    ``[batch, 1]``.

    Returns:
        A functional ``keras.Model``.
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    hidden_units = checks.positive_int("hidden_units", hidden_units)
    image_shape, _, _ = _levels(image_shape)
    x, z = keras.Input(image_shape, name="x"), keras.Input((latent_dim,), name="z")
    h, steps = _conv_features(x, image_shape, normalization, base_filters, spectral_norm, seed)

    def dense(units, i):
        return _maybe_spectral(keras.layers.Dense(
            units, kernel_initializer=_initializer(_sub_seed(seed, steps + i))), spectral_norm)

    hz = keras.layers.LeakyReLU(0.2)(dense(hidden_units, 0)(z))
    h = keras.layers.LeakyReLU(0.2)(dense(hidden_units, 1)(keras.layers.Concatenate()([h, hz])))
    return keras.Model([x, z], dense(1, 2)(h), name=name)
