"""Equalized learning rate (Karras et al. 2018, sec. 4.1): dense and convolution layers
whose weights are drawn from N(0, 1) and scaled at runtime by He's constant.

References:
    1. Karras, Aila, Laine, Lehtinen, "Progressive Growing of GANs for Improved
       Quality, Stability, and Variation", ICLR 2018. https://arxiv.org/abs/1710.10196
    2. He, Zhang, Ren, Sun, "Delving Deep into Rectifiers", ICCV 2015.
       https://arxiv.org/abs/1502.01852
"""

import math

import keras
import tensorflow as tf

from kgen import checks
from kgen.serialization import register_serializable

PADDINGS = ("same", "valid")


class _Equalized(keras.layers.Layer):
    """The shared part: a N(0, 1) kernel, its runtime scale, a zero bias."""

    def __init__(self, gain=math.sqrt(2.0), use_bias=True, activation=None, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or gain <= 0:
            raise ValueError(f"`gain` must be a number > 0. Received: gain={gain!r}")
        self.gain = float(gain)
        self.use_bias = bool(use_bias)
        self.activation = keras.activations.get(activation)
        self.seed = checks.seed("seed", seed)

    def _add_kernel(self, shape):
        self.fan_in = int(math.prod(shape[:-1]))
        self.scale = self.gain / math.sqrt(self.fan_in)
        self.kernel = self.add_weight(
            shape=shape, name="kernel",
            initializer=keras.initializers.RandomNormal(0.0, 1.0, seed=self.seed))
        self.bias = (self.add_weight(shape=shape[-1:], name="bias", initializer="zeros")
                     if self.use_bias else None)

    @property
    def effective_kernel(self):
        """The kernel the layer applies: ``kernel * gain / sqrt(fan_in)``."""
        return self.kernel * self.scale

    def _finish(self, outputs):
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation), "seed": self.seed}


@register_serializable
class EqualizedDense(_Equalized):
    """A dense layer with an equalized learning rate (Karras et al. 2018, sec. 4.1).

    ``outputs = activation(inputs @ (kernel * c) + bias)`` with ``kernel ~ N(0, 1)``
    at initialization and ``c = gain / sqrt(fan_in)``, He's constant for
    ``gain = sqrt(2)`` (fan_in = the input size). Since the scale is applied at
    runtime, not folded into the initial weights, Adam's and RMSProp's
    scale-invariant updates move every layer's effective weights at the same
    relative speed.

    Args:
        units: int >= 1, output size.
        gain: float > 0 (``sqrt(2)``; 1 for a linear output layer).
        use_bias: bool.
        activation: Keras activation or ``None`` (linear).
        seed: optional int >= 0 seeding the N(0, 1) kernel.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[batch, ..., input_dim]``.

    Input shape: ``[batch, ..., input_dim]``.
    Output shape: ``[batch, ..., units]``.

    Raises:
        ValueError / TypeError: naming ``units``, ``gain`` or ``seed``.

    Example:

    >>> layer = EqualizedDense(64)
    >>> y = layer(tf.ones((2, 128)))    # kernel ~ N(0, 1), applied as kernel * sqrt(2 / 128)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = checks.positive_int("units", units)

    def build(self, input_shape):
        self._add_kernel((int(input_shape[-1]), self.units))

    def call(self, inputs):
        return self._finish(tf.tensordot(inputs, self.effective_kernel, axes=1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@register_serializable
class EqualizedConv2D(_Equalized):
    """A stride-1 2-D convolution with an equalized learning rate (Karras et al.
    2018, sec. 4.1).

    ``outputs = activation(conv2d(inputs, kernel * c) + bias)`` with
    ``kernel ~ N(0, 1)`` at initialization and ``c = gain / sqrt(fan_in)``,
    ``fan_in = kernel_size^2 * input_channels``.

    Args:
        filters: int >= 1, output channels.
        kernel_size: int >= 1, a square kernel.
        padding: ``"same"`` or ``"valid"``.
        gain, use_bias, activation, seed, **kwargs: as ``EqualizedDense``.

    Call arguments:
        inputs: ``[batch, height, width, channels]``.

    Input shape: ``[batch, height, width, channels]``.
    Output shape: ``[batch, height', width', filters]`` (the same size for
    ``"same"``, ``size - kernel_size + 1`` for ``"valid"``).

    Raises:
        ValueError / TypeError: naming ``filters``, ``kernel_size``, ``padding``,
            ``gain`` or ``seed``.

    Example:

    >>> EqualizedConv2D(16, 3)(tf.ones((2, 7, 7, 32))).shape
    TensorShape([2, 7, 7, 16])
    """

    def __init__(self, filters, kernel_size=3, padding="same", **kwargs):
        super().__init__(**kwargs)
        self.filters = checks.positive_int("filters", filters)
        self.kernel_size = checks.positive_int("kernel_size", kernel_size)
        self.padding = checks.one_of("padding", padding, PADDINGS)

    def build(self, input_shape):
        k = self.kernel_size
        self._add_kernel((k, k, int(input_shape[-1]), self.filters))

    def call(self, inputs):
        outputs = tf.nn.conv2d(inputs, self.effective_kernel, strides=1,
                               padding=self.padding.upper())
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        shrink = 0 if self.padding == "same" else self.kernel_size - 1
        size = [None if s is None else s - shrink for s in input_shape[1:3]]
        return (input_shape[0], *size, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "padding": self.padding}


__all__ = ["EqualizedConv2D", "EqualizedDense"]
