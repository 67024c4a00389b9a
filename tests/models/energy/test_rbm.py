"""RBM: free energy, Gibbs sampling, the CD-k gradient, metrics, saving, serving, bad input."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.metrics
import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.models.energy import RBM
from tests.cli.test_cli import Interrupt  # a kill when an epoch begins


def _model(num_visible=6, num_hidden=4, scale=1.0, seed=0, **kwargs):
    """A tiny RBM with random weights of standard deviation ``scale``."""
    model = RBM(num_visible=num_visible, num_hidden=num_hidden, seed=seed, **kwargs)
    rng = np.random.default_rng(seed)
    model.kernel.assign(scale * rng.normal(size=(num_visible, num_hidden)).astype("float32"))
    model.visible_bias.assign(0.5 * rng.normal(size=num_visible).astype("float32"))
    model.hidden_bias.assign(0.5 * rng.normal(size=num_hidden).astype("float32"))
    return model


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)), np.float64)


def _weights(model):
    return [np.asarray(w, np.float64) for w in (model.kernel, model.visible_bias,
                                                model.hidden_bias)]


def _energies(model):
    """E(v, h) for every v (rows) and h (columns), float64."""
    w, b, c = _weights(model)
    v, h = _states(len(b)), _states(len(c))
    return -(v @ b)[:, None] - (h @ c)[None, :] - v @ w @ h.T


def _marginal(model):
    """p(v) for every v in the order of ``_states``, by summing exp(-E) over v and h."""
    log_joint = -_energies(model)
    log_pv = np.logaddexp.reduce(log_joint, axis=1)
    return np.exp(log_pv - np.logaddexp.reduce(log_pv))


def test_free_energy_is_minus_log_of_the_summed_out_joint():
    model = _model(num_visible=6, num_hidden=4, scale=1.5)
    expected = -np.logaddexp.reduce(-_energies(model), axis=1)
    np.testing.assert_allclose(model.free_energy(_states(6)).numpy(), expected, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(model(_states(6).astype("float32")).numpy(), expected,
                               rtol=1e-5, atol=1e-5)


def test_log_prob_with_the_exact_log_z_is_normalized_and_the_marginal():
    model = _model(num_visible=8, num_hidden=5, scale=1.0)
    model.set_log_partition(kgen.metrics.exact_log_partition(model))
    testing.assert_normalized_by_enumeration(model.log_prob, 8)
    np.testing.assert_allclose(np.exp(model.log_prob(_states(8)).numpy()), _marginal(model),
                               rtol=1e-4, atol=1e-7)
    assert model.log_partition["method"] == "exact" and model.log_prob_is_exact


def _frequencies(samples):
    codes = samples.reshape(len(samples), -1).astype(np.int64)
    codes = codes @ (2 ** np.arange(codes.shape[1] - 1, -1, -1))
    return np.bincount(codes, minlength=2 ** samples.shape[1]) / len(samples)


def test_gibbs_chains_reach_the_enumerated_distribution():
    # 40,000 independent chains of 30 sweeps: every one of the 2^5 states within
    # 5 standard errors of its probability.
    model = _model(num_visible=5, num_hidden=3, scale=1.0)
    n = 40_000
    samples = model.sample(n, seed=3, num_steps=30).numpy()
    assert set(np.unique(samples)) <= {0.0, 1.0}
    p = _marginal(model)
    np.testing.assert_array_less(np.abs(_frequencies(samples) - p),
                                 5.0 * np.sqrt(p * (1 - p) / n) + 1e-4)
    # Started at the data and run on, gibbs() keeps that distribution.
    moved = model.gibbs(samples, num_steps=2, seed=4).numpy()
    np.testing.assert_array_less(np.abs(_frequencies(moved) - p),
                                 5.0 * np.sqrt(p * (1 - p) / n) + 1e-4)


def test_temperature_flattens_or_concentrates_the_samples():
    model = _model(num_visible=5, num_hidden=3, scale=2.0)
    n = 20_000
    hot = _frequencies(model.sample(n, seed=1, num_steps=20, temperature=1000.0).numpy())
    np.testing.assert_array_less(np.abs(hot - 1 / 32), 5.0 * np.sqrt(1 / 32 / n))
    # Near T = 0 a Gibbs sweep is block-wise descent of E(v, h): every chain ends in
    # a local minimum (v and h each optimal given the other), well below the mean
    # energy at high T.
    # Started at uniform random states, every chain lands in some local minimum;
    # those that start at the global minimum stay there.
    start = testing.random_binary((2000, 5), seed=6, p=0.5)
    cold = model.gibbs(start, num_steps=50, seed=2, temperature=1e-3).numpy()
    w, b, c = _weights(model)
    h = (cold @ w + c > 0).astype(np.float64)
    assert np.mean(np.all(cold == (h @ w.T + b > 0), axis=1)) > 0.99
    lowest = _energies(model).min(axis=1)  # min_h E(v, h) per v
    assert _frequencies(cold)[np.argmin(lowest)] > 0.02
    assert (lowest @ _frequencies(cold)) < (lowest @ hot) - 0.5
    # Samples follow the seed; unseeded draws advance the model's generator.
    np.testing.assert_array_equal(model.sample(4, seed=5).numpy(),
                                  model.sample(4, seed=5).numpy())
    assert not np.array_equal(model.sample(64, num_steps=1).numpy(),
                              model.sample(64, num_steps=1).numpy())


def _gradient_terms(model, v):
    """-dF/dtheta per example for kernel, visible and hidden biases (float64)."""
    w, b, c = _weights(model)
    q = 1.0 / (1.0 + np.exp(-(v @ w + c)))
    return v[:, :, None] * q[:, None, :], v, q


def _exact_cd_gradient(model, data, k):
    """The expected CD-k gradient of the mean surrogate (and, for k=None, the
    exact gradient of -mean log p), from the enumerated Gibbs kernel."""
    w, b, c = _weights(model)
    v, h = _states(len(b)), _states(len(c))
    ph = np.prod(np.where(h[None] == 1, 1 / (1 + np.exp(-(v @ w + c)))[:, None],
                          1 / (1 + np.exp(v @ w + c))[:, None]), axis=-1)   # [V, H] states
    pv = np.prod(np.where(v[None] == 1, 1 / (1 + np.exp(-(h @ w.T + b)))[:, None],
                          1 / (1 + np.exp(h @ w.T + b))[:, None]), axis=-1)  # [H, V] states
    index = (data.astype(np.int64) @ (2 ** np.arange(len(b) - 1, -1, -1)))
    start = np.bincount(index, minlength=len(v)) / len(data)
    negative = _marginal(model) if k is None else start @ np.linalg.matrix_power(ph @ pv, k)
    gw, gb, gc = _gradient_terms(model, v)
    positive = [(start[:, None, None] * gw).sum(0), start @ gb, start @ gc]
    model_side = [(negative[:, None, None] * gw).sum(0), negative @ gb, negative @ gc]
    # d/dtheta [mean F(data) - mean F(negative)] = -(positive - model side).
    return [m - p for p, m in zip(positive, model_side)]


def test_the_cd_k_gradient_matches_its_expectation_and_nears_the_exact_one_as_k_grows():
    model = _model(num_visible=6, num_hidden=4, scale=1.5, seed=1)
    data = testing.random_binary((12, 6), seed=2, p=0.5).astype(np.float64)
    repeats = 3000  # 36,000 chains
    exact = _exact_cd_gradient(model, data, None)
    distances = []
    for k in (1, 3, 10):
        model.k = k
        v = tf.constant(np.tile(data, (repeats, 1)), tf.float32)
        negative = model.negative_samples(v)
        with tf.GradientTape() as tape:
            loss = model.total_loss(model.compute_terms(v, training=True,
                                                        negative=negative)["loss"])
        got = [g.numpy() for g in tape.gradient(loss, [model.kernel, model.visible_bias,
                                                       model.hidden_bias])]
        expected = _exact_cd_gradient(model, data, k)
        # Monte Carlo error of the chains' mean statistics, per parameter.
        terms = _gradient_terms(model, negative.numpy().astype(np.float64))
        for g, e, t in zip(got, expected, terms):
            error = t.std(axis=0) / np.sqrt(len(t))
            np.testing.assert_array_less(np.abs(g - e), 5.0 * error + 1e-5)
        distances.append(np.sqrt(sum(((g - x) ** 2).sum() for g, x in zip(got, exact))))
    assert distances[0] > 1.5 * distances[1] > 1.5 * distances[2], distances


def test_pseudo_log_likelihood_is_the_sum_of_the_pixel_conditionals():
    model = _model(num_visible=7, num_hidden=5, scale=1.0)
    x = _states(7)[::5]
    p = _marginal(model)
    codes = x.astype(np.int64) @ (2 ** np.arange(6, -1, -1))
    expected = np.zeros(len(x))
    for i in range(7):
        flipped = codes ^ (1 << (6 - i))
        expected += np.log(p[codes] / (p[codes] + p[flipped]))
    np.testing.assert_allclose(model.pseudo_log_likelihood(x).numpy(), expected, rtol=1e-4)
    # The one-pixel estimate of the training metric is unbiased: D * the mean
    # conditional over the pixels, and its mean over many draws is the sum.
    tiled = tf.constant(np.repeat(x[:3], 20_000, axis=0), tf.float32)
    estimate = model._one_pixel_pll(tiled).numpy().reshape(3, -1)
    standard_error = estimate.std(axis=1) / np.sqrt(estimate.shape[1])
    np.testing.assert_array_less(np.abs(estimate.mean(axis=1) - expected[:3]),
                                 5.0 * standard_error)


def test_training_terms_and_weight_decay():
    model = _model(num_visible=6, num_hidden=4, weight_decay=0.1)
    v = tf.constant(_states(6)[::3], tf.float32)
    negative = model.negative_samples(v)
    terms = model.compute_terms(v, training=True, negative=negative)
    gap = model.free_energy(v) - tf.reduce_mean(model.free_energy(negative))
    np.testing.assert_allclose(terms["free_energy_gap"], gap, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(terms["loss"], terms["free_energy_gap"])
    recon = tf.sigmoid(tf.matmul(tf.sigmoid(tf.matmul(v, model.kernel) + model.hidden_bias),
                                 model.kernel, transpose_b=True) + model.visible_bias)
    np.testing.assert_allclose(terms["reconstruction_error"],
                               tf.reduce_sum((v - recon) ** 2, -1), rtol=1e-5)
    # The weight cost is 0.5 * weight_decay * ||W||^2, on the kernel alone.
    np.testing.assert_allclose(float(tf.add_n(model.losses)),
                               0.05 * float(tf.reduce_sum(model.kernel ** 2)), rtol=1e-5)
    with tf.GradientTape() as tape:
        loss = model.total_loss(terms["loss"] * 0.0)
    grads = tape.gradient(loss, [model.kernel, model.visible_bias])
    np.testing.assert_allclose(grads[0], 0.1 * model.kernel.numpy(), rtol=1e-5)
    assert grads[1] is None or not np.any(grads[1])


def _pcd(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    model = RBM(num_visible=12, num_hidden=5, persistent=True, num_chains=8, seed=seed,
                **kwargs)
    # Weights large enough that a chain's next state depends on its state (with
    # the N(0, 0.01^2) start, p(h | v) hardly does, so any chains step alike).
    model.kernel.assign(np.random.default_rng(seed).normal(size=(12, 5)).astype("float32"))
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5))
    return model


def _data():
    return tf.data.Dataset.from_tensor_slices(
        testing.random_binary((64, 12), seed=4, p=0.4)).batch(16)


def _state(model):
    return ([np.array(w) for w in model.weights]
            + [np.array(v) for v in model.optimizer.variables]
            + [np.array(model.seed_generator.state)])


def test_pcd_fit_carries_the_chains_and_reports_the_metrics():
    model = _pcd()
    model.fit(_data(), epochs=1, verbose=0)  # data init: biases and chains from the data
    x = testing.random_binary((64, 12), seed=4, p=0.4)
    np.testing.assert_allclose(tf.sigmoid(model.visible_bias), x.mean(0), atol=0.2)
    before = np.array(model.chains)
    history = model.fit(_data(), epochs=2, verbose=0, validation_data=_data()).history
    assert not np.array_equal(before, np.array(model.chains))
    assert set(np.unique(np.array(model.chains))) <= {0.0, 1.0}
    assert {"loss", "reconstruction_error", "pseudo_log_likelihood", "free_energy_gap",
            "val_pseudo_log_likelihood"} <= set(history)
    assert model.state_names == ("initialized", "chains")
    assert model.monitor == ("pseudo_log_likelihood", "max")


def test_keras_round_trip_keeps_the_chains_and_log_z(tmp_path):
    model = _pcd()
    model.fit(_data(), epochs=1, verbose=0)
    model.set_log_partition(kgen.metrics.exact_log_partition(model))
    x = testing.random_binary((5, 12), seed=1)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x))
    np.testing.assert_array_equal(np.array(loaded.chains), np.array(model.chains))
    assert loaded.log_partition == model.log_partition
    testing.assert_config_round_trip(model)
    model.fit(_data(), epochs=1, verbose=0)  # both train on alike
    loaded.fit(_data(), epochs=1, verbose=0)
    for a, b in zip(_state(model), _state(loaded), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert model.log_partition is None  # fit dropped the stale log Z


def test_kill_and_resume_keeps_the_chains_and_equals_the_uninterrupted_run(tmp_path):
    uninterrupted = _pcd()
    uninterrupted.fit(_data(), epochs=3, verbose=0)
    killed = _pcd()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        killed.fit(_data(), epochs=3, verbose=0, callbacks=[backup, Interrupt(at=2)])
    resumed = _pcd()  # a new process builds the model afresh
    resumed.fit(_data(), epochs=3, verbose=0,
                callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    for a, b in zip(_state(uninterrupted), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    # Resumed with fresh chains instead, the run would differ.
    fresh = _pcd()
    fresh.fit(_data(), epochs=2, verbose=0)
    fresh.chains.assign(tf.zeros_like(fresh.chains))
    fresh.fit(_data(), epochs=1, verbose=0)
    assert not np.array_equal(np.array(fresh.kernel), np.array(uninterrupted.kernel))


def test_saved_model_signatures_load_and_agree_without_kgen(tmp_path):
    model = _model(num_visible=10, num_hidden=4)
    model.set_log_partition(kgen.metrics.exact_log_partition(model))
    x = testing.random_binary((7, 10), seed=3)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "free_energy": {"x": x}, "log_prob": {"x": x},
        "sample": {"num_samples": np.int32(5), "num_steps": np.int32(3)}})
    np.testing.assert_allclose(served["free_energy"]["free_energy"], model.free_energy(x),
                               rtol=1e-6)
    np.testing.assert_allclose(served["log_prob"]["log_prob"], model.log_prob(x), rtol=1e-6)
    assert served["sample"]["x"].shape == (5, 10)
    assert "log_prob" not in _model().serving_signatures()  # no log Z: no log_prob


def test_the_preset_builds_a_pcd_rbm_through_the_class():
    config = presets.resolve("rbm_binarized_mnist")
    model = presets.build_model(config, event_shape=(28, 28, 1))
    assert isinstance(model, RBM) and model.num_hidden == 500 and model.persistent
    assert model.num_visible == 784 and tuple(model.kernel.shape) == (784, 500)
    assert kgen.models.get("rbm") is RBM


def test_bad_input_raises_naming_the_argument():
    model = _model(num_visible=4, num_hidden=2)
    half = np.full((3, 4), 0.5, np.float32)
    for method in (model.free_energy, model.pseudo_log_likelihood, model.gibbs):
        testing.assert_raises_naming(ValueError, "x", method, half)
    testing.assert_raises_naming(ValueError, "x", model.free_energy, np.zeros((3, 5)))
    model.compile(optimizer="sgd")
    testing.assert_raises_naming(ValueError, "x", model.fit, half, epochs=1, verbose=0)
    assert float(model.initialized.numpy()) == 0.0  # refused before any change
    testing.assert_raises_naming(ValueError, "k", RBM, num_visible=4, num_hidden=2, k=0)
    testing.assert_raises_naming(ValueError, "num_hidden", RBM, num_visible=4, num_hidden=0)
    testing.assert_raises_naming(ValueError, "num_visible", RBM, num_visible=5,
                                 event_shape=(2, 2))
    testing.assert_raises_naming(ValueError, "num_visible", RBM, num_hidden=3)
    testing.assert_raises_naming(TypeError, "persistent", RBM, num_visible=4, persistent=1)
    testing.assert_raises_naming(ValueError, "weight_decay", RBM, num_visible=4,
                                 weight_decay=-1.0)
    for temperature in (0.0, -1.0, float("inf")):
        testing.assert_raises_naming(ValueError, "temperature", model.sample, 2,
                                     temperature=temperature)
    testing.assert_raises_naming(ValueError, "num_steps", model.sample, 2, num_steps=0)
    testing.assert_raises_naming(ValueError, "num_samples", model.sample, 0)
    # log_prob without a stored log Z, and kgen.metrics.nll on such a model.
    message = testing.assert_raises_naming(ValueError, "log_partition", model.log_prob,
                                           np.zeros((2, 4)))
    assert "ais_log_partition" in message
    testing.assert_raises_naming(ValueError, "model", kgen.metrics.nll, model,
                                 np.zeros((2, 4)), verbose=0)
    testing.assert_raises_naming(ValueError, "method", model.set_log_partition, 1.0)
    testing.assert_raises_naming(ValueError, "value", model.set_log_partition, float("nan"),
                                 method="ais")
