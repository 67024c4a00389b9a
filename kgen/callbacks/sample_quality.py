"""``SampleQuality``: FID (and KID, precision/recall, IS) of a model's samples every few epochs."""

import keras

from kgen import checks
from kgen.metrics import quality
from kgen.metrics.streaming import metric_name


class SampleQuality(keras.callbacks.Callback):
    """Scores the model's samples against a reference set every ``every`` epochs.

    At the end of every ``every``-th epoch it draws ``num_samples`` samples with the fixed ``seed`` and adds
    the figures of ``kgen.metrics.SampleQuality`` to the epoch's logs, under
    their names with the sample count (``fid_10k``, ``kid_10k``, ...) and,
    for the metric the model's ``monitor`` names (``("fid", "min")`` for a
    GAN), also under the plain name (``fid``). Callbacks listed after this one
    see them: ``keras.callbacks.ModelCheckpoint(monitor="fid", mode="min")``
    keeps the best checkpoint by FID, ``CSVLogger`` and ``TensorBoard`` record
    them. Epochs without a score log NaN under the same names, so that every
    epoch has the same keys (``CSVLogger`` fixes its columns at the first epoch,
    also when it appends to a resumed run's file); ``ModelCheckpoint`` never
    keeps a NaN epoch, but ``ReduceLROnPlateau`` and ``EarlyStopping`` count it as
    one without improvement: give them ``every=1`` or a patience in multiples of
    ``every``.
    The reference set is read once, at the first score.

    Args:
        extractor: a feature extractor, as ``kgen.metrics.SampleQuality``
            takes (a ``kgen.features`` extractor, a Keras model or a callable).
        reference: the real images (a batched ``tf.data.Dataset`` or an array)
            in the extractor's pixel range, which must be the model's
            ``data_range`` too.
        num_samples: int >= 2, samples behind each figure.
        every: int >= 1, score after every ``every``-th epoch.
        metrics: names of ``kgen.metrics.quality.METRICS``.
        seed: int >= 0, the seed of the samples (the same at every score).
        **kwargs: other ``kgen.metrics.SampleQuality`` arguments
            (``batch_size``, ``kid_subsets``, ``kid_subset_size``, ``k``,
            ``verbose``).

    Attributes:
        history: list of ``(epoch, figures)`` with the 0-based epoch.

    Raises:
        ValueError / TypeError: naming the bad argument.

    Example:

    >>> quality = kgen.callbacks.SampleQuality(
    ...     kgen.features.classifier("fashion_mnist"), test_images, num_samples=10000,
    ...     every=5)
    >>> best = keras.callbacks.ModelCheckpoint("best.weights.h5", monitor="fid", mode="min",
    ...                                        save_best_only=True, save_weights_only=True)
    >>> gan.fit(train, epochs=50, callbacks=[quality, best])
    """

    def __init__(self, extractor, reference, num_samples=10000, every=5,
                 metrics=("fid", "kid"), seed=0, **kwargs):
        super().__init__()
        self.every = checks.positive_int("every", every)
        self.seed = checks.seed("seed", seed)
        self.quality = quality.SampleQuality(extractor, reference, num_samples,
                                                    metrics, **kwargs)
        self.history = []

    def on_epoch_end(self, epoch, logs=None):
        scored = (epoch + 1) % self.every == 0
        if scored:
            figures = self.quality(self.model, seed=self.seed)
            count = figures.pop("num_samples")
            self.history.append((epoch, dict(figures)))
        else:  # NaN, so that every epoch's logs have the same keys (CSVLogger's header)
            figures, count = dict.fromkeys(self.quality.names, float("nan")), None
        if logs is None:
            return
        logs.update(figures)
        metric = getattr(self.model, "monitor", (None,))[0]
        if isinstance(metric, str):
            alias = metric_name(metric, count or self.quality.num_samples)
            if alias in figures:
                logs[metric] = figures[alias]
