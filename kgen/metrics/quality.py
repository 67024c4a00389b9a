"""All sample-quality metrics of a model (or of an image set) against one reference set.

``SampleQuality`` holds a feature extractor and a reference set of real images, reads
the reference once (its FID statistics and the features KID and precision/recall need),
and then scores any number of models or image sets against it: what the
``kgen.callbacks.SampleQuality`` callback does every few epochs, and what ``kgen
evaluate`` reports for an implicit model. Every figure's name carries its sample
count (``fid_10k``, ``kid_10k``, ``precision_10k``, ``recall_10k``,
``inception_score_10k``; ``kgen.metrics.metric_name``).
"""

import numpy as np

from kgen import checks
from kgen.metrics import fid, kid, manifold, predictions, streaming

METRICS = ("fid", "kid", "precision_recall", "inception_score")


class SampleQuality:
    """Scores generated images against a fixed reference set of real images.

    FID (Heusel et al. 2017, arXiv:1706.08500) from streamed statistics; KID
    (Bińkowski et al. 2018, arXiv:1801.01401) and improved precision/recall
    (Kynkäänniemi et al. 2019, arXiv:1904.06991; the reference set is the
    *real* one) from the features of ``num_samples`` images of each set;
    the Inception Score (Salimans et al. 2016, arXiv:1606.03498) from the
    extractor's class probabilities. The reference set is read once, on first
    use, at most ``num_samples`` images of it.

    Args:
        extractor: the feature extractor: a callable or Keras model mapping an
            image batch to features ``[n, d]``, or an object with a
            ``features(images)`` method (and ``probabilities(images)`` for the
            Inception Score), such as the extractors of ``kgen.features``.
        reference: the real images: a batched ``tf.data.Dataset`` (images or
            ``(images, labels)``), an array ``[N, ...]`` or an iterable of
            batches, in the pixel range the extractor expects.
        num_samples: int >= 2, images of each set behind every figure (10,000
            for the usual ``fid_10k``).
        metrics: names from ``METRICS``: ``"fid"``, ``"kid"``,
            ``"precision_recall"``, ``"inception_score"``.
        batch_size: int >= 1, images per batch (model samples and arrays).
        kid_subsets, kid_subset_size: KID's subsets (100 of 1000 by default).
        k: the neighbour of precision/recall (3).
        verbose: 0 or 1, progress bars on stderr.

    Call arguments:
        generated: a model with ``sample(num_samples, seed=None, **condition)``
            or image data as ``reference``.
        seed: int, the seed of the model's samples (``kgen.metrics.model_batches``).
        **condition: passed to ``model.sample`` (e.g. ``labels=``).

    Returns:
        ``dict`` of floats: ``fid_<n>``, ``kid_<n>`` and ``kid_<n>_std``,
        ``precision_<n>`` and ``recall_<n>``, ``inception_score_<n>`` and
        ``inception_score_<n>_std`` (for the metrics asked), and
        ``num_samples``.

    Raises:
        ValueError: naming ``metrics`` (unknown name), ``extractor`` (no
            probabilities for the Inception Score), ``num_samples`` or the
            data; and as the metric functions.

    Example:

    >>> quality = kgen.metrics.SampleQuality(
    ...     kgen.features.classifier("fashion_mnist"),
    ...     kgen.data.load("fashion_mnist", "test", batch_size=500), num_samples=10000)
    >>> quality(gan)["fid_10k"]
    """

    def __init__(self, extractor, reference, num_samples=10000, metrics=("fid", "kid"),
                 batch_size=250, kid_subsets=100, kid_subset_size=1000, k=3, verbose=0):
        self.metrics = check_metrics(metrics)
        self.num_samples = checks.positive_int("num_samples", num_samples, minimum=2)
        self.batch_size = checks.positive_int("batch_size", batch_size)
        self.kid_subsets = checks.positive_int("kid_subsets", kid_subsets)
        self.kid_subset_size = checks.positive_int("kid_subset_size", kid_subset_size, minimum=2)
        self.k = checks.positive_int("k", k)
        self.verbose = verbose
        self.features = _method(extractor, "features") or extractor
        self.probabilities = _method(extractor, "probabilities")
        both = _method(extractor, "features_and_probabilities")
        self._features_and_probabilities = both or (
            lambda images: (self.features(images), self.probabilities(images)))
        if "inception_score" in self.metrics and self.probabilities is None:
            raise ValueError("`extractor` must have a probabilities(images) method for "
                             "metrics=['inception_score'] (class probabilities, not features). "
                             f"Received: {type(extractor).__name__}")
        self.reference = reference
        self._reference = None  # (Statistics, features) once read

    @property
    def names(self):
        """The names of the figures a call returns for ``num_samples`` samples
        (``num_samples`` itself aside), e.g. ``["fid_10k", "kid_10k", "kid_10k_std"]``."""
        name = lambda metric: streaming.metric_name(metric, self.num_samples)  # noqa: E731
        parts = {"fid": [name("fid")], "kid": [name("kid"), name("kid") + "_std"],
                 "precision_recall": [name("precision"), name("recall")],
                 "inception_score": [name("inception_score"),
                                     name("inception_score") + "_std"]}
        return [n for metric in self.metrics for n in parts[metric]]

    @property
    def reference_statistics(self):
        """FID statistics ``(mu, sigma, num_samples)`` of the reference set."""
        return self._read_reference()[0]

    def _read_reference(self):
        if self._reference is None:
            self._reference = self._read(self.reference)
        return self._reference

    def _read(self, data, probabilities=None):
        """(statistics, features or None) of ``num_samples`` images of ``data``.

        With a list ``probabilities``, the class probabilities of the same images
        are appended to it batch by batch: one pass over the data, so a model's
        samples are drawn once for every metric."""
        need_features = {"kid", "precision_recall"} & set(self.metrics)
        run = self.features
        if probabilities is not None:
            def run(images):
                features, probs = self._features_and_probabilities(images)
                probabilities.append(np.asarray(probs, np.float64))
                return features
        batches = streaming.feature_batches(run, data, self.num_samples,
                                            self.batch_size, self.verbose)
        statistics, kept = streaming.FeatureStatistics(), []
        for batch in batches:
            statistics.update(batch)
            if need_features:
                kept.append(np.asarray(batch, np.float64))
        if statistics.count < 2:
            raise ValueError(f"the data must yield at least 2 images. Received: "
                             f"{statistics.count} from {type(data).__name__}")
        return statistics.result(), (np.concatenate(kept) if kept else None)

    def __call__(self, generated, seed=0, **condition):
        data = generated
        if callable(getattr(generated, "sample", None)):
            data = streaming.model_batches(generated, self.num_samples, self.batch_size,
                                           seed, **condition)
        reference_stats, reference_features = self._read_reference()
        probabilities = [] if "inception_score" in self.metrics else None
        stats, features = self._read(data, probabilities)
        n = stats.num_samples
        name = lambda metric: streaming.metric_name(metric, n)  # noqa: E731
        result = {"num_samples": n}
        if "fid" in self.metrics:
            result[name("fid")] = fid.frechet_distance_from_statistics(
                reference_stats.mu, reference_stats.sigma, stats.mu, stats.sigma)
        if "kid" in self.metrics:
            mean, std = kid.kernel_inception_distance(
                reference_features, features, self.kid_subsets, self.kid_subset_size, seed)
            result[name("kid")], result[name("kid") + "_std"] = mean, std
        if "precision_recall" in self.metrics:
            precision, recall = manifold.precision_recall(reference_features, features, self.k)
            result[name("precision")], result[name("recall")] = precision, recall
        if "inception_score" in self.metrics:
            mean, std = predictions.inception_score(np.concatenate(probabilities))
            result[name("inception_score")] = mean
            result[name("inception_score") + "_std"] = std
        return result


def sample_quality(model, extractor, reference, seed=0, **kwargs):
    """One-off ``SampleQuality(extractor, reference, **kwargs)(model, seed)``; see there."""
    return SampleQuality(extractor, reference, **kwargs)(model, seed=seed)


def _method(extractor, name):
    method = getattr(extractor, name, None)
    return method if callable(method) else None


def check_metrics(metrics):
    """The checked list of sample metrics: names of ``METRICS``, duplicates dropped.

    Args:
        metrics: a name or a list of names of ``METRICS`` (``"fid"``, ``"kid"``,
            ``"precision_recall"``, ``"inception_score"``).

    Returns:
        tuple of the names, in the order given.

    Raises:
        ValueError: naming ``metrics`` if it is empty or holds an unknown name.
    """
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics or ())
    unknown = [m for m in metrics if m not in METRICS]
    if not metrics or unknown:
        raise ValueError(f"`metrics` must be a non-empty list of {list(METRICS)}. "
                         f"Received: metrics={metrics!r}")
    return tuple(dict.fromkeys(metrics))
