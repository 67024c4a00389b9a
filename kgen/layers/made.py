"""MADE: masked autoencoder for distribution estimation (Germain et al. 2015)."""

import keras
import numpy as np
from keras import ops

from kgen import checks
from kgen.serialization import register_serializable
from kgen.layers.masked_dense import MaskedDense

_ORDERS = ("left-to-right", "right-to-left")


def _fresh(initializer, index=0):
    """A new instance of ``initializer`` for the ``index``-th layer that uses it, so that
    layers sharing it do not draw identical weights: unseeded, each instance draws its
    own; seeded (an int ``seed``), layer ``index`` gets ``seed + index``."""
    config = initializer.get_config()
    if isinstance(config.get("seed"), int):
        config["seed"] += index
    return type(initializer).from_config(config)


def made_degrees(event_size, hidden_units, input_order="left-to-right"):
    """The degrees of every layer of a deterministic MADE.

    Input unit ``j`` gets degree ``j + 1`` (left-to-right) or ``D - j``
    (right-to-left). Hidden units cycle through ``1, ..., D - 1`` so that every
    degree is present as soon as a layer has ``D - 1`` units (degree 0, i.e.
    no input at all, when ``D = 1``). No randomness: the same arguments give
    the same network.

    Returns:
        A list of int arrays: the input degrees, then one per hidden layer.
    """
    inputs = np.arange(1, event_size + 1)
    if input_order == "right-to-left":
        inputs = inputs[::-1]
    low, span = min(1, event_size - 1), max(1, event_size - 1)
    return [inputs] + [low + np.arange(units) % span for units in hidden_units]


@register_serializable
class MADE(keras.layers.Layer):
    """Masked autoencoder for distribution estimation, as a Keras layer.

    An MLP from `x` (`[batch, event_size]`) to `params` outputs per
    dimension, in which output `i` depends only on the inputs that come
    before `i` in `input_order` (Germain et al. 2015,
    https://arxiv.org/abs/1502.03509, sec. 4). Each weight matrix is
    multiplied by a binary mask built from degrees: input `j` has degree
    `j + 1` in the order, hidden units cycle deterministically through
    `1, ..., event_size - 1`, a hidden unit sees units of degree `<=` its
    own and an output of degree `d` sees hidden units of degree `< d`.

    With `context_units`, a context vector (e.g. the `h` of an inverse
    autoregressive flow, Kingma et al. 2016, https://arxiv.org/abs/1606.04934,
    sec. 3) is added through an unmasked dense map to every hidden layer's
    pre-activation and to the output, so that every output, the first one
    included, depends on it; the autoregressive property in `x` is kept.

    The output layer (and the context's map to it) starts near zero
    (`output_kernel_initializer`, bias zero), so that a flow driven by a
    fresh MADE is close to the identity.

    Args:
        event_size: int >= 1, the dimension `D` of `x`.
        hidden_units: tuple of ints >= 1, width of each hidden layer. Use at
            least `event_size - 1` units per layer to reach every ordering.
        params: int >= 1, outputs per dimension (2 for shift and log-scale).
        activation: activation of the hidden layers.
        input_order: `"left-to-right"` (output `i` sees `x[:i]`) or
            `"right-to-left"` (output `i` sees `x[i + 1:]`).
        context_units: optional int >= 1, the size of the context input.
        kernel_initializer: initializer of the hidden and context kernels.
        output_kernel_initializer: initializer of the output kernels; default
            `RandomNormal(stddev=1e-3)` (near zero, yet every weight still
            receives a gradient).
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        x: tensor `[..., event_size]`.
        context: tensor `[..., context_units]`, required if and only if
            `context_units` is set.

    Input shape:
        `[..., event_size]`.

    Output shape:
        `[..., event_size, params]`.

    Raises:
        ValueError: on a bad argument (`event_size=0`, `params=0`, an unknown
            `input_order`, `context_units=0`), on an input whose last
            dimension is not `event_size`, and when
            `context` is missing, unexpected or of the wrong size.
        TypeError: on non-integer sizes.

    Example:

    >>> made = MADE(event_size=4, hidden_units=(32, 32), params=2)
    >>> made(np.zeros((8, 4), "float32")).shape
    (8, 4, 2)
    """

    def __init__(self, event_size, hidden_units=(64, 64), params=2, activation="relu",
                 input_order="left-to-right", context_units=None,
                 kernel_initializer="glorot_uniform", output_kernel_initializer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.event_size = checks.positive_int("event_size", event_size)
        if isinstance(hidden_units, int):
            hidden_units = (hidden_units,)
        if not isinstance(hidden_units, (tuple, list)):
            raise ValueError(
                "`hidden_units` must be a tuple of integers >= 1. "
                f"Received: hidden_units={hidden_units!r}"
            )
        self.hidden_units = tuple(checks.positive_int("hidden_units", u) for u in hidden_units)
        self.params = checks.positive_int("params", params)
        self.activation = keras.activations.get(activation)
        self.input_order = checks.one_of("input_order", input_order, set(_ORDERS))
        self.context_units = (None if context_units is None
                              else checks.positive_int("context_units", context_units))
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self._output_init_config = (None if output_kernel_initializer is None else
                                    keras.initializers.get(output_kernel_initializer))
        output_init = self._output_init_config or keras.initializers.RandomNormal(stddev=1e-3)

        degrees = made_degrees(self.event_size, self.hidden_units, self.input_order)
        self.hidden_layers = [
            MaskedDense(degrees[i], degrees[i + 1],
                        kernel_initializer=_fresh(self.kernel_initializer, i), name=f"hidden_{i}")
            for i in range(len(self.hidden_units))
        ]
        self.context_layers = [
            keras.layers.Dense(units, use_bias=False, kernel_initializer=_fresh(init, 100 + i),
                               name=f"context_{i}")
            for i, (units, init) in enumerate(
                [(u, self.kernel_initializer) for u in self.hidden_units]
                + [(self.event_size * self.params, output_init)])
        ] if self.context_units else []
        self.output_layer = MaskedDense(degrees[-1], np.repeat(degrees[0], self.params),
                                        strict=True, kernel_initializer=_fresh(output_init),
                                        name="output")

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.event_size:
            raise ValueError(
                f"`x` must have last dimension event_size={self.event_size}. "
                f"Received: x.shape={tuple(input_shape)}"
            )
        width = self.event_size
        for layer in self.hidden_layers:
            layer.build((None, width))
            width = layer.units
        self.output_layer.build((None, width))
        for layer in self.context_layers:
            layer.build((None, self.context_units))

    def call(self, x, context=None):
        self._check_context(context)
        h = x
        for i, layer in enumerate(self.hidden_layers):
            pre = layer(h)
            if context is not None:
                pre = ops.add(pre, self.context_layers[i](context))
            h = self.activation(pre)
        out = self.output_layer(h)
        if context is not None:
            out = ops.add(out, self.context_layers[-1](context))
        return ops.reshape(out, tuple(ops.shape(x)[:-1]) + (self.event_size, self.params))

    def _check_context(self, context):
        if context is None and self.context_units is not None:
            raise ValueError(
                f"`context` is required: this MADE has context_units={self.context_units}. "
                "Received: context=None"
            )
        if context is not None and self.context_units is None:
            raise ValueError(
                "`context` was given but this MADE has context_units=None. "
                f"Received: context.shape={tuple(context.shape)}"
            )
        if context is not None and context.shape[-1] not in (None, self.context_units):
            raise ValueError(
                f"`context` must have last dimension context_units={self.context_units}. "
                f"Received: context.shape={tuple(context.shape)}"
            )

    def compute_output_shape(self, x_shape, context_shape=None):
        return tuple(x_shape[:-1]) + (self.event_size, self.params)

    def get_config(self):
        return {
            **super().get_config(),
            "event_size": self.event_size,
            "hidden_units": list(self.hidden_units),
            "params": self.params,
            "activation": keras.activations.serialize(self.activation),
            "input_order": self.input_order,
            "context_units": self.context_units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "output_kernel_initializer": (
                None if self._output_init_config is None
                else keras.initializers.serialize(self._output_init_config)),
        }


__all__ = ["MADE", "made_degrees"]
