"""Autoregressive models: FVSBN, NADE, MADE, PixelCNN, Gated PixelCNN, PixelRNN, exact log_prob
in nats; the exact cached sampler of PixelCNN and Gated PixelCNN."""

from kgen.models.autoregressive.base import AutoregressiveModel  # noqa: F401
from kgen.models.autoregressive.fvsbn import FVSBN  # noqa: F401
from kgen.models.autoregressive.nade import NADE  # noqa: F401
from kgen.models.autoregressive.made import MADE  # noqa: F401
from kgen.models.autoregressive.pixelcnn import PixelCNN  # noqa: F401
from kgen.models.autoregressive.gated_pixelcnn import GatedPixelCNN  # noqa: F401
from kgen.models.autoregressive.cached_sampling import CachedSampler  # noqa: F401
from kgen.models.autoregressive.pixelrnn import PixelRNN  # noqa: F401
