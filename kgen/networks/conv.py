"""Convolutional encoders and decoders for small images (e.g. 28x28)."""

import keras

from kgen import checks
from kgen.networks.dense import _units


def conv_encoder(input_shape, filters=(32, 64), hidden_units=256, activation="relu",
                 name="encoder"):
    """Builds a strided-conv encoder: ``len(filters)`` 3x3 stride-2 convs, then a dense layer.

    Args:
        input_shape: ``(height, width, channels)``.
        filters: tuple of ints, channels of each stride-2 convolution.
        hidden_units: width of the final dense layer (the features).
        activation: Keras activation name.
        name: model name.

    Input shape: ``[batch, height, width, channels]``.
    Output shape: ``[batch, hidden_units]``.

    Raises:
        ValueError: if ``input_shape`` is not ``(h, w, c)``.
    """
    input_shape = _units("input_shape", input_shape)
    if len(input_shape) != 3:
        raise ValueError(
            f"`input_shape` must be (height, width, channels). Received: input_shape={input_shape}"
        )
    filters = _units("filters", filters)
    hidden_units = checks.positive_int("hidden_units", hidden_units)
    inputs = keras.Input(input_shape, name="x")
    h = inputs
    for i, f in enumerate(filters):
        h = keras.layers.Conv2D(f, 3, strides=2, padding="same", activation=activation,
                                name=f"conv_{i}")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(hidden_units, activation=activation, name="dense")(h)
    return keras.Model(inputs, h, name=name)


def conv_decoder(latent_dim, output_shape, filters=(64, 32), activation="relu",
                 name="decoder"):
    """Builds a transposed-conv decoder mirroring ``conv_encoder``.

    The latent code is mapped densely to a ``(h / 2^n, w / 2^n, filters[0])``
    feature map, upsampled by ``n = len(filters)`` stride-2 transposed
    convolutions and projected to ``channels`` outputs per pixel.

    Args:
        latent_dim: int, dimension of z.
        output_shape: ``(height, width, channels)``; height and width must be
            divisible by ``2 ** len(filters)``.
        filters: tuple of ints, channels of each transposed convolution.
        activation: Keras activation name.
        name: model name.

    Input shape: ``[batch, latent_dim]``.
    Output shape: ``[batch, height, width, channels]`` (unconstrained values).

    Raises:
        ValueError: if the sizes do not divide.
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    output_shape = _units("output_shape", output_shape)
    filters = _units("filters", filters)
    if len(output_shape) != 3:
        raise ValueError(
            f"`output_shape` must be (height, width, channels). Received: output_shape={output_shape}"
        )
    height, width, channels = output_shape
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ValueError(
            f"`output_shape` height and width must be divisible by 2**len(filters)={factor}. "
            f"Received: output_shape={output_shape}, filters={filters}"
        )
    inputs = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense((height // factor) * (width // factor) * filters[0],
                           activation=activation, name="dense")(inputs)
    h = keras.layers.Reshape((height // factor, width // factor, filters[0]))(h)
    for i, f in enumerate(filters):
        h = keras.layers.Conv2DTranspose(f, 3, strides=2, padding="same",
                                         activation=activation, name=f"deconv_{i}")(h)
    outputs = keras.layers.Conv2D(channels, 3, padding="same", name="params")(h)
    return keras.Model(inputs, outputs, name=name)
