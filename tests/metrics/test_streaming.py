"""Streaming feature statistics and collection over data sets, arrays and a model's samples."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.metrics


def correlated(n, d, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + shift


class _GaussianSampler:
    """A fake model: ``sample(n, seed)`` is a seeded draw of images [n, 4, 4, 1]."""

    def __init__(self):
        self.seeds = []

    def sample(self, num_samples, seed=None):
        self.seeds.append(seed)
        return tf.constant(np.random.default_rng(seed).normal(size=(num_samples, 4, 4, 1)),
                           tf.float32)


def flatten(images):
    return tf.reshape(images, (tf.shape(images)[0], -1)) * 2.0 + 1.0


@pytest.mark.parametrize("batch_size", [1, 7, 64, 500])
def test_running_statistics_equal_one_shot_for_any_batch_size(batch_size):
    x = correlated(500, 6, shift=1e4)  # a mean far larger than the spread
    mu, sigma = kgen.metrics.feature_statistics(x)
    stats = kgen.metrics.FeatureStatistics()
    for start in range(0, len(x), batch_size):
        stats.update(x[start:start + batch_size])
    result = stats.result()
    assert result.num_samples == 500
    np.testing.assert_allclose(result.mu, mu, rtol=1e-13)
    np.testing.assert_allclose(result.sigma, sigma, rtol=1e-9, atol=1e-9 * np.abs(sigma).max())


def test_merging_two_accumulators_equals_one():
    x = correlated(300, 5, seed=1)
    left = kgen.metrics.FeatureStatistics().update(x[:120])
    right = kgen.metrics.FeatureStatistics().update(x[120:200]).update(x[200:])
    merged = left.merge(right).result()
    mu, sigma = kgen.metrics.feature_statistics(x)
    np.testing.assert_allclose(merged.mu, mu, rtol=1e-12)
    np.testing.assert_allclose(merged.sigma, sigma, rtol=1e-10)


@pytest.mark.parametrize("batch_size", [16, 50, 200])
def test_streaming_over_a_labelled_dataset_with_a_keras_model_equals_one_shot(batch_size):
    images = np.random.default_rng(2).uniform(size=(200, 4, 4, 1)).astype(np.float32)
    inputs = keras.Input((4, 4, 1))
    extractor = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    expected_features = np.asarray(extractor(images), np.float64)
    mu, sigma = kgen.metrics.feature_statistics(expected_features)
    dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros(200))).batch(batch_size)
    result = kgen.metrics.streaming_statistics(extractor, dataset, verbose=0)
    assert result.num_samples == 200
    np.testing.assert_allclose(result.mu, mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.sigma, sigma, rtol=1e-5, atol=1e-6)
    features = kgen.metrics.collect_features(extractor, dataset, verbose=0)
    np.testing.assert_allclose(features, expected_features, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_size", [32, 100, 250])
def test_streaming_over_a_models_samples_equals_one_shot(batch_size):
    model = _GaussianSampler()
    batches = kgen.metrics.model_batches(model, 250, batch_size=batch_size, seed=3)
    assert len(batches) == -(-250 // batch_size)
    images = np.concatenate([np.asarray(b) for b in batches])
    assert images.shape == (250, 4, 4, 1)
    np.testing.assert_array_equal(np.concatenate([np.asarray(b) for b in batches]), images)
    seeds = model.seeds[:len(batches)]
    assert len(set(seeds)) == len(seeds) and all(0 <= s < 2**63 for s in seeds)
    result = kgen.metrics.streaming_statistics(flatten, batches, verbose=0)
    mu, sigma = kgen.metrics.feature_statistics(np.asarray(flatten(images)))
    np.testing.assert_allclose(result.mu, mu, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.sigma, sigma, rtol=1e-10)
    assert result.num_samples == 250


def test_streamed_fid_equals_fid_of_the_collected_features(tmp_path):
    real = tf.data.Dataset.from_tensor_slices(correlated(300, 4, seed=4)).batch(64)
    fake = correlated(200, 4, seed=5, shift=0.5)
    real_stats = kgen.metrics.streaming_statistics(None, real, verbose=0)
    path = kgen.metrics.save_statistics(tmp_path / "real", *real_stats)
    fake_stats = kgen.metrics.streaming_statistics(None, fake, batch_size=33, verbose=0)
    streamed = kgen.metrics.frechet_distance_from_statistics(
        *kgen.metrics.load_statistics(path)[:2], *fake_stats[:2])
    one_shot = kgen.metrics.frechet_distance(
        kgen.metrics.collect_features(None, real, verbose=0), fake)
    np.testing.assert_allclose(streamed, one_shot, rtol=1e-10)


def test_max_samples_cuts_the_last_batch_and_dict_elements_give_their_image():
    x = correlated(100, 3, seed=6)
    dataset = tf.data.Dataset.from_tensor_slices({"image": x, "label": np.arange(100)}).batch(30)
    features = kgen.metrics.collect_features(None, dataset, max_samples=45, verbose=0)
    np.testing.assert_allclose(features, x[:45])
    stats = kgen.metrics.streaming_statistics(None, dataset, max_samples=1000, verbose=0)
    assert stats.num_samples == 100


def test_the_progress_bar_goes_to_stderr(capsys):
    kgen.metrics.streaming_statistics(None, correlated(50, 2), batch_size=10, verbose=1)
    captured = capsys.readouterr()
    assert captured.out == "" and "50/50" in captured.err


@pytest.mark.parametrize("count, name", [(10000, "fid_10k"), (5000, "fid_5k"), (2500, "fid_2.5k"),
                                         (50000, "fid_50k"), (1234, "fid_1.234k"),
                                         (500, "fid_500"), (1000000, "fid_1000k")])
def test_metric_names_carry_the_sample_count(count, name):
    assert kgen.metrics.metric_name("fid", count) == name


BAD = [
    ("extractor", lambda: kgen.metrics.streaming_statistics(
        lambda x: tf.reshape(x, (-1, 2, 2)), np.zeros((8, 4)), verbose=0)),
    ("extractor", lambda: kgen.metrics.collect_features(
        lambda x: np.zeros((1, 3)), np.zeros((8, 4)), verbose=0)),
    ("extractor", lambda: kgen.metrics.collect_features("inception", np.zeros((8, 4)), verbose=0)),
    ("data", lambda: kgen.metrics.streaming_statistics(None, 3, verbose=0)),
    ("data", lambda: kgen.metrics.streaming_statistics(None, np.zeros((1, 4)), verbose=0)),
    ("data", lambda: kgen.metrics.streaming_statistics(
        None, tf.data.Dataset.from_tensor_slices(np.zeros(4)), verbose=0)),
    ("max_samples", lambda: kgen.metrics.collect_features(None, np.zeros((8, 4)), max_samples=0)),
    ("verbose", lambda: kgen.metrics.collect_features(None, np.zeros((8, 4)), verbose=2)),
    ("features", lambda: kgen.metrics.FeatureStatistics().update(np.zeros((3, 2))).update(
        np.zeros((3, 5)))),
    ("features", lambda: kgen.metrics.FeatureStatistics().update(np.full((3, 2), np.nan))),
    ("FeatureStatistics",
     lambda: kgen.metrics.FeatureStatistics().update(np.zeros((1, 2))).result()),
    ("model", lambda: kgen.metrics.model_batches(object(), 10)),
    ("num_samples", lambda: kgen.metrics.model_batches(_GaussianSampler(), 0)),
    ("metric", lambda: kgen.metrics.metric_name("", 10)),
    ("num_samples", lambda: kgen.metrics.metric_name("fid", 0)),
]


@pytest.mark.parametrize("name, call", BAD, ids=[f"{i}-{n}" for i, (n, _) in enumerate(BAD)])
def test_bad_input_raises_a_value_error_naming_the_argument(name, call):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()


def test_feature_batches_checks_its_arguments_before_reading_any_data():
    with pytest.raises(ValueError, match="`max_samples`"):
        kgen.metrics.feature_batches(None, np.zeros((8, 4)), max_samples=-1)
    model = _GaussianSampler()
    batches = kgen.metrics.feature_batches(flatten, kgen.metrics.model_batches(model, 30),
                                           verbose=0)
    assert model.seeds == []
    assert next(batches).shape == (30, 16) and len(model.seeds) == 1
