"""The Diagonal BiLSTM layer of PixelRNN: skewed maps, two diagonal LSTMs (van den Oord 2016)."""

import keras
import numpy as np
from keras import ops

from kgen import checks
from kgen.layers.gated_pixelcnn import shift_down
from kgen.layers.row_lstm import gate_mask, lstm_update, static_size
from kgen.serialization import register_serializable

DIRECTIONS = ("left_to_right", "right_to_left")


def skew(x):
    """``[batch, H, W, C]`` to ``[batch, H, W + H - 1, C]`` with row ``r`` moved right by
    ``r`` columns (zeros elsewhere): pixel ``(r, j)`` lands in column ``r + j``, so each
    column holds one diagonal of the image (van den Oord et al. 2016, Fig. 3)."""
    height, width, channels = (static_size(x.shape, a, "x") for a in (1, 2, 3))
    flat = ops.reshape(ops.pad(x, [[0, 0], [0, 0], [0, height], [0, 0]]),
                       (-1, height * (width + height), channels))
    return ops.reshape(flat[:, :height * (width + height - 1)],
                       (-1, height, width + height - 1, channels))


def unskew(y, width):
    """The inverse of ``skew``: ``[batch, H, width + H - 1, C]`` to ``[batch, H, width, C]``."""
    height, channels = static_size(y.shape, 1, "y"), static_size(y.shape, 3, "y")
    flat = ops.reshape(y, (-1, height * (width + height - 1), channels))
    flat = ops.pad(flat, [[0, 0], [0, height], [0, 0]])
    return ops.reshape(flat, (-1, height, width + height, channels))[:, :, :width]


@register_serializable
class DiagonalBiLSTM(keras.layers.Layer):
    """Diagonal BiLSTM of PixelRNN: two LSTMs sweep the image's diagonals.

    van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
    https://arxiv.org/abs/1601.06759, sec. 3.2 and Fig. 3. The input-to-state
    term is a 1x1 convolution (mask "B": at a pixel, the colours up to its own,
    colour groups R -> G -> B as in ``kgen.layers.MaskedConv2D``). Its map is
    skewed (``skew``: row ``r`` moved right by ``r``) so that each column is a
    diagonal, and an LSTM (eq. 3) runs over the columns left to right; its
    state-to-state term is a 2x1 convolution over the previous column, which
    in image coordinates reads the states of the pixel above and of the pixel
    to the left:

        [o, f, i, g] = K_is x(i, j) + K_ss [h(i - 1, j), h(i, j - 1)]

    The state is zero outside the image. The output is unskewed. The
    left-to-right direction sees every pixel above-left of (and at) its own;
    the right-to-left direction is the same on the image mirrored in width
    (the pixels above-right), whose state at ``(i, j)`` also reads ``(i, j +
    1)``, a pixel after ``(i, j)``: its output map is moved down one row
    (``shift_down``), so pixel ``(i, j)`` gets its state of ``(i - 1, j)``,
    before the two maps are added. A pixel's output then depends on every
    pixel above it and to its left and on none after it: with a mask-"A"
    first layer in front, the outputs are causal in raster order. (Behind a
    mask-"A" ``k x k`` first layer, the last pixel of the row above stays
    hidden from the pixels more than ``k // 2`` columns left of it: it is
    hidden from its own row, all that the shifted right-to-left sweep reads
    there. Everything else before a pixel is in its receptive field.)

    The recurrence is unrolled over the ``width + height - 1`` diagonals (the
    sizes must be known when the layer is called); masks are applied in
    ``call``.

    Args:
        units: int >= 1, the state channels of each direction.
        num_colours: int >= 1, the colour groups of the channels.
        kernel_initializer: initializer of the input-to-state kernels.
        recurrent_initializer: initializer of the state-to-state kernels.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[batch, height, width, channels]``.

    Input shape:
        ``[batch, height, width, channels]``, ``height`` and ``width`` known.

    Output shape:
        ``[batch, height, width, units]``: the left-to-right state plus the
        right-to-left state of the pixel above.

    Raises:
        ValueError: on unknown sizes; TypeError on non-integer sizes.

    Example:

    >>> layer = DiagonalBiLSTM(8)
    >>> layer(np.zeros((2, 5, 5, 16), "float32")).shape
    (2, 5, 5, 8)
    """

    def __init__(self, units, num_colours=1, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", **kwargs):
        super().__init__(**kwargs)
        self.units = checks.positive_int("units", units)
        self.num_colours = checks.positive_int("num_colours", num_colours)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)

    def build(self, input_shape):
        in_channels, u = int(input_shape[-1]), self.units
        self.input_mask = gate_mask(1, in_channels, u, self.num_colours)[0]
        self.input_kernels, self.biases, self.recurrent_kernels = [], [], []
        for direction in DIRECTIONS:
            self.input_kernels.append(self.add_weight(
                name=f"{direction}_input_kernel", shape=self.input_mask.shape,
                initializer=self.kernel_initializer))
            self.biases.append(self.add_weight(name=f"{direction}_bias", shape=(4 * u,),
                                               initializer="zeros"))
            # [the pixel above; the pixel to the left] -> gates
            self.recurrent_kernels.append(self.add_weight(
                name=f"{direction}_recurrent_kernel", shape=(2 * u, 4 * u),
                initializer=self.recurrent_initializer))

    def sweep(self, gates):
        """The LSTM over the columns of skewed input-to-state ``gates`` ``[2 batch, H, W + H
        - 1, 4 units]`` (both directions stacked on the batch axis, left-to-right first, so
        that one op serves both): the skewed states, ``[2 batch, H, W + H - 1, units]``."""
        height, steps, u = static_size(gates.shape, 1), static_size(gates.shape, 2), self.units
        width = steps - height + 1
        columns = np.arange(steps)[None, :] - np.arange(height)[:, None]
        inside = ((columns >= 0) & (columns < width)).astype(np.float32)[:, :, None]
        recurrent_kernels = ops.concatenate([k[None] for k in self.recurrent_kernels], axis=0)
        # One unstack, not a slice a step: the gradient of each slice would be a whole map.
        diagonals = ops.unstack(gates, steps, axis=2)
        h = c = ops.zeros_like(diagonals[0][..., :u])
        states = []
        for d, diagonal in enumerate(diagonals):
            above = ops.pad(h, [[0, 0], [1, 0], [0, 0]])[:, :-1]
            previous = ops.reshape(ops.concatenate([above, h], axis=-1), (2, -1, 2 * u))
            recurrent = ops.reshape(ops.matmul(previous, recurrent_kernels), (-1, height, 4 * u))
            h, c = lstm_update(diagonal + recurrent, c)
            h, c = h * inside[:, d], c * inside[:, d]
            states.append(h)
        return ops.stack(states, axis=2)

    def call(self, inputs):
        width = static_size(inputs.shape, 2)
        mirrored = (inputs, ops.flip(inputs, axis=2))
        gates = [ops.matmul(x, kernel * ops.cast(self.input_mask, kernel.dtype)) + bias
                 for x, kernel, bias in zip(mirrored, self.input_kernels, self.biases)]
        states = unskew(self.sweep(skew(ops.concatenate(gates, axis=0))), width)
        left, right = ops.split(states, 2, axis=0)
        return left + shift_down(ops.flip(right, axis=2))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_colours": self.num_colours,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
        }


__all__ = ["DIRECTIONS", "DiagonalBiLSTM", "skew", "unskew"]
