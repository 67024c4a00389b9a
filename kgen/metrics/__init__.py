"""Metrics of generative models.

- Likelihood: test NLL (exact or importance-sampled) and bits/dim (``nll``,
  ``bits_per_dim``, ``likelihood_method``); an RBM's log partition function,
  exact or by AIS, forward and reverse (``exact_log_partition``,
  ``ais_log_partition``, ``reverse_ais_log_partition``).
- Sample quality, on features of samples (NumPy/SciPy maths in float64):
  FID (``frechet_distance``, ``frechet_distance_from_statistics``,
  ``feature_statistics``, ``save_statistics`` / ``load_statistics``), Inception
  Score (``inception_score``), KID (``kernel_inception_distance``) and improved
  precision/recall (``precision_recall``).
- Streaming over a ``tf.data.Dataset``, an array or a model's samples in bounded
  memory: ``FeatureStatistics``, ``streaming_statistics``, ``collect_features``,
  ``feature_batches``, ``model_batches``; reported names with the sample count:
  ``metric_name("fid", 10000) == "fid_10k"``.
- All of them for a model against one reference set: ``SampleQuality`` (reads the
  reference once; the ``kgen.callbacks.SampleQuality`` callback and ``kgen evaluate``
  use it), ``sample_quality``.
"""

from kgen.metrics.fid import (  # noqa: F401
    Statistics,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
    load_statistics,
    save_statistics,
)
from kgen.metrics.kid import kernel_inception_distance  # noqa: F401
from kgen.metrics.likelihood import bits_per_dim, likelihood_method, nll  # noqa: F401
from kgen.metrics.manifold import precision_recall  # noqa: F401
from kgen.metrics.predictions import inception_score  # noqa: F401
from kgen.metrics.quality import SampleQuality, sample_quality  # noqa: F401
from kgen.metrics.streaming import (  # noqa: F401
    FeatureStatistics,
    ModelBatches,
    collect_features,
    feature_batches,
    metric_name,
    model_batches,
    streaming_statistics,
)
from kgen.metrics.ais import (  # noqa: F401
    PAPER_SCHEDULE, ais_log_partition, paper_betas, reverse_ais_log_partition)
from kgen.metrics.partition import exact_log_partition  # noqa: F401
