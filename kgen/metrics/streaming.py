"""Features of any number of images in bounded memory: running statistics and
feature collection over a ``tf.data.Dataset``, an array, or a model's samples.

- ``FeatureStatistics`` accumulates the mean and covariance of feature batches in
  float64 (per batch: its mean and centred scatter matrix, merged by the
  pairwise update of Chan, Golub and LeVeque 1979, "Updating formulae and a
  pairwise algorithm for computing sample variances"). Unlike raw sums of
  ``x x^T``, this does not lose digits when the mean is large against the
  spread, and the result equals the one-shot ``feature_statistics`` for any
  batch size, to rounding.
- ``streaming_statistics(extractor, data)`` runs a feature extractor over the
  data and returns ``Statistics(mu, sigma, num_samples)`` for FID;
  ``collect_features(extractor, data, max_samples)`` keeps the features
  themselves, for KID and precision/recall.
- ``model_batches(model, num_samples)`` draws a model's samples batch by batch,
  as data for both.
- ``metric_name("fid", 10000)`` -> ``"fid_10k"``: a figure is named with its
  sample count, because FID's bias depends on it.
"""

import contextlib
import sys

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.metrics import _arrays
from kgen.metrics.fid import Statistics, warn_if_few_samples


class FeatureStatistics:
    """Running mean and covariance of feature vectors, in float64.

    Args:
        num_features: optional int d; if given, every batch must have d
            columns, else the first batch sets it.

    Example:

    >>> stats = kgen.metrics.FeatureStatistics()
    >>> for batch in feature_batches:          # each [n_i, d]
    ...     stats.update(batch)
    >>> mu, sigma, count = stats.result()
    """

    def __init__(self, num_features=None):
        self.num_features = (None if num_features is None
                             else checks.positive_int("num_features", num_features))
        self.reset()

    def reset(self):
        """Forgets every batch seen."""
        self.count = 0
        self._mean = None if self.num_features is None else np.zeros(self.num_features)
        self._scatter = (None if self.num_features is None
                         else np.zeros((self.num_features, self.num_features)))

    def update(self, features):
        """Adds a batch ``[n, d]`` of features (an array or tensor; n >= 1).

        Returns:
            ``self``.

        Raises:
            ValueError: naming ``features`` if the batch is not 2-D, holds
                NaN/Inf, or its width differs from ``num_features``.
        """
        x = _arrays.features("features", features, min_samples=1)
        self._check_width(x.shape[1], "features", x.shape)
        mean = x.mean(axis=0)
        centered = x - mean
        self._merge(x.shape[0], mean, centered.T @ centered)
        return self

    def merge(self, other):
        """Adds every batch another ``FeatureStatistics`` has seen; returns ``self``."""
        if not isinstance(other, FeatureStatistics):
            raise TypeError(f"`other` must be a FeatureStatistics. "
                            f"Received: {type(other).__name__}")
        if other.count:
            self._check_width(other.num_features, "other", (other.num_features,))
            self._merge(other.count, other._mean, other._scatter)
        return self

    def result(self):
        """The statistics of every row seen so far.

        Returns:
            ``Statistics(mu, sigma, num_samples)``: mean ``[d]``, unbiased
            covariance ``[d, d]`` (``ddof=1``), both float64, and the row count.

        Raises:
            ValueError: if fewer than 2 rows were seen.

        Warns:
            UserWarning: if fewer rows than features were seen.
        """
        if self.count < 2:
            raise ValueError(f"`FeatureStatistics` needs at least 2 feature rows for a "
                             f"covariance. Received: {self.count} rows")
        warn_if_few_samples("features", self.count, self.num_features)
        sigma = self._scatter / (self.count - 1)
        return Statistics(self._mean.copy(), (sigma + sigma.T) / 2.0, self.count)

    def _check_width(self, width, name, shape):
        if self.num_features is None:
            self.num_features = int(width)
            self._mean = np.zeros(width)
            self._scatter = np.zeros((width, width))
        elif width != self.num_features:
            raise ValueError(f"`{name}` must have {self.num_features} features (columns), "
                             f"as the batches before. Received: {name}.shape={shape}")

    def _merge(self, n, mean, scatter):
        """Chan et al. 1979: M2 = M2_a + M2_b + delta delta^T n_a n_b / (n_a + n_b)."""
        total = self.count + n
        delta = mean - self._mean
        self._scatter += scatter + np.outer(delta, delta) * (self.count * n / total)
        self._mean += delta * (n / total)
        self.count = total


def model_batches(model, num_samples, batch_size=100, seed=0, **condition):
    """A model's samples, ``num_samples`` in all, drawn ``batch_size`` at a time.

    Batch i is ``model.sample(n_i, seed=s_i, **condition)``, with ``s_i`` an
    integer hashed from ``(seed, i)`` by ``numpy.random.SeedSequence`` (or
    ``None`` when ``seed`` is ``None``: the model's own generator advances).
    The samples therefore depend on ``batch_size``; their statistics do not
    depend on how the extractor is batched.

    Args:
        model: an object with ``sample(num_samples, seed=None, **condition)``
            (a ``kgen.models.GenerativeModel``).
        num_samples: int >= 1, how many samples in all.
        batch_size: int >= 1.
        seed: int >= 0 (default 0) or ``None``.
        **condition: passed to every ``model.sample`` call.

    Returns:
        a ``ModelBatches``: an iterable of ``len(...)`` sample batches, which
        can be iterated again (drawing the same samples when seeded).

    Raises:
        ValueError: naming ``model`` if it has no ``sample`` method, or the bad
            count or seed.

    Example:

    >>> stats = kgen.metrics.streaming_statistics(
    ...     extractor, kgen.metrics.model_batches(gan, 10000, batch_size=250))
    """
    return ModelBatches(model, num_samples, batch_size, seed, **condition)


class ModelBatches:
    """The iterable of ``model_batches``: ``model.sample`` called batch by batch."""

    def __init__(self, model, num_samples, batch_size=100, seed=0, **condition):
        if not callable(getattr(model, "sample", None)):
            raise ValueError(f"`model` must have a sample(num_samples, seed) method. "
                             f"Received: {type(model).__name__}")
        self.model, self.condition = model, condition
        self.num_samples = checks.positive_int("num_samples", num_samples)
        self.batch_size = checks.positive_int("batch_size", batch_size)
        self.seed = checks.seed("seed", seed)

    def __len__(self):
        return -(-self.num_samples // self.batch_size)

    def __iter__(self):
        for i, start in enumerate(range(0, self.num_samples, self.batch_size)):
            size = min(self.batch_size, self.num_samples - start)
            seed = None
            if self.seed is not None:
                state = np.random.SeedSequence([self.seed, i]).generate_state(2, np.uint32)
                seed = (int(state[0]) << 31) | (int(state[1]) >> 1)  # in [0, 2**63)
            yield self.model.sample(size, seed=seed, **self.condition)


def streaming_statistics(extractor, data, max_samples=None, batch_size=100, verbose=1):
    """Mean and covariance of ``extractor``'s features over ``data``, in bounded memory.

    Args:
        extractor: a callable or Keras model mapping a batch of images to
            features ``[n, d]`` (a ``keras.Model`` is run by ``predict_on_batch``),
            or ``None`` when ``data`` already holds features ``[n, d]``.
        data: a batched ``tf.data.Dataset`` whose elements are images, an
            ``(images, labels, ...)`` tuple (the first item is used) or a dict
            with an ``"image"`` entry; or an array / tensor ``[N, ...]`` (cut
            into batches of ``batch_size``); or an iterable of image batches,
            such as ``model_batches(model, n)``.
        max_samples: optional int >= 1: stop after this many images (the last
            batch is cut). ``None`` uses all of ``data`` (which must be finite).
        batch_size: int >= 1, batch size for array ``data`` only.
        verbose: 1 shows a ``keras.utils.Progbar`` on stderr (in samples), 0 is
            silent.

    Returns:
        ``Statistics(mu, sigma, num_samples)``, as ``FeatureStatistics.result``;
        equal, to rounding, to ``feature_statistics`` of all features at once,
        whatever the batching.

    Raises:
        ValueError: naming ``extractor`` if it does not return ``[n, d]`` for
            a batch of n, ``data`` if it yields fewer than 2 images or
            unsupported elements, or the bad argument.

    Example:

    >>> real = kgen.data.load("fashion_mnist", "test", batch_size=500)
    >>> mu, sigma, n = kgen.metrics.streaming_statistics(classifier_features, real)
    >>> kgen.metrics.save_statistics("fashion_mnist_test.npz", mu, sigma, n)
    """
    statistics = FeatureStatistics()
    for features in feature_batches(extractor, data, max_samples, batch_size, verbose):
        statistics.update(features)
    if statistics.count < 2:
        raise ValueError(f"`data` must yield at least 2 images. Received: "
                         f"{statistics.count} from {type(data).__name__}")
    return statistics.result()


def collect_features(extractor, data, max_samples=None, batch_size=100, verbose=1):
    """All of ``extractor``'s features over ``data`` as one array (for KID, precision/recall).

    Args: as ``streaming_statistics``; set ``max_samples`` to bound the memory
        (``max_samples * d`` values).

    Returns:
        NumPy array ``[num_samples, d]`` in the extractor's float dtype
        (``num_samples`` is at most ``max_samples``; fewer when ``data`` ends
        first).

    Raises:
        ValueError: as ``streaming_statistics``, and naming ``data`` if it
            yields no image.

    Example:

    >>> generated = kgen.metrics.collect_features(
    ...     extractor, kgen.metrics.model_batches(gan, 10000), max_samples=10000)
    """
    batches = list(feature_batches(extractor, data, max_samples, batch_size, verbose))
    if not batches:
        raise ValueError(f"`data` must yield at least 1 image. Received: an empty "
                         f"{type(data).__name__}")
    return np.concatenate(batches, axis=0)


def feature_batches(extractor, data, max_samples=None, batch_size=100, verbose=1):
    """Yields ``extractor``'s features ``[n_i, d]`` (NumPy) batch by batch over ``data``.

    The arguments are those of ``streaming_statistics``; what it and
    ``collect_features`` iterate. The arguments are checked when it is called,
    the data is read only as the returned generator is iterated.

    Returns:
        a generator of NumPy feature batches.
    """
    if max_samples is not None:
        max_samples = checks.positive_int("max_samples", max_samples)
    batch_size = checks.positive_int("batch_size", batch_size)
    if isinstance(verbose, bool) or verbose not in (0, 1):
        raise ValueError(f"`verbose` must be 0 or 1. Received: verbose={verbose!r}")
    run = _runner(extractor)
    progbar = keras.utils.Progbar(_known_size(data, max_samples), verbose=verbose,
                                  unit_name="sample")
    return _generate_features(run, data, max_samples, batch_size, progbar)


def _generate_features(run, data, max_samples, batch_size, progbar):
    count, width = 0, None
    for images in _image_batches(data, batch_size):
        if max_samples is not None and count + len(images) > max_samples:
            images = images[:max_samples - count]
        features = run(images)
        if features.ndim != 2 or features.shape[0] != len(images):
            raise ValueError(f"`extractor` must map a batch of n images to features [n, d]. "
                             f"Received: features.shape={features.shape} for a batch of "
                             f"{len(images)} images")
        if width is not None and features.shape[1] != width:
            raise ValueError(f"`extractor` must give every batch the same number of features. "
                             f"Received: {features.shape[1]} after {width}")
        width = features.shape[1]
        count += len(images)
        with contextlib.redirect_stdout(sys.stderr):
            progbar.update(count)
        yield features
        if max_samples is not None and count >= max_samples:
            break


def metric_name(metric, num_samples):
    """A metric's reported name, with its sample count: ``"fid_10k"``.

    Counts of 1000 or more are written in thousands without trailing zeros
    (10000 -> ``"10k"``, 5000 -> ``"5k"``, 2500 -> ``"2.5k"``, 50000 ->
    ``"50k"``, 1234 -> ``"1.234k"``, 1000000 -> ``"1000k"``); smaller ones as is
    (500 -> ``"500"``).

    Args:
        metric: str, e.g. ``"fid"``, ``"kid"``, ``"precision"``.
        num_samples: int >= 1, the number of (generated) samples behind the figure.

    Returns:
        str, ``f"{metric}_{count}"``.

    Example:

    >>> kgen.metrics.metric_name("fid", 10000)
    'fid_10k'
    """
    if not isinstance(metric, str) or not metric:
        raise ValueError(f"`metric` must be a non-empty string. Received: metric={metric!r}")
    num_samples = checks.positive_int("num_samples", num_samples)
    if num_samples < 1000:
        return f"{metric}_{num_samples}"
    thousands, rest = divmod(num_samples, 1000)
    count = f"{thousands}" if rest == 0 else f"{thousands}.{rest:03d}".rstrip("0")
    return f"{metric}_{count}k"


def _runner(extractor):
    """A function from an image batch to float NumPy features ``[n, ...]``."""
    if extractor is None:
        return lambda images: np.asarray(images)
    if isinstance(extractor, keras.Model):
        return lambda images: np.asarray(extractor.predict_on_batch(images))
    if not callable(extractor):
        raise ValueError(f"`extractor` must be a callable or Keras model mapping images to "
                         f"features [n, d], or None. Received: {type(extractor).__name__}")
    return lambda images: np.asarray(extractor(images))


def _known_size(data, max_samples):
    """The number of images the progress bar expects, or ``None`` if unknown."""
    size = None
    if isinstance(data, ModelBatches):
        size = data.num_samples
    elif isinstance(data, (np.ndarray, tf.Tensor)):
        size = int(data.shape[0])
    if max_samples is not None:
        size = max_samples if size is None else min(size, max_samples)
    return size


def _image_batches(data, batch_size):
    """Yields image batches (NumPy arrays or tensors) from any supported ``data``."""
    if isinstance(data, tf.data.Dataset):
        for element in data:
            yield _images_of(element)
    elif isinstance(data, (np.ndarray, tf.Tensor)):
        if len(data.shape) < 1:
            raise ValueError(f"`data` must be a batch of images [N, ...]. "
                             f"Received: data.shape={tuple(data.shape)}")
        for start in range(0, int(data.shape[0]), batch_size):
            yield data[start:start + batch_size]
    else:
        try:
            iterator = iter(data)
        except TypeError:
            raise ValueError(f"`data` must be a tf.data.Dataset, an array or an iterable of "
                             f"image batches. Received: {type(data).__name__}") from None
        for element in iterator:
            yield _images_of(element)


def _images_of(element):
    """The images of one data-set element: itself, a tuple's first item, a dict's "image"."""
    if isinstance(element, (tuple, list)):
        element = element[0]
    elif isinstance(element, dict):
        if "image" not in element:
            raise ValueError(f"`data` elements that are dicts must have an 'image' entry. "
                             f"Received: keys {sorted(element)}")
        element = element["image"]
    if len(element.shape) < 1:
        raise ValueError(f"`data` must yield batches of images [n, ...] (batch the data "
                         f"set). Received: an element of shape {tuple(element.shape)}")
    return element
