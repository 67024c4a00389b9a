"""Multi-layer perceptron encoders and decoders."""

import math

import keras

from kgen import checks


def _units(name, units):
    if isinstance(units, int):
        units = (units,)
    return tuple(checks.positive_int(name, u) for u in units)


def mlp_encoder(input_shape, hidden_units=(200, 200), activation="tanh", name="encoder"):
    """Builds an MLP that flattens an example and returns features.

    The IWAE paper's one-stochastic-layer MNIST encoder is
    ``mlp_encoder((28, 28, 1), (200, 200), "tanh")`` (Burda et al. 2016,
    arXiv:1509.00519, sec. 5.1).

    Args:
        input_shape: shape of one example, e.g. ``(28, 28, 1)``.
        hidden_units: int or tuple of ints, the width of each hidden layer.
        activation: Keras activation name.
        name: model name.

    Input shape: ``[batch, *input_shape]``.
    Output shape: ``[batch, hidden_units[-1]]``.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError / TypeError: on non-positive or non-integer sizes.
    """
    input_shape = _units("input_shape", input_shape)
    hidden_units = _units("hidden_units", hidden_units)
    inputs = keras.Input(input_shape, name="x")
    h = keras.layers.Flatten()(inputs)
    for i, units in enumerate(hidden_units):
        h = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(h)
    return keras.Model(inputs, h, name=name)


def mlp_decoder(latent_dim, output_shape, hidden_units=(200, 200), activation="tanh",
                name="decoder"):
    """Builds an MLP from a latent code to one value per data dimension.

    The output is unconstrained (logits of a Bernoulli, mean of a Gaussian,
    location of a discretized logistic); the likelihood layer interprets it.

    Args:
        latent_dim: int, dimension of z.
        output_shape: shape of one example, e.g. ``(28, 28, 1)``.
        hidden_units: int or tuple of ints.
        activation: Keras activation name.
        name: model name.

    Input shape: ``[batch, latent_dim]``.
    Output shape: ``[batch, *output_shape]``.

    Returns:
        A functional ``keras.Model``.
    """
    latent_dim = checks.positive_int("latent_dim", latent_dim)
    output_shape = _units("output_shape", output_shape)
    hidden_units = _units("hidden_units", hidden_units)
    inputs = keras.Input((latent_dim,), name="z")
    h = inputs
    for i, units in enumerate(hidden_units):
        h = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(h)
    h = keras.layers.Dense(math.prod(output_shape), name="params")(h)
    outputs = keras.layers.Reshape(output_shape)(h)
    return keras.Model(inputs, outputs, name=name)
