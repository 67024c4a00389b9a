"""A dense layer with a fixed binary connectivity mask (the block of MADE)."""

import keras
import numpy as np
from keras import ops

from kgen import checks
from kgen.serialization import register_serializable


def _degrees(name, degrees):
    """Checks a sequence of integer degrees (>= 0) and returns it as a tuple."""
    if isinstance(degrees, np.ndarray):
        degrees = degrees.tolist()
    if not isinstance(degrees, (list, tuple)) or not degrees:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of integers >= 0. "
            f"Received: {name}={degrees!r}"
        )
    return tuple(checks.positive_int(name, d, minimum=0) for d in degrees)


def degree_mask(input_degrees, output_degrees, strict=False):
    """The binary mask ``[len(input_degrees), len(output_degrees)]`` of MADE.

    Unit ``k`` of the output may see unit ``j`` of the input iff
    ``output_degrees[k] >= input_degrees[j]`` (hidden layers), or ``>``
    when ``strict`` (the output layer), as in Germain et al. 2015,
    arXiv:1502.03509, eq. 12-13.
    """
    inp = np.asarray(input_degrees)[:, None]
    out = np.asarray(output_degrees)[None, :]
    return (out > inp if strict else out >= inp).astype(np.float32)


@register_serializable
class MaskedDense(keras.layers.Layer):
    """Densely-connected layer whose kernel is multiplied by a fixed binary mask.

    `MaskedDense` computes
    `output = activation(dot(inputs, kernel * mask) + bias)`
    where `mask[j, k] = 1` iff output unit `k` may depend on input unit `j`.
    The mask is built from integer *degrees* as in MADE (Germain et al. 2015,
    https://arxiv.org/abs/1502.03509, eq. 12-13): `mask[j, k] = 1` iff
    `output_degrees[k] >= input_degrees[j]`, or `>` when `strict=True`.
    The mask is a constant, not a weight: it is rebuilt from the degrees
    (which are in the config), so it is never trained and never saved.

    Args:
        input_degrees: sequence of ints >= 0, one per input unit.
        output_degrees: sequence of ints >= 0, one per output unit; the
            number of units is `len(output_degrees)`.
        strict: bool. `False` for hidden layers (`>=`), `True` for the
            output layer of an autoregressive network (`>`).
        activation: activation function or name; `None` is linear.
        use_bias: bool, whether the layer adds a bias vector.
        kernel_initializer: initializer for the (unmasked) kernel.
        bias_initializer: initializer for the bias vector.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        inputs: tensor `(batch_size, ..., len(input_degrees))`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., len(input_degrees))`.

    Output shape:
        N-D tensor with shape `(batch_size, ..., len(output_degrees))`.

    Raises:
        ValueError: if a degree sequence is empty or holds negative values,
            or if the input's last dimension is not `len(input_degrees)`.

    Example:

    >>> layer = MaskedDense(input_degrees=[1, 2, 3], output_degrees=[1, 2],
    ...                     strict=True)
    >>> layer(np.ones((4, 3))).shape     # output 0 sees no input, 1 sees x0
    (4, 2)
    """

    def __init__(self, input_degrees, output_degrees, strict=False, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.input_degrees = _degrees("input_degrees", input_degrees)
        self.output_degrees = _degrees("output_degrees", output_degrees)
        self.strict = bool(strict)
        self.units = len(self.output_degrees)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.mask = degree_mask(self.input_degrees, self.output_degrees, self.strict)

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != len(self.input_degrees):
            raise ValueError(
                f"`inputs` must have last dimension len(input_degrees)="
                f"{len(self.input_degrees)}. Received: inputs.shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(name="kernel", shape=self.mask.shape,
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.units,),
                                     initializer=self.bias_initializer)
                     if self.use_bias else None)

    def call(self, inputs):
        kernel = ops.multiply(self.kernel, ops.cast(self.mask, self.kernel.dtype))
        outputs = ops.matmul(inputs, kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "input_degrees": list(self.input_degrees),
            "output_degrees": list(self.output_degrees),
            "strict": self.strict,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }


__all__ = ["MaskedDense", "degree_mask"]
