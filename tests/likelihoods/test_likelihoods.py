"""Tests of kgen.likelihoods: normalization by enumeration, log_prob against hand
computations, samples in the support, the shared interface and the re-exports."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import log_softmax, logsumexp, softmax

from kgen import likelihoods, testing
from kgen.likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    DiscretizedLogisticLikelihood,
    GaussianLikelihood,
)


def _logits(shape, seed=0, scale=2.0):
    return np.random.default_rng(seed).normal(0.0, scale, shape).astype("float32")


# --- the shared interface ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(likelihoods.LIKELIHOODS))
def test_every_likelihood_offers_the_interface_and_its_params_shape(name):
    layer = likelihoods.get(name, (2, 3, 1))
    assert type(layer) is likelihoods.LIKELIHOODS[name]
    assert layer.name == f"{name}_likelihood"
    assert all(hasattr(layer, attribute) for attribute in likelihoods.INTERFACE)
    assert layer.noise in ("uniform", "normal")
    extra = (256,) if name == "categorical" else ()
    assert layer.params_shape == (2, 3, 1) + extra
    params = tf.constant(_logits((4,) + layer.params_shape))
    noise = tf.random.stateless_uniform((4,) + layer.params_shape, (1, 2))
    assert layer.mean(params).shape == (4, 2, 3, 1)
    x = layer.sample(params, noise)
    assert x.shape == (4, 2, 3, 1)
    assert layer(params).log_prob(x).shape == (4,)


def test_an_unknown_likelihood_name_is_a_value_error_naming_it():
    testing.assert_raises_naming(ValueError, "likelihood", likelihoods.get, "poisson", (2,))


@pytest.mark.parametrize("name", sorted(likelihoods.LIKELIHOODS))
def test_config_round_trips_through_the_registered_name(name):
    layer = likelihoods.get(name, (2, 2))
    config = keras.saving.serialize_keras_object(layer)
    assert config["registered_name"] == f"kgen.likelihoods>{type(layer).__name__}"
    clone = keras.saving.deserialize_keras_object(config, safe_mode=True)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_the_vae_package_re_exports_the_shared_likelihoods():
    from kgen.models import vae

    for cls in (BernoulliLikelihood, GaussianLikelihood, DiscretizedLogisticLikelihood):
        assert getattr(vae, cls.__name__) is cls
        assert getattr(vae.likelihoods, cls.__name__) is cls
    assert vae.likelihoods.CategoricalLikelihood is CategoricalLikelihood
    assert vae.likelihoods.INTERFACE is likelihoods.INTERFACE
    assert vae.likelihoods.get is likelihoods.get


# --- Bernoulli and Gaussian ------------------------------------------------------------
def test_bernoulli_sums_to_one_by_enumeration_of_binary_events():
    likelihood = BernoulliLikelihood((3,))
    events = np.array(list(itertools.product([0.0, 1.0], repeat=3)), "float32")  # [8, 3]
    logits = np.broadcast_to(_logits((1, 3)), (8, 3))
    log_p = likelihood(logits).log_prob(events).numpy()
    np.testing.assert_allclose(np.exp(logsumexp(log_p)), 1.0, rtol=1e-6)


def test_bernoulli_log_prob_matches_the_hand_computation():
    likelihood = BernoulliLikelihood((4,))
    logits, x = _logits((2, 4)), np.array([[0, 1, 1, 0], [1, 1, 0, 0]], "float32")
    p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=-1)
    np.testing.assert_allclose(likelihood(logits).log_prob(x), expected, rtol=1e-5)


def test_gaussian_log_prob_matches_the_closed_form():
    likelihood = GaussianLikelihood((3,), init_scale=0.7)
    mu, x = _logits((2, 3)), _logits((2, 3), seed=1)
    expected = np.sum(-0.5 * ((x - mu) / 0.7) ** 2 - np.log(0.7) - 0.5 * np.log(2 * np.pi), -1)
    np.testing.assert_allclose(likelihood(mu).log_prob(x), expected, rtol=1e-5)


# --- discretized logistic (moved from tests/models/vae/test_vae.py) ----------------------
def test_discretized_logistic_sums_to_one_over_all_pixel_levels():
    likelihood = DiscretizedLogisticLikelihood((1,), num_bins=5)
    levels = tf.reshape(tf.range(5, dtype=tf.float32), (5, 1))
    for loc in (-3.0, 0.3, 2.0, 4.7, 9.0):  # inside and outside the pixel range
        log_p = likelihood(tf.fill((5, 1), loc)).log_prob(levels).numpy()
        np.testing.assert_allclose(np.exp(logsumexp(log_p)), 1.0, rtol=1e-5)


def test_discretized_logistic_matches_the_closed_form_with_edge_bins():
    likelihood = DiscretizedLogisticLikelihood((4,), num_bins=256)
    loc = np.array([[10.0, 128.3, 250.0, 3.0]], "float32")
    x = np.array([[0, 128, 255, 7]], "float32")
    scale = np.exp(likelihood.log_scale.numpy())
    cdf = lambda v: 1.0 / (1.0 + np.exp(-(v - loc) / scale))  # noqa: E731
    p = np.where(x == 0, cdf(x + 0.5), np.where(x == 255, 1 - cdf(x - 0.5),
                                               cdf(x + 0.5) - cdf(x - 0.5)))
    np.testing.assert_allclose(likelihood(loc).log_prob(x), np.log(p).sum(-1), rtol=1e-4)


# --- 256-way categorical ---------------------------------------------------------------
def test_categorical_sums_to_one_over_all_256_levels():
    likelihood = CategoricalLikelihood((1,))
    levels = np.arange(256, dtype="float32").reshape(256, 1)
    logits = np.broadcast_to(_logits((1, 1, 256), scale=5.0), (256, 1, 256))
    log_p = likelihood(logits).log_prob(levels).numpy()
    np.testing.assert_allclose(np.exp(logsumexp(log_p.astype(np.float64))), 1.0, rtol=1e-5)


def test_categorical_of_two_pixels_sums_to_one_by_enumeration_of_events():
    likelihood = CategoricalLikelihood((2,), num_bins=4)
    events = np.array(list(itertools.product(range(4), repeat=2)), "float32")  # [16, 2]
    logits = np.broadcast_to(_logits((1, 2, 4)), (16, 2, 4))
    log_p = likelihood(logits).log_prob(events).numpy()
    np.testing.assert_allclose(np.exp(logsumexp(log_p)), 1.0, rtol=1e-6)


def test_categorical_log_prob_is_the_sum_of_hand_computed_log_softmaxes():
    likelihood = CategoricalLikelihood((2, 2, 1))
    logits = _logits((3, 2, 2, 1, 256))
    x = np.random.default_rng(1).integers(0, 256, (3, 2, 2, 1)).astype("float32")
    x[0, 0, 0, 0], x[1, 1, 1, 0] = 0.0, 255.0  # both edge levels
    log_softmax_ = log_softmax(logits.astype(np.float64), axis=-1)
    picked = np.take_along_axis(log_softmax_, x.astype(int)[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(likelihood(logits).log_prob(x), picked.sum((1, 2, 3)),
                               rtol=1e-5)


def test_categorical_samples_are_levels_drawn_with_the_softmax_frequencies():
    likelihood = CategoricalLikelihood((1,), num_bins=5)
    n = 40000
    logits = np.broadcast_to(np.array([[[1.0, -1.0, 0.0, 2.0, -3.0]]], "float32"), (n, 1, 5))
    noise = tf.random.stateless_uniform((n, 1, 5), (3, 4))
    x = likelihood.sample(logits, noise).numpy()
    assert set(np.unique(x)) <= set(range(5))
    p = softmax(logits[0, 0].astype(np.float64))
    frequencies = np.bincount(x.astype(int).ravel(), minlength=5) / n
    np.testing.assert_array_less(np.abs(frequencies - p), 5 * np.sqrt(p * (1 - p) / n))


def test_categorical_samples_of_256_levels_are_integers_in_the_pixel_range():
    likelihood = CategoricalLikelihood((4, 4, 1))
    logits = _logits((50, 4, 4, 1, 256), scale=8.0)
    noise = tf.random.stateless_uniform(logits.shape, (5, 6))
    x = likelihood.sample(logits, noise).numpy()
    assert x.dtype == np.float32 and x.shape == (50, 4, 4, 1)
    np.testing.assert_array_equal(x, np.round(x))
    assert x.min() >= 0 and x.max() <= 255 and len(np.unique(x)) > 100
    np.testing.assert_array_equal(x, likelihood.sample(logits, noise))  # noise decides
    assert np.all(np.isfinite(likelihood(logits).log_prob(x)))


def test_categorical_sample_takes_a_dominant_level_whatever_the_noise():
    likelihood = CategoricalLikelihood((3,))
    logits = np.full((2, 3, 256), -50.0, "float32")
    logits[..., 7] = 50.0
    for u in (0.0, 1e-30, 0.5, np.nextafter(np.float32(1), np.float32(0))):
        noise = tf.fill(logits.shape, np.float32(u))
        np.testing.assert_array_equal(likelihood.sample(logits, noise), np.full((2, 3), 7.0))


def test_categorical_mean_is_the_expected_level():
    likelihood = CategoricalLikelihood((2,), num_bins=256)
    logits = _logits((3, 2, 256))
    expected = softmax(logits.astype(np.float64), axis=-1) @ np.arange(256)
    np.testing.assert_allclose(likelihood.mean(logits), expected, rtol=1e-5)
    assert likelihood.data_range == (0.0, 255.0)
    assert likelihood.integer and not likelihood.binary and likelihood.noise == "uniform"


@pytest.mark.parametrize("shape", [(3, 2, 2, 1), (3, 2, 2, 1, 255), (3, 2, 3, 1, 256), (256,)])
def test_categorical_params_without_their_levels_axis_are_a_value_error(shape):
    likelihood = CategoricalLikelihood((2, 2, 1))
    params = tf.zeros(shape)
    for fn in (likelihood, likelihood.mean):
        testing.assert_raises_naming(ValueError, "params", fn, params)


@pytest.mark.parametrize("num_bins, error", [(1, ValueError), (2.5, TypeError)])
def test_categorical_needs_at_least_two_integer_levels(num_bins, error):
    testing.assert_raises_naming(error, "num_bins", CategoricalLikelihood, (2,),
                                 num_bins=num_bins)
