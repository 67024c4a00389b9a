"""``kgen.metrics.nll`` reports what a model can honestly report."""

import math

import numpy as np
import tensorflow as tf

import kgen.metrics
from kgen import testing
from kgen.models.base import GenerativeModel


class _FairCoins(GenerativeModel):
    """Independent fair coins: log p(x) = -D log 2 for every binary x, exactly."""

    def log_prob(self, x):
        return tf.fill(tf.shape(x)[:1], -math.prod(self.event_shape) * math.log(2.0))


class _Implicit(GenerativeModel):
    def sample(self, num_samples, seed=None):
        return tf.zeros((num_samples,) + self.event_shape)


def test_an_exact_model_reports_its_log_prob_with_no_sampling():
    x = testing.random_binary((250, 6))
    result = kgen.metrics.nll(_FairCoins(event_shape=(6,)), x, num_samples=3, verbose=0)
    assert result["method"] == "log_prob" and result["exact"]
    assert result["num_samples"] is None and result["num_examples"] == 250
    np.testing.assert_allclose(result["nll"], 6 * math.log(2.0), rtol=1e-6)
    np.testing.assert_allclose(result["bits_per_dim"], 1.0, rtol=1e-6)
    assert result["nll_std_error"] < 1e-6


def test_a_latent_variable_model_reports_its_k_sample_bound():
    from kgen.models.vae import VAE

    model = VAE(event_shape=(6,), latent_dim=2, seed=0)
    x = testing.random_binary((20, 6))
    result = kgen.metrics.nll(model, x, num_samples=7, verbose=0)
    assert result["method"] == "iwae_bound" and not result["exact"]
    assert result["num_samples"] == 7
    expected = -np.mean(model.iwae_bound(x, 7, seed=tf.random.experimental.stateless_fold_in(
        tf.constant([0, 0], tf.int64), 0)).numpy())
    np.testing.assert_allclose(result["nll"], expected, rtol=1e-5)


def test_a_model_without_a_likelihood_is_told_so():
    message = testing.assert_raises_naming(
        ValueError, "model", kgen.metrics.nll, _Implicit(event_shape=(6,)),
        testing.random_binary((4, 6)), verbose=0)
    assert "_Implicit" in message and "log_prob" in message
    assert kgen.metrics.likelihood_method(_Implicit(event_shape=(6,))) is None
