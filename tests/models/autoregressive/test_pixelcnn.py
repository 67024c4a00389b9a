"""PixelCNN: masks A/B and every colour order from the Jacobian, exact normalization,
sampling, the 256-way likelihood, saving, bad input."""

import itertools

import numpy as np
import pytest

import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.models.autoregressive import PixelCNN

from tests.models.autoregressive import ar_checks


def _model(event_shape=(3, 3, 1), seed=0, stddev=0.5, **kwargs):
    kwargs = {"filters": 4, "num_residual_blocks": 1, "first_kernel_size": 3, **kwargs}
    model = PixelCNN(event_shape=event_shape, seed=seed, **kwargs)
    return ar_checks.randomize(model, seed=seed, stddev=stddev)


@pytest.mark.parametrize("channel_order", list(itertools.permutations(range(3))))
def test_conditionals_are_autoregressive_for_every_colour_order(channel_order):
    model = _model(event_shape=(3, 3, 3), likelihood="categorical", num_bins=4,
                   channel_order=channel_order)
    x = np.random.default_rng(0).integers(0, 4, size=(3, 3, 3, 3)).astype("float32")
    order = model.generation_order()
    assert list(order[:3]) == list(channel_order)
    testing.assert_autoregressive(model.conditionals, x, order=order)


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_binary_conditionals_are_autoregressive_in_raster_order(kernel_size):
    model = _model(event_shape=(4, 4, 1), first_kernel_size=kernel_size,
                   kernel_size=kernel_size, num_residual_blocks=2)
    testing.assert_autoregressive(model.conditionals, testing.random_binary((4, 4, 4, 1), p=0.5))


def test_probabilities_of_all_512_binary_images_sum_to_one():
    testing.assert_normalized_by_enumeration(_model().log_prob, 9, event_shape=(3, 3, 1))


def test_two_colour_binary_images_are_normalized():
    model = _model(event_shape=(2, 2, 2), channel_order=(1, 0))
    testing.assert_normalized_by_enumeration(model.log_prob, 8, event_shape=(2, 2, 2))


def test_the_categorical_model_is_normalized_by_enumeration():
    model = _model(event_shape=(1, 2, 2), likelihood="categorical", num_bins=4, stddev=1.0)
    levels = np.array(list(itertools.product(range(4), repeat=4)), np.float32)
    log_probs = model.log_prob(levels.reshape(-1, 1, 2, 2)).numpy().astype(np.float64)
    np.testing.assert_allclose(np.exp(log_probs).sum(), 1.0, atol=1e-5)


def test_log_prob_is_the_likelihood_of_the_conditionals():
    model = _model(event_shape=(2, 3, 1), likelihood="categorical", num_bins=256)
    x = np.random.default_rng(2).integers(0, 256, size=(4, 2, 3, 1)).astype("float32")
    logits = model.conditionals(x).numpy().astype(np.float64)
    assert logits.shape == (4, 2, 3, 1, 256)
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = np.take_along_axis(log_softmax, x[..., None].astype(int), -1).sum((1, 2, 3, 4))
    np.testing.assert_allclose(model.log_prob(x).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(model.bits_per_dim(x).numpy(),
                               -expected / (6 * np.log(2.0)), rtol=1e-5)


def test_sample_frequencies_match_the_model_probabilities():
    ar_checks.assert_sample_frequencies_match(_model(event_shape=(2, 2, 1), stddev=1.0),
                                              num_samples=20_000)


def test_categorical_samples_are_levels_and_follow_the_seed():
    model = _model(event_shape=(2, 2, 3), likelihood="categorical", num_bins=256)
    a = model.sample(3, seed=4).numpy()
    assert a.shape == (3, 2, 2, 3) and np.all(a == np.round(a)) and a.min() >= 0
    assert a.max() <= 255
    np.testing.assert_array_equal(a, model.sample(3, seed=4).numpy())


def test_the_training_loss_is_the_negative_log_likelihood():
    model = _model()
    x = ar_checks.all_binary((3, 3, 1))[::9]
    terms = model.compute_terms(x, training=True)
    np.testing.assert_allclose(terms["loss"].numpy(), -model.log_prob(x).numpy(), rtol=1e-6)
    history = ar_checks.fit_briefly(model, np.tile(x, (4, 1, 1, 1)), epochs=6,
                                    learning_rate=0.03)
    assert history["log_prob"][-1] > history["log_prob"][0]


def test_keras_and_saved_model_round_trips(tmp_path):
    ar_checks.assert_round_trips(_model(), testing.random_binary((5, 3, 3, 1), seed=3),
                                 tmp_path)
    model = _model(event_shape=(3, 3, 3), likelihood="categorical", num_bins=8,
                   channel_order=(2, 0, 1))
    x = np.random.default_rng(0).integers(0, 8, size=(2, 3, 3, 3)).astype("float32")
    testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x))
    testing.assert_config_round_trip(model)

def tiny_pixelcnn():
    """For the 2-replica check: 3x3 binary images, 4 filters, one residual block."""
    return _model()


def test_a_two_replica_step_equals_the_one_device_step():
    testing.assert_replica_step_matches(
        "tests.models.autoregressive.test_pixelcnn:tiny_pixelcnn",
        testing.random_binary((8, 3, 3, 1), p=0.5), method="fit")


def test_the_preset_builds_the_model():
    model = presets.build_model(presets.resolve("pixelcnn_binarized_mnist"), (28, 28, 1))
    assert isinstance(model, PixelCNN) and model.likelihood_name == "bernoulli"
    assert kgen.models.get("pixelcnn") is PixelCNN


def test_bad_input_raises_naming_the_argument():
    model = PixelCNN(event_shape=(3, 3, 1), filters=2, num_residual_blocks=0,
                     first_kernel_size=3)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.full((2, 3, 3, 1), 0.5))
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.zeros((2, 3, 4, 1)))
    model.compile(optimizer="adam")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((2, 3, 3, 1), 0.5),
                                 verbose=0)
    levels = PixelCNN(event_shape=(2, 2, 1), likelihood="categorical", filters=2,
                      num_residual_blocks=0, first_kernel_size=3)
    testing.assert_raises_naming(ValueError, "x", levels.log_prob, np.full((1, 2, 2, 1), 0.5))
    testing.assert_raises_naming(ValueError, "x", levels.log_prob, np.full((1, 2, 2, 1), 256))
    testing.assert_raises_naming(ValueError, "event_shape", PixelCNN, event_shape=(9,))
    testing.assert_raises_naming(ValueError, "kernel_size", PixelCNN, event_shape=(3, 3, 1),
                                 kernel_size=4)
    testing.assert_raises_naming(ValueError, "kernel_size", PixelCNN, event_shape=(3, 3, 1),
                                 first_kernel_size=2)
    testing.assert_raises_naming(ValueError, "channel_order", PixelCNN,
                                 event_shape=(3, 3, 3), channel_order=(0, 0, 1))
    testing.assert_raises_naming(ValueError, "likelihood", PixelCNN, event_shape=(3, 3, 1),
                                 likelihood="gaussian")
