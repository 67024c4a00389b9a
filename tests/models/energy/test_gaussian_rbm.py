"""Gaussian-Bernoulli RBM: free energy and log Z against enumeration and integration,
Gibbs moments, CD training with learned sigma, saving, serving, bad input."""

import itertools

import keras
import numpy as np
import tensorflow as tf

import kgen.metrics
import kgen.models
from kgen import testing
from kgen.models.energy import GaussianRBM


def _model(num_visible=2, num_hidden=3, seed=0, **kwargs):
    model = GaussianRBM(num_visible=num_visible, num_hidden=num_hidden, seed=seed,
                        learn_sigma=True, **kwargs)
    rng = np.random.default_rng(seed)
    model.kernel.assign(rng.normal(size=(num_visible, num_hidden)).astype("float32"))
    model.visible_bias.assign(rng.normal(size=num_visible).astype("float32"))
    model.hidden_bias.assign(0.5 * rng.normal(size=num_hidden).astype("float32"))
    model.log_sigma.assign(0.3 * rng.normal(size=num_visible).astype("float32"))
    return model


def _params(model):
    return [np.asarray(t, np.float64) for t in (model.kernel, model.visible_bias,
                                                model.hidden_bias, model.log_sigma)]


def _hidden_states(h):
    return np.array(list(itertools.product([0.0, 1.0], repeat=h)))


def _energy(model, v, h):
    """E(v, h) of the guide's energy for every v (rows) and h (columns), float64."""
    w, b, c, log_sigma = _params(model)
    s = np.exp(log_sigma)
    return (((v - b) ** 2 / (2 * s ** 2)).sum(1)[:, None] - (h @ c)[None]
            - (v / s) @ w @ h.T)


def test_free_energy_and_log_z_against_enumeration_and_integration():
    model = _model()
    h = _hidden_states(3)
    v = np.random.default_rng(1).normal(size=(9, 2)) * 2.0
    expected = -np.logaddexp.reduce(-_energy(model, v, h), axis=1)
    np.testing.assert_allclose(model.free_energy(v).numpy(), expected, rtol=1e-5, atol=1e-5)
    # log Z: the trapezoid rule over [-12, 12]^2 of exp(-F) against the closed form.
    grid = np.linspace(-12.0, 12.0, 481)
    points = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    free = -np.logaddexp.reduce(-_energy(model, points, h), axis=1).reshape(481, 481)
    z = np.trapezoid(np.trapezoid(np.exp(-free), grid, axis=1), grid)
    record = model.exact_log_partition()
    np.testing.assert_allclose(record["log_z"], np.log(z), atol=1e-4)
    model.set_log_partition(record)
    testing.assert_normalized_on_grid(lambda x: model.log_prob(np.asarray(x, np.float32)),
                                      -12.0, 12.0, num_points=241, atol=2e-3)


def test_gibbs_chains_match_the_exact_mixture_moments():
    # p(v) = sum_h p(h) N(b + sigma W h, sigma^2): its mean and second moments
    # against 20,000 chains of 30 sweeps, within 5 standard errors.
    model = _model(seed=2)
    w, b, c, log_sigma = _params(model)
    s, h = np.exp(log_sigma), _hidden_states(3)
    wh = h @ w.T
    log_ph = h @ c + (wh * b / s + wh ** 2 / 2).sum(1)
    ph = np.exp(log_ph - np.logaddexp.reduce(log_ph))
    means = b + s * wh
    mean = ph @ means
    second = np.einsum("h,hi,hj->ij", ph, means, means) + np.diag(s ** 2)
    n = 20_000
    samples = model.sample(n, seed=3, num_steps=30).numpy().astype(np.float64)
    products = np.einsum("ni,nj->nij", samples, samples)
    np.testing.assert_array_less(np.abs(samples.mean(0) - mean),
                                 5 * samples.std(0) / np.sqrt(n))
    np.testing.assert_array_less(np.abs(products.mean(0) - second),
                                 5 * products.std(0) / np.sqrt(n))
    # At T = 4 the chains' variance given h is 4 sigma^2: wider than at T = 1.
    hot = model.sample(n, seed=4, num_steps=10, temperature=4.0).numpy()
    assert np.all(hot.std(0) > samples.std(0) * 1.2)


def test_pcd_fit_learns_sigma_and_runs_with_xla():
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(64, 2)) * [3.0, 0.5] + [1.0, -2.0]).astype("float32")
    keras.utils.set_random_seed(0)
    model = GaussianRBM(num_visible=2, num_hidden=4, persistent=True, num_chains=16,
                        learn_sigma=True, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.01), jit_compile=True)
    history = model.fit(data, batch_size=16, epochs=2, verbose=0).history
    assert set(history) >= {"loss", "reconstruction_error", "free_energy_gap"}
    # The data initialization: the means and the log standard deviations.
    assert np.allclose(model.visible_bias, data.mean(0), atol=0.3)
    assert np.allclose(model.sigma, data.std(0), rtol=0.2)
    assert "log_sigma" in [w.name for w in model.trainable_weights]
    fixed = GaussianRBM(num_visible=2, num_hidden=4)
    assert "log_sigma" not in [w.name for w in fixed.trainable_weights]
    # The CD gradient of log sigma is E_data[dF] - E_chains[dF]: non-zero here.
    v = tf.constant(data)
    negative = model.negative_samples(v)
    with tf.GradientTape() as tape:
        loss = model.total_loss(model.compute_terms(v, training=True, negative=negative)["loss"])
    assert np.any(np.abs(tape.gradient(loss, model.log_sigma).numpy()) > 1e-4)


def test_keras_and_saved_model_round_trips(tmp_path):
    model = _model(num_visible=3, num_hidden=4, persistent=True, num_chains=5)
    model.set_log_partition(model.exact_log_partition())
    x = np.random.default_rng(1).normal(size=(6, 3)).astype("float32")
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x))
    assert loaded.learn_sigma and loaded.log_partition == model.log_partition
    testing.assert_config_round_trip(model)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "free_energy": {"x": x}, "log_prob": {"x": x},
        "sample": {"num_samples": np.int32(4), "num_steps": np.int32(3)}})
    np.testing.assert_allclose(served["log_prob"]["log_prob"], model.log_prob(x), rtol=1e-5)
    assert served["sample"]["x"].shape == (4, 3)
    assert kgen.models.get("gaussian_rbm") is GaussianRBM


def test_bad_input_raises_naming_the_argument():
    model = _model()
    testing.assert_raises_naming(ValueError, "x", model.free_energy, np.zeros((2, 3)))
    testing.assert_raises_naming(ValueError, "x", model.free_energy,
                                 np.array([[np.nan, 0.0]]))
    testing.assert_raises_naming(ValueError, "k", GaussianRBM, num_visible=2, k=0)
    testing.assert_raises_naming(TypeError, "learn_sigma", GaussianRBM, num_visible=2,
                                 learn_sigma=1)
    testing.assert_raises_naming(ValueError, "temperature", model.sample, 2, temperature=0.0)
    testing.assert_raises_naming(ValueError, "num_hidden",
                                 GaussianRBM(num_visible=2, num_hidden=21).exact_log_partition)
    for estimate in (kgen.metrics.exact_log_partition, kgen.metrics.ais_log_partition):
        testing.assert_raises_naming(ValueError, "model", estimate, model)
    model.compile(optimizer="sgd")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.zeros((4, 3)), verbose=0)
