"""Reusable Keras 3 layers that are not models."""

from kgen.layers.made import MADE  # noqa: F401
from kgen.layers.masked_dense import MaskedDense  # noqa: F401
from kgen.layers.masked_conv import MaskedConv2D  # noqa: F401
from kgen.layers.actnorm import ActNorm  # noqa: F401
from kgen.layers.autoregressive_flow import MaskedAutoregressiveStep  # noqa: F401
from kgen.layers.coupling import AdditiveCoupling, AffineCoupling  # noqa: F401
from kgen.layers.flow_layer import FlowLayer  # noqa: F401
from kgen.layers.invertible_conv import InvertibleConv1x1  # noqa: F401
from kgen.layers.spline_coupling import MaskedSplineStep, SplineCoupling  # noqa: F401
from kgen.layers.planar import PlanarStep, RadialStep  # noqa: F401
from kgen.layers.squeeze import DiagonalScaling, Squeeze  # noqa: F401
from kgen.layers.gated_pixelcnn import GatedPixelCNNBlock  # noqa: F401
from kgen.layers.conditional_batch_norm import ConditionalBatchNormalization  # noqa: F401
from kgen.layers.self_attention import SelfAttention  # noqa: F401
from kgen.layers.orthogonal_regularizer import OffDiagonalOrthogonalRegularizer  # noqa: F401
from kgen.layers.equalized import EqualizedConv2D, EqualizedDense  # noqa: F401
from kgen.layers.progressive import MinibatchStdDev, PixelNormalization  # noqa: F401
from kgen.layers.row_lstm import RowLSTM  # noqa: F401
from kgen.layers.diagonal_bilstm import DiagonalBiLSTM  # noqa: F401
