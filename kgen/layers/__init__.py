"""Reusable Keras 3 layers that are not models."""

from kgen.layers.made import MADE  # noqa: F401
from kgen.layers.masked_dense import MaskedDense  # noqa: F401
from kgen.layers.masked_conv import MaskedConv2D  # noqa: F401
