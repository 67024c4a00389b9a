"""The gated layer of Gated PixelCNN: a vertical and a horizontal stack (van den Oord et al. 2016)."""

import keras
import numpy as np
from keras import ops

from kgen import checks
from kgen.layers.masked_conv import MASK_TYPES, conv_mask
from kgen.serialization import register_serializable


def horizontal_mask(kernel_size, in_channels, filters, mask_type, num_colours=1):
    """The mask ``[1, k // 2 + 1, in_channels, 2 filters]`` of the horizontal ``1 x (k//2+1)``
    convolution (columns ``j - k//2 ... j``): the columns left of the centre are seen; at the
    centre, PixelCNN's colour mask ``"A"`` / ``"B"`` (``conv_mask``), the same for the tanh
    half and the sigmoid half of the gate's ``2 filters`` channels."""
    centre = kernel_size // 2
    row = conv_mask(kernel_size, in_channels, filters, mask_type, num_colours)[centre, :centre + 1]
    return np.concatenate([row, row], axis=-1)[None]


def gate(pre):
    """``tanh(f) * sigmoid(g)`` of ``pre = [f, g]`` split on the last axis (eq. 2)."""
    f, g = ops.split(pre, 2, axis=-1)
    return ops.tanh(f) * ops.sigmoid(g)


def shift_down(x):
    """Rows moved down by one, a zero row on top: row ``i`` holds row ``i - 1``."""
    return ops.pad(x, [[0, 0], [1, 0], [0, 0], [0, 0]])[:, :-1]


@register_serializable
class GatedPixelCNNBlock(keras.layers.Layer):
    """One gated layer of Gated PixelCNN, with a vertical and a horizontal stack.

    van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
    Decoders", https://arxiv.org/abs/1606.05328, sec. 2.1-2.3 and Fig. 2.
    With ``c = kernel_size // 2`` and ``p = filters``:

    - vertical stack: a ``(c + 1) x k`` convolution over rows ``i - c ... i``
      (all ``k`` columns around ``j``) gives ``v_pre`` (``2p`` channels);
      ``v_out = tanh(v_f) * sigmoid(v_g)`` (eq. 2). Row ``i`` of the vertical
      stack sees rows ``<= i``, so it only reaches the horizontal stack moved
      down one row (``shift_down``): a pixel sees every row above it, the
      whole width of its receptive field, and no blind spot is left.
    - horizontal stack: a ``1 x (c + 1)`` convolution over columns ``j - c
      ... j`` of row ``i`` (the centre masked "A" in the first layer, "B"
      later, with colour groups R -> G -> B as in ``kgen.layers.MaskedConv2D``)
      plus a 1x1 map of the shifted ``v_pre`` gives ``h_pre``;
      ``h_out = W_o gate(h_pre) + b_o``, plus the input ``h`` (the residual)
      for mask "B".
    - condition ``y`` (``[batch, condition_dim]``, a one-hot label or any
      embedding): ``V_f^T y`` and ``V_g^T y`` are added to both stacks'
      pre-activations (eq. 4), one vector per example for every position.

    Masks are applied in ``call`` (``kernel * mask``), never written into a
    kernel. The methods ``vertical_preactivation``, ``condition_terms``,
    ``link`` and ``horizontal_output`` are the pieces of ``call``, so that an
    exact cached sampler (``kgen.models.autoregressive.CachedSampler``) can
    run them one row or one pixel at a time.

    Args:
        filters: int p >= 1, the gated units of each stack.
        kernel_size: odd int k >= 1.
        mask_type: ``"A"`` (the first layer, whose inputs are the image;
            no residual) or ``"B"`` (later layers, ``filters`` input channels).
        num_colours: int >= 1, the colour groups of the channels.
        condition_dim: optional int >= 1, the width of the condition ``y``.
        vertical_output: bool; False for the last layer, whose vertical stack
            feeds only its horizontal stack: no ``v_out`` (and no condition
            weights for it) is made, and ``call`` returns ``h_out`` alone.
        kernel_initializer: initializer of every kernel.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[v, h]`` or ``[v, h, y]``: the vertical and horizontal stacks
            ``[batch, height, width, channels]`` and the condition
            ``[batch, condition_dim]``.

    Output shape:
        ``(v_out, h_out)``, each ``[batch, height, width, filters]`` (``h_out``
        alone without ``vertical_output``).

    Raises:
        ValueError: on a mask type other than "A" / "B", an even
            ``kernel_size``, a mask-"B" layer whose horizontal input does not
            have ``filters`` channels, or a condition that the layer was not
            given ``condition_dim`` for (or is missing); TypeError on
            non-integer sizes.

    Example:

    >>> block = GatedPixelCNNBlock(16, 3, mask_type="A", condition_dim=10)
    >>> x = np.zeros((2, 8, 8, 1), "float32")
    >>> v, h = block([x, x, np.eye(10, dtype="float32")[:2]])
    >>> v.shape, h.shape
    ((2, 8, 8, 16), (2, 8, 8, 16))
    """

    def __init__(self, filters, kernel_size, mask_type="B", num_colours=1, condition_dim=None,
                 vertical_output=True, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.filters = checks.positive_int("filters", filters)
        self.kernel_size = checks.positive_int("kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd (a mask needs a centre pixel). "
                             f"Received: kernel_size={kernel_size}")
        self.mask_type = checks.one_of("mask_type", mask_type, set(MASK_TYPES))
        self.num_colours = checks.positive_int("num_colours", num_colours)
        self.condition_dim = (None if condition_dim is None
                              else checks.positive_int("condition_dim", condition_dim))
        self.vertical_output = bool(vertical_output)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        v_in, h_in = int(input_shape[0][-1]), int(input_shape[1][-1])
        k, c, p = self.kernel_size, self.kernel_size // 2, self.filters
        if self.mask_type == "B" and h_in != p:
            raise ValueError(f"A mask-'B' layer adds its input to its output, so its horizontal "
                             f"input must have filters={p} channels. Received: {h_in} channels")
        if (len(input_shape) > 2) != (self.condition_dim is not None):
            raise ValueError(f"`inputs` must be [v, h, y] with condition_dim="
                             f"{self.condition_dim}, else [v, h]. Received: "
                             f"{len(input_shape)} inputs")

        def weight(name, shape, initializer=None):
            return self.add_weight(name=name, shape=shape,
                                   initializer=initializer or self.kernel_initializer)

        self.vertical_kernel = weight("vertical_kernel", (c + 1, k, v_in, 2 * p))
        self.vertical_bias = weight("vertical_bias", (2 * p,), "zeros")
        self.horizontal_mask = horizontal_mask(k, h_in, p, self.mask_type, self.num_colours)
        self.horizontal_kernel = weight("horizontal_kernel", self.horizontal_mask.shape)
        self.horizontal_bias = weight("horizontal_bias", (2 * p,), "zeros")
        self.link_kernel = weight("link_kernel", (2 * p, 2 * p))
        self.output_mask = conv_mask(1, p, p, "B", self.num_colours)[0, 0]
        self.output_kernel = weight("output_kernel", (p, p))
        self.output_bias = weight("output_bias", (p,), "zeros")
        if self.condition_dim is not None:
            if self.vertical_output:
                self.vertical_condition = weight("vertical_condition",
                                                 (self.condition_dim, 2 * p))
            self.horizontal_condition = weight("horizontal_condition",
                                               (self.condition_dim, 2 * p))

    # --- the pieces of call ------------------------------------------------------
    def vertical_preactivation(self, rows):
        """``v_pre`` of the vertical ``(c + 1) x k`` convolution over ``rows``, ``[batch,
        r + c, width, channels]`` holding the ``c`` rows above the first output row: ``[batch,
        r, width, 2 filters]``, row ``i`` from input rows ``i ... i + c`` (unpadded on top)."""
        c = self.kernel_size // 2
        rows = ops.pad(rows, [[0, 0], [0, 0], [c, c], [0, 0]])
        return ops.conv(rows, self.vertical_kernel, strides=1, padding="valid") + self.vertical_bias

    def condition_terms(self, y):
        """``(V_v^T y, V_h^T y)``, each ``[batch, 2 filters]``; 0 without ``y`` (and the
        first without ``vertical_output``)."""
        if y is None:
            return 0.0, 0.0
        v_y = ops.matmul(y, self.vertical_condition) if self.vertical_output else 0.0
        return v_y, ops.matmul(y, self.horizontal_condition)

    def link(self, v_pre_above):
        """The vertical stack's term in ``h_pre``: the 1x1 map of ``v_pre`` of the row above."""
        return ops.matmul(v_pre_above, self.link_kernel)

    def horizontal_output(self, h, h_pre):
        """``h_out = W_o gate(h_pre) + b_o`` (+ ``h`` for mask "B"), any leading shape."""
        kernel = self.output_kernel * ops.cast(self.output_mask, self.output_kernel.dtype)
        out = ops.matmul(gate(h_pre), kernel) + self.output_bias
        return out + h if self.mask_type == "B" else out

    def masked_horizontal_kernel(self):
        """``horizontal_kernel * horizontal_mask``, ``[1, c + 1, channels, 2 filters]``."""
        return self.horizontal_kernel * ops.cast(self.horizontal_mask,
                                                 self.horizontal_kernel.dtype)

    def call(self, inputs):
        v, h = inputs[0], inputs[1]
        y = inputs[2] if len(inputs) > 2 else None
        c = self.kernel_size // 2
        v_y, h_y = self.condition_terms(y)
        if y is not None:
            h_y = h_y[:, None, None, :]
            v_y = v_y[:, None, None, :] if self.vertical_output else v_y
        v_pre = self.vertical_preactivation(ops.pad(v, [[0, 0], [c, 0], [0, 0], [0, 0]]))
        h_conv = ops.conv(ops.pad(h, [[0, 0], [0, 0], [c, 0], [0, 0]]),
                          self.masked_horizontal_kernel(), strides=1, padding="valid")
        h_pre = h_conv + self.horizontal_bias + self.link(shift_down(v_pre)) + h_y
        h_out = self.horizontal_output(h, h_pre)
        return (gate(v_pre + v_y), h_out) if self.vertical_output else h_out

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[1][:-1]) + (self.filters,)
        return (shape, shape) if self.vertical_output else shape

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
            "num_colours": self.num_colours,
            "condition_dim": self.condition_dim,
            "vertical_output": self.vertical_output,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


__all__ = ["GatedPixelCNNBlock", "gate", "horizontal_mask", "shift_down"]
