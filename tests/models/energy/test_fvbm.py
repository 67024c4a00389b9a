"""FVBM: exact likelihood by enumeration, Gibbs stationarity, temperature, training, saving."""

import itertools

import keras
import numpy as np
import tensorflow as tf

import kgen.models
from kgen import testing
from kgen.models.energy import FVBM


def _model(d=5, scale=1.0, seed=0, **kwargs):
    model = FVBM(num_visible=d, seed=seed, **kwargs)
    rng = np.random.default_rng(seed)
    model.kernel.assign(scale * rng.normal(size=(d, d)).astype("float32"))
    model.bias.assign(0.5 * rng.normal(size=d).astype("float32"))
    return model


def _states(d):
    return np.array(list(itertools.product([0.0, 1.0], repeat=d)), np.float64)


def _energies(model):
    """E(y) of every state (order of ``_states``) from the raw kernel, float64."""
    k = np.asarray(model.kernel, np.float64)
    w = 0.5 * (k + k.T)
    np.fill_diagonal(w, 0.0)
    y = _states(model.num_visible)
    return -0.5 * np.einsum("si,ij,sj->s", y, w, y) - y @ np.asarray(model.bias, np.float64)


def _probabilities(model, temperature=None):
    t = model.temperature if temperature is None else temperature
    logits = -_energies(model) / t
    return np.exp(logits - np.logaddexp.reduce(logits))


def _frequencies(samples):
    codes = samples.astype(np.int64) @ (2 ** np.arange(samples.shape[1] - 1, -1, -1))
    return np.bincount(codes, minlength=2 ** samples.shape[1]) / len(samples)


def test_log_prob_is_exact_and_normalized_at_any_temperature():
    for temperature in (1.0, 0.7):
        model = _model(d=8, scale=1.0, temperature=temperature)
        w = model.coupling.numpy()
        np.testing.assert_allclose(w, w.T)
        np.testing.assert_array_equal(np.diag(w), 0.0)
        testing.assert_normalized_by_enumeration(model.log_prob, 8)
        np.testing.assert_allclose(np.exp(model.log_prob(_states(8)).numpy()),
                                   _probabilities(model), rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(model.energy(_states(8)).numpy(), _energies(model),
                                   rtol=1e-5, atol=1e-5)
    # The pseudo-log-likelihood: the sum of the exact one-unit conditionals.
    p, y = _probabilities(model), _states(8)[::7]
    codes = y.astype(np.int64) @ (2 ** np.arange(7, -1, -1))
    expected = sum(np.log(p[codes] / (p[codes] + p[codes ^ (1 << (7 - i))])) for i in range(8))
    np.testing.assert_allclose(model.pseudo_log_likelihood(y).numpy(), expected, rtol=1e-4)


def test_gibbs_chains_reach_the_enumerated_distribution():
    # 20,000 independent chains of 20 sweeps: each of the 2^5 state frequencies within
    # 5 binomial standard errors sqrt(p (1 - p) / n) (+ 1e-4) of its probability.
    model = _model(d=5, scale=1.5, seed=2)
    n = 20_000
    p = _probabilities(model)
    bound = 5.0 * np.sqrt(p * (1 - p) / n) + 1e-4
    samples = model.sample(n, seed=3, num_steps=20).numpy()
    assert set(np.unique(samples)) <= {0.0, 1.0}
    np.testing.assert_array_less(np.abs(_frequencies(samples) - p), bound)
    moved = model.gibbs(samples, num_steps=1, seed=4).numpy()  # invariance of one sweep
    np.testing.assert_array_less(np.abs(_frequencies(moved) - p), bound)
    # From a point mass, one sweep is not yet there (the test can fail).
    start = np.zeros((n, 5), np.float32)
    assert np.abs(_frequencies(model.gibbs(start, num_steps=1, seed=5).numpy()) - p).max() \
        > bound.max()


def test_temperature_flattens_or_concentrates_the_samples():
    model = _model(d=5, scale=2.0, seed=1)
    n = 20_000
    hot = _frequencies(model.sample(n, seed=1, num_steps=5, temperature=1000.0).numpy())
    np.testing.assert_array_less(np.abs(hot - 1 / 32), 5.0 * np.sqrt(1 / 32 / n))
    # Near T = 0 a sweep is coordinate descent of E: every chain ends in a local minimum
    # (no single flip lowers E); those near the global one reach it.
    cold = model.sample(2000, seed=2, num_steps=20, temperature=1e-3).numpy()
    energies = _energies(model)
    codes = cold.astype(np.int64) @ (2 ** np.arange(4, -1, -1))
    flips = np.stack([energies[codes ^ (1 << (4 - i))] for i in range(5)], 1)
    assert np.all(flips >= energies[codes][:, None] - 1e-6)
    assert _frequencies(cold)[np.argmin(energies)] > 0.1
    assert energies @ _frequencies(cold) < energies @ hot - 1.0
    # The exact p_T: at T = gap / 10 (gap: the two lowest energies' difference) the
    # global minimum holds >= 1 / (1 + 31 exp(-10)) > 0.99 of the mass.
    gap = np.diff(np.sort(energies)[:2])[0]
    cool = FVBM.from_config({**model.get_config(), "temperature": float(gap / 10)})
    cool.set_weights(model.get_weights())
    best = _states(5)[np.argmin(energies)][None].astype(np.float32)
    assert float(np.exp(cool.log_prob(best))[0]) > 0.99
    np.testing.assert_array_equal(model.sample(4, seed=5).numpy(), model.sample(4, seed=5))


def test_the_exact_gradient_is_the_moment_difference_and_fit_runs_with_xla():
    model = _model(d=4, scale=0.5, temperature=2.0)
    data = testing.random_binary((16, 4), seed=3, p=0.6)
    with tf.GradientTape() as tape:
        loss = model.total_loss(model.compute_terms(tf.constant(data))["loss"])
    grad_b = tape.gradient(loss, model.bias).numpy()
    p = _probabilities(model)
    np.testing.assert_allclose(grad_b, (p @ _states(4) - data.mean(0)) / 2.0, atol=1e-5)
    nll = float(-np.mean(model.log_prob(data)))
    np.testing.assert_allclose(float(loss), nll, rtol=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(0.1), jit_compile=True)
    history = model.fit(data, batch_size=16, epochs=30, verbose=0).history
    assert history["loss"][-1] < nll - 0.1 and "pseudo_log_likelihood" in history
    cd = FVBM(num_visible=30, k=1, seed=0)  # CD-1 for any size
    cd.compile(optimizer=keras.optimizers.SGD(0.1))
    cd.fit(testing.random_binary((32, 30), seed=1), batch_size=16, epochs=1, verbose=0)
    assert "log_prob" not in cd.serving_signatures()


def test_keras_and_saved_model_round_trips(tmp_path):
    model = _model(d=6, temperature=1.5)
    x = testing.random_binary((5, 6), seed=1)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x))
    assert loaded.temperature == 1.5
    testing.assert_config_round_trip(model)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "energy": {"x": x}, "log_prob": {"x": x},
        "sample": {"num_samples": np.int32(3), "num_steps": np.int32(2)}})
    np.testing.assert_allclose(served["log_prob"]["log_prob"], model.log_prob(x), rtol=1e-5)
    assert served["sample"]["x"].shape == (3, 6)
    assert kgen.models.get("fvbm") is FVBM


def test_bad_input_raises_naming_the_argument():
    model = _model(d=4)
    for temperature in (0.0, -1.0, float("nan")):
        testing.assert_raises_naming(ValueError, "temperature", FVBM, num_visible=4,
                                     temperature=temperature)
        testing.assert_raises_naming(ValueError, "temperature", model.sample, 2,
                                     temperature=temperature)
        testing.assert_raises_naming(ValueError, "temperature", model.gibbs,
                                     np.zeros((2, 4)), temperature=temperature)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.full((2, 4), 0.5))
    testing.assert_raises_naming(ValueError, "x", model.energy, np.zeros((2, 5)))
    testing.assert_raises_naming(ValueError, "k", FVBM, num_visible=4, k=0)
    testing.assert_raises_naming(ValueError, "k", FVBM, num_visible=21)  # exact needs <= 20
    testing.assert_raises_naming(ValueError, "num_visible", FVBM(num_visible=21, k=1).log_prob,
                                 np.zeros((1, 21)))
    testing.assert_raises_naming(ValueError, "num_visible", FVBM, num_visible=5,
                                 event_shape=(2, 2))
    testing.assert_raises_naming(ValueError, "num_steps", model.sample, 2, num_steps=0)
    model.compile(optimizer="sgd")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((4, 4), 0.5), verbose=0)
