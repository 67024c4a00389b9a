"""kgen.metrics.SampleQuality and the SampleQuality callback: the same figures as the
metric functions on the same features, the reference read once, checkpoints by FID."""

import csv

import keras
import numpy as np
import pytest

from kgen import metrics, testing
from kgen.callbacks import SampleQuality as SampleQualityCallback
from kgen.models.baselines import BernoulliMixture


class GaussianSampler:
    """A 'model' whose samples are N(shift, I) in 5-D, seeded."""

    def __init__(self, shift):
        self.shift, self.calls = shift, 0

    def sample(self, num_samples, seed=None):
        self.calls += 1
        return np.random.default_rng(seed).normal(self.shift, 1.0, (num_samples, 5))


class CountingReference:
    """An iterable of reference batches that counts how often it is read."""

    def __init__(self, images, batch_size=64):
        self.images, self.batch_size, self.reads = images, batch_size, 0

    def __iter__(self):
        self.reads += 1
        for start in range(0, len(self.images), self.batch_size):
            yield self.images[start:start + self.batch_size]


REFERENCE = np.random.default_rng(0).normal(0.0, 1.0, (600, 5))


def test_figures_equal_the_metric_functions_on_the_same_features():
    quality = metrics.SampleQuality(None, REFERENCE, num_samples=500, batch_size=100,
                                    metrics=["fid", "kid", "precision_recall"],
                                    kid_subset_size=200)
    model = GaussianSampler(0.5)
    figures = quality(model, seed=3)
    generated = np.concatenate(list(metrics.model_batches(model, 500, 100, seed=3)))
    real = REFERENCE[:500]  # the first num_samples reference images
    assert figures["num_samples"] == 500
    assert sorted(figures) == sorted(quality.names + ["num_samples"])
    assert figures["fid_500"] == pytest.approx(metrics.frechet_distance(real, generated),
                                               rel=1e-9)
    kid = metrics.kernel_inception_distance(real, generated, 100, 200, seed=3)
    assert (figures["kid_500"], figures["kid_500_std"]) == pytest.approx(kid, rel=1e-9)
    assert (figures["precision_500"], figures["recall_500"]) == metrics.precision_recall(
        real, generated)


def test_the_reference_is_read_once_and_scores_grow_with_the_shift():
    reference = CountingReference(REFERENCE)
    quality = metrics.SampleQuality(None, reference, num_samples=500, metrics="fid")
    scores = [quality(GaussianSampler(shift))["fid_500"] for shift in (0.0, 0.5, 1.0)]
    assert reference.reads == 1
    assert scores[0] < 0.2 < scores[1] < scores[2]
    assert scores[2] == pytest.approx(5 * 1.0 ** 2, rel=0.15)  # d * shift^2


def test_an_image_set_is_scored_like_a_model():
    quality = metrics.SampleQuality(None, REFERENCE, num_samples=300, metrics="fid")
    assert quality(REFERENCE[300:])["fid_300"] == pytest.approx(
        metrics.frechet_distance(REFERENCE[:300], REFERENCE[300:]), rel=1e-9)


class Classifier:
    """An extractor with features and class probabilities (the first two coordinates)."""

    def features(self, images):
        return np.asarray(images)

    def probabilities(self, images):
        logits = 4.0 * np.asarray(images)[:, :2]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def test_inception_score_uses_the_extractors_probabilities():
    quality = metrics.SampleQuality(Classifier(), REFERENCE, num_samples=400,
                                    metrics=["fid", "inception_score"])
    model = GaussianSampler(0.0)
    figures = quality(model, seed=1)
    assert model.calls == 2  # 400 samples in batches of 250, drawn once for both metrics
    generated = np.concatenate(list(metrics.model_batches(model, 400, 250, seed=1)))
    expected = metrics.inception_score(Classifier().probabilities(generated))
    assert (figures["inception_score_400"], figures["inception_score_400_std"]) == (
        pytest.approx(expected, rel=1e-9))


def test_bad_arguments_are_named():
    testing.assert_raises_naming(ValueError, "metrics", metrics.SampleQuality, None,
                                 REFERENCE, metrics=["fid", "isc"])
    testing.assert_raises_naming(ValueError, "metrics", metrics.SampleQuality, None,
                                 REFERENCE, metrics=[])
    testing.assert_raises_naming(ValueError, "extractor", metrics.SampleQuality, None,
                                 REFERENCE, metrics=["inception_score"])
    testing.assert_raises_naming(ValueError, "num_samples", metrics.SampleQuality, None,
                                 REFERENCE, num_samples=1)
    testing.assert_raises_naming(ValueError, "every", SampleQualityCallback, None,
                                 REFERENCE, every=0)


class FidRanked(BernoulliMixture):
    """The mixture, ranked by FID as an implicit model would be."""

    monitor = ("fid", "min")


def test_the_callback_logs_the_figures_and_checkpoints_follow_fid(tmp_path):
    data = testing.random_binary((512, 6), seed=0)
    model = FidRanked(event_shape=(6,), num_components=3, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    quality = SampleQualityCallback(None, data, num_samples=256, every=2, metrics="fid",
                                    batch_size=128)
    best = tmp_path / "best.weights.h5"
    model.fit(data, batch_size=64, epochs=4, verbose=0, callbacks=[
        quality,
        keras.callbacks.ModelCheckpoint(str(best), monitor="fid", mode="min",
                                        save_best_only=True, save_weights_only=True),
        keras.callbacks.CSVLogger(str(tmp_path / "history.csv"))])
    assert [epoch for epoch, _ in quality.history] == [1, 3]  # after epochs 2 and 4
    assert best.exists()
    with open(tmp_path / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[1]["fid_256"] and rows[1]["fid"] == rows[1]["fid_256"]
    assert float(rows[3]["fid"]) == pytest.approx(quality.history[1][1]["fid_256"])
    assert rows[0]["fid"] == rows[0]["fid_256"] == "nan"  # epoch 1 was not scored
