"""FVSBN: the logistic conditionals, exact normalization, sampling, saving, bad input."""

import numpy as np

import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.models.autoregressive import FVSBN

from tests.models.autoregressive import ar_checks


def _model(event_shape=(3, 3, 1), seed=0):
    return ar_checks.randomize(FVSBN(event_shape=event_shape, seed=seed), seed=seed)


def _numpy_log_prob(model, x):
    """sum_d log Bernoulli(x_d; sigmoid(b_d + sum_{j<d} W_dj x_j)), in float64."""
    w = model.kernel.numpy().astype(np.float64)
    b = model.bias.numpy().astype(np.float64)
    x = x.reshape(len(x), -1).astype(np.float64)
    total = np.zeros(len(x))
    for d in range(x.shape[1]):
        logit = b[d] + x[:, :d] @ w[d, :d]
        total += x[:, d] * logit - np.logaddexp(0.0, logit)
    return total


def test_probabilities_of_all_512_images_sum_to_one():
    model = _model()
    testing.assert_normalized_by_enumeration(model.log_prob, 9, event_shape=(3, 3, 1))


def test_log_prob_equals_a_numpy_computation():
    model = _model()
    x = ar_checks.all_binary((3, 3, 1))[::5]
    np.testing.assert_allclose(model.log_prob(x).numpy(), _numpy_log_prob(model, x),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(x).numpy(), model.log_prob(x).numpy())


def test_conditionals_are_autoregressive_in_raster_order():
    model = _model(event_shape=(3, 3, 1))
    testing.assert_autoregressive(model.conditionals, testing.random_binary((4, 3, 3, 1)),
                                  complete=True)


def test_sample_frequencies_match_the_model_probabilities():
    ar_checks.assert_sample_frequencies_match(_model(event_shape=(5,), seed=2))


def test_the_training_loss_is_the_negative_log_likelihood():
    model = _model()
    x = ar_checks.all_binary((3, 3, 1))[::7]
    terms = model.compute_terms(x, training=True)
    np.testing.assert_allclose(terms["loss"].numpy(), -_numpy_log_prob(model, x), rtol=1e-5)
    np.testing.assert_allclose(terms["log_prob"].numpy(), -terms["loss"].numpy())
    assert model.monitor == ("log_prob", "max")
    before = model.log_prob(x).numpy().mean()
    ar_checks.fit_briefly(model, np.tile(x, (4, 1, 1, 1)), epochs=5, learning_rate=0.05)
    assert model.log_prob(x).numpy().mean() > before + 0.5


def test_keras_and_saved_model_round_trips(tmp_path):
    ar_checks.assert_round_trips(_model(), testing.random_binary((5, 3, 3, 1), seed=3),
                                 tmp_path)

def tiny_fvsbn():
    """For the 2-replica check: 6 bits, random weights (seed 0)."""
    return _model(event_shape=(6,))


def test_a_two_replica_step_equals_the_one_device_step():
    testing.assert_replica_step_matches(
        "tests.models.autoregressive.test_fvsbn:tiny_fvsbn", testing.random_binary((8, 6)),
        method="fit")


def test_the_preset_builds_the_model():
    model = presets.build_model(presets.resolve("fvsbn_binarized_mnist"), (28, 28, 1))
    assert isinstance(model, FVSBN) and model.num_dims == 784
    assert kgen.models.get("fvsbn") is FVSBN


def test_bad_input_raises_naming_the_argument():
    model = FVSBN(event_shape=(4,), seed=0)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.full((2, 4), 0.5))
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.zeros((2, 5)))
    model.compile(optimizer="adam")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((2, 4), 0.5), verbose=0)
    testing.assert_raises_naming(ValueError, "num_samples", model.sample, 0)
    testing.assert_raises_naming(ValueError, "seed", model.sample, 2, seed=-1)
    testing.assert_raises_naming(ValueError, "event_shape", FVSBN, event_shape=(0,))
