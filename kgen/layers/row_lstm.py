"""The Row LSTM layer of PixelRNN: rows top to bottom, masked convolutions (van den Oord 2016)."""

import keras
import numpy as np
from keras import ops

from kgen import checks
from kgen.layers.masked_conv import conv_mask
from kgen.serialization import register_serializable


def gate_mask(kernel_size, in_channels, units, num_colours=1):
    """The mask ``[kernel_size, in_channels, 4 units]`` of an input-to-state convolution
    along a row (columns ``j - k//2 ... j + k//2``): the columns left of the centre are
    seen, the right ones are not, and the centre has PixelCNN's colour mask "B"
    (``conv_mask``), the same for each of the four gates' ``units`` channels."""
    centre = kernel_size // 2
    row = conv_mask(kernel_size, in_channels, units, "B", num_colours)[centre]
    return np.concatenate([row] * 4, axis=-1)


def lstm_update(gates, cell):
    """One LSTM step from ``gates = [o, f, i, g]`` (split on the last axis) and the
    previous ``cell``: ``c = sigmoid(f) c + sigmoid(i) tanh(g)``, ``h = sigmoid(o)
    tanh(c)`` (van den Oord et al. 2016, eq. 3). Returns ``(h, c)``."""
    o, f, i, g = ops.split(gates, 4, axis=-1)
    cell = ops.sigmoid(f) * cell + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(cell), cell


def static_size(shape, axis, name="inputs"):
    """``shape[axis]`` as an int; the recurrences are unrolled over it, so it must be known."""
    size = shape[axis]
    if size is None:
        raise ValueError(f"`{name}` must have a known size on axis {axis} (the layer unrolls "
                         f"its recurrence over it). Received: shape {tuple(shape)}")
    return int(size)


@register_serializable
class RowLSTM(keras.layers.Layer):
    """Row LSTM of PixelRNN: an LSTM that runs over the rows of an image, top to bottom.

    van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
    https://arxiv.org/abs/1601.06759, sec. 3.1 and eq. 3. Row ``i`` of the
    state is computed at once from

        [o, f, i, g] = K_is (*) x_i + K_ss (*) h_{i-1}
        c_i = sigmoid(f) c_{i-1} + sigmoid(i) tanh(g),  h_i = sigmoid(o) tanh(c_i)

    where ``K_is (*) x_i`` is a ``1 x kernel_size`` convolution along row
    ``i`` of the input, masked so that column ``j`` sees columns ``< j`` and,
    at ``j``, the colours up to its own (mask "B", colour groups R -> G -> B
    as in ``kgen.layers.MaskedConv2D``; computed for the whole map in one
    convolution), and ``K_ss (*) h_{i-1}`` a ``kernel_size`` 1-D convolution
    over the previous row's state (all columns ``j - k//2 ... j + k//2``).
    The state starts at zero above the first row. A pixel's state depends on
    the rows above within a triangle widening by ``k // 2`` columns a row and,
    on its own row, on the ``k // 2`` pixels to its left (more through the
    layers below): with a mask-"A" first layer in front, the outputs are
    causal in raster order.

    The recurrence is unrolled over the rows (the height must be known when
    the layer is called); masks are applied in ``call``.

    Args:
        units: int >= 1, the LSTM's state channels.
        kernel_size: odd int >= 1, both convolutions' width; default 3.
        num_colours: int >= 1, the colour groups of the channels.
        kernel_initializer: initializer of the input-to-state kernel.
        recurrent_initializer: initializer of the state-to-state kernel.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[batch, height, width, channels]``.

    Input shape:
        ``[batch, height, width, channels]``, ``height`` known.

    Output shape:
        ``[batch, height, width, units]``: the state ``h`` at every pixel.

    Raises:
        ValueError: on an even ``kernel_size`` or an unknown height; TypeError
            on non-integer sizes.

    Example:

    >>> layer = RowLSTM(8, kernel_size=3)
    >>> layer(np.zeros((2, 5, 5, 16), "float32")).shape
    (2, 5, 5, 8)
    """

    def __init__(self, units, kernel_size=3, num_colours=1, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", **kwargs):
        super().__init__(**kwargs)
        self.units = checks.positive_int("units", units)
        self.kernel_size = checks.positive_int("kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd (the mask needs a centre pixel). "
                             f"Received: kernel_size={kernel_size}")
        self.num_colours = checks.positive_int("num_colours", num_colours)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)

    def build(self, input_shape):
        in_channels, k, u = int(input_shape[-1]), self.kernel_size, self.units
        self.input_mask = gate_mask(k, in_channels, u, self.num_colours)[None]
        self.input_kernel = self.add_weight(name="input_kernel", shape=self.input_mask.shape,
                                            initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(4 * u,), initializer="zeros")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(k, u, 4 * u),
                                                initializer=self.recurrent_initializer)

    def input_to_state(self, inputs):
        """``K_is (*) x + b`` for every row at once, ``[batch, height, width, 4 units]``."""
        kernel = self.input_kernel * ops.cast(self.input_mask, self.input_kernel.dtype)
        return ops.conv(inputs, kernel, strides=1, padding="same") + self.bias

    def call(self, inputs):
        height = static_size(inputs.shape, 1)
        # One unstack, not a slice a row: the gradient of each slice would be a whole map.
        gates = ops.unstack(self.input_to_state(inputs), height, axis=1)
        h, c = lstm_update(gates[0], ops.zeros_like(gates[0][..., :self.units]))
        rows = [h]
        for row in gates[1:]:
            recurrent = ops.conv(h, self.recurrent_kernel, strides=1, padding="same")
            h, c = lstm_update(row + recurrent, c)
            rows.append(h)
        return ops.stack(rows, axis=1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_size": self.kernel_size,
            "num_colours": self.num_colours,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
        }


__all__ = ["RowLSTM", "gate_mask", "lstm_update", "static_size"]
