"""Masked 2-D convolution of PixelCNN (masks "A" and "B", colour groups R -> G -> B)."""

import keras
import numpy as np
from keras import ops

from kgen import checks
from kgen.serialization import register_serializable

MASK_TYPES = ("A", "B")


def colour_groups(num_channels, num_colours):
    """The colour group of each of ``num_channels`` channels: contiguous blocks,
    channel ``c`` in group ``c * num_colours // num_channels`` (so the data's
    channel ``c`` is colour ``c`` when ``num_channels == num_colours``, and a
    last layer of ``num_colours * k`` filters gives colour ``c`` the block
    ``c * k ... (c + 1) * k - 1``)."""
    return np.arange(num_channels) * num_colours // num_channels


def conv_mask(kernel_size, in_channels, filters, mask_type, num_colours=1):
    """The binary mask ``[k, k, in_channels, filters]`` of a PixelCNN convolution.

    Rows above the centre and pixels left of it on the centre row are seen; at
    the centre, output group ``g`` sees input groups ``< g`` (mask ``"A"``, the
    first layer: a pixel's own value is hidden) or ``<= g`` (mask ``"B"``, later
    layers), with groups from ``colour_groups`` (van den Oord et al. 2016,
    arXiv:1601.06759, sec. 3.4 and Fig. 2).
    """
    centre = kernel_size // 2
    mask = np.zeros((kernel_size, kernel_size, in_channels, filters), np.float32)
    mask[:centre] = 1.0
    mask[centre, :centre] = 1.0
    g_in = colour_groups(in_channels, num_colours)[:, None]
    g_out = colour_groups(filters, num_colours)[None, :]
    mask[centre, centre] = (g_in < g_out) if mask_type == "A" else (g_in <= g_out)
    return mask


@register_serializable
class MaskedConv2D(keras.layers.Layer):
    """2-D convolution whose kernel is multiplied by PixelCNN's causal mask.

    `MaskedConv2D` computes `activation(conv2d(inputs, kernel * mask) +
    bias)` with stride 1 and "same" padding, where `mask` (`conv_mask`)
    lets each output see only the pixels before it in raster order and, at
    its own pixel, the colours before its own (mask `"A"`) or up to its own
    (mask `"B"`), the colours in the order R -> G -> B as channel groups
    (van den Oord et al. 2016, https://arxiv.org/abs/1601.06759, sec. 3.4).
    The mask is applied in `call`, never assigned into the kernel: the
    kernel weight stays a free parameter whose masked entries get no
    gradient, and the mask (rebuilt from the config) is not saved.

    Args:
        filters: int >= 1, output channels.
        kernel_size: odd int >= 1 (a square kernel with a centre).
        mask_type: `"A"` (first layer) or `"B"` (later layers).
        num_colours: int >= 1, the colour groups of the channels (3 for
            RGB, 1 for grayscale or binary images).
        activation: activation or name; `None` is linear.
        use_bias: bool.
        kernel_initializer, bias_initializer: initializers.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        inputs: `[batch, height, width, channels]`.

    Input shape:
        `[batch, height, width, channels]`.

    Output shape:
        `[batch, height, width, filters]`.

    Raises:
        ValueError: on a mask type other than "A" / "B", an even
            `kernel_size`, or a 1x1 mask "A" over one colour (it would see
            nothing); TypeError on non-integer sizes.

    Example:

    >>> layer = MaskedConv2D(16, 7, mask_type="A", num_colours=3)
    >>> layer(np.zeros((2, 8, 8, 3), "float32")).shape
    (2, 8, 8, 16)
    """

    def __init__(self, filters, kernel_size, mask_type="B", num_colours=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = checks.positive_int("filters", filters)
        self.kernel_size = checks.positive_int("kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be odd (a mask needs a centre pixel). "
                             f"Received: kernel_size={kernel_size}")
        self.mask_type = checks.one_of("mask_type", mask_type, set(MASK_TYPES))
        self.num_colours = checks.positive_int("num_colours", num_colours)
        if self.kernel_size == 1 and mask_type == "A" and self.num_colours == 1:
            raise ValueError("`mask_type`='A' with kernel_size=1 and num_colours=1 sees no "
                             "input at all. Received: mask_type='A', kernel_size=1")
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        self.mask = conv_mask(self.kernel_size, in_channels, self.filters, self.mask_type,
                              self.num_colours)
        self.kernel = self.add_weight(name="kernel", shape=self.mask.shape,
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,),
                                     initializer=self.bias_initializer)
                     if self.use_bias else None)

    def call(self, inputs):
        kernel = ops.multiply(self.kernel, ops.cast(self.mask, self.kernel.dtype))
        outputs = ops.conv(inputs, kernel, strides=1, padding="same")
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
            "num_colours": self.num_colours,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }


__all__ = ["MASK_TYPES", "MaskedConv2D", "colour_groups", "conv_mask"]
