"""DBN: the variational bound against the enumerated likelihood, top-down sampling,
greedy layer-wise training, saving, serving, bad input."""

import itertools

import keras
import numpy as np
import tensorflow as tf

import kgen.metrics
import kgen.models
from kgen import testing
from kgen.models.base import sub_seed
from kgen.models.energy import DBN, RBM


def _dbn(num_visible=5, hidden_units=(3, 4), scale=1.5, seed=0, **kwargs):
    model = DBN(num_visible=num_visible, hidden_units=hidden_units, seed=seed, **kwargs)
    rng = np.random.default_rng(seed)
    for rbm in model.rbms:
        rbm.kernel.assign(scale * rng.normal(size=rbm.kernel.shape).astype("float32"))
        rbm.visible_bias.assign(0.5 * rng.normal(size=rbm.num_visible).astype("float32"))
        rbm.hidden_bias.assign(0.5 * rng.normal(size=rbm.num_hidden).astype("float32"))
    model.set_log_partition(kgen.metrics.exact_log_partition(model.top))
    return model


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _log_bernoulli(x, logits):
    """sum_i log Bernoulli(x_i; logits_i) over the last axis, broadcast."""
    return (x * logits - np.logaddexp(0.0, logits)).sum(-1)


def _rbm(rbm):
    return [np.asarray(t, np.float64) for t in (rbm.kernel, rbm.visible_bias, rbm.hidden_bias)]


def _log_marginal(model, layer):
    """log p(h_layer) of the generative model, for every state of h_layer (numpy)."""
    w, b, c = _rbm(model.rbms[layer])
    u = _states(len(b))
    if layer == model.num_layers - 1:  # the top RBM's visible marginal
        free = -(u @ b) - np.logaddexp(0.0, u @ w + c).sum(1)
        return -free - np.logaddexp.reduce(-free)
    above = _states(len(c))
    log_cond = _log_bernoulli(u[:, None, :], (above @ w.T + b)[None])  # [u, above]
    return np.logaddexp.reduce(log_cond + _log_marginal(model, layer + 1)[None], axis=1)


def test_the_two_layer_bound_is_the_exact_likelihood_minus_the_kl():
    model = _dbn()
    v = _states(5)
    exact = _log_marginal(model, 0)
    np.testing.assert_allclose(np.logaddexp.reduce(exact), 0.0, atol=1e-9)
    # KL(q(h | v) || p(h | v)) by enumeration of h_1: the bound's gap, exactly.
    w, b, c = _rbm(model.rbms[0])
    h = _states(3)
    log_q = _log_bernoulli(h[None], (v @ w + c)[:, None])              # [v, h]
    log_joint = _log_bernoulli(v[:, None], (h @ w.T + b)[None]) + _log_marginal(model, 1)
    log_post = log_joint - exact[:, None]
    kl = (np.exp(log_q) * (log_q - log_post)).sum(1)
    bound = model.lower_bound(v).numpy()
    np.testing.assert_allclose(bound, exact - kl, atol=1e-4)
    assert np.all(bound <= exact + 1e-5) and np.all(kl > 1e-3)
    # The Monte Carlo bound (4,000 draws of q) is unbiased for it.
    sampled = model.lower_bound(v, num_samples=4000, seed=1, exact=False).numpy()
    np.testing.assert_allclose(sampled, bound, atol=0.15)


def test_the_three_layer_bound_is_the_exact_likelihood_minus_the_kl():
    model = _dbn(num_visible=4, hidden_units=(3, 2, 3), scale=1.0, seed=1)
    v = _states(4)
    exact = _log_marginal(model, 0)
    np.testing.assert_allclose(np.logaddexp.reduce(exact), 0.0, atol=1e-9)
    # KL(q(h_1, h_2 | v) || p(h_1, h_2 | v)) by enumerating the 2^5 joint states.
    (w1, b1, c1), (w2, b2, c2) = _rbm(model.rbms[0]), _rbm(model.rbms[1])
    h = _states(5)
    h1, h2 = h[:, :3], h[:, 3:]
    log_q = (_log_bernoulli(h1[None], (v @ w1 + c1)[:, None])
             + _log_bernoulli(h2, h1 @ w2 + c2)[None])                  # [v, h]
    top = _log_marginal(model, 2)[(h2 @ [2, 1]).astype(int)]          # log p(h_2)
    log_joint = (_log_bernoulli(v[:, None], (h1 @ w1.T + b1)[None])
                 + _log_bernoulli(h1, h2 @ w2.T + b2)[None] + top[None])
    np.testing.assert_allclose(np.logaddexp.reduce(log_joint, axis=1), exact, atol=1e-9)
    kl = (np.exp(log_q) * (log_q - (log_joint - exact[:, None]))).sum(1)
    bound = model.lower_bound(v).numpy()
    np.testing.assert_allclose(bound, exact - kl, atol=1e-4)
    assert np.all(kl > 1e-3)
    sampled = model.lower_bound(v, num_samples=4000, seed=2, exact=False).numpy()
    np.testing.assert_allclose(sampled, bound, atol=0.15)
    # One RBM: the "bound" is the exact log-likelihood.
    single = _dbn(num_visible=4, hidden_units=(3,))
    np.testing.assert_allclose(single.lower_bound(v).numpy(), _log_marginal(single, 0),
                               atol=1e-5)


def test_top_down_samples_follow_the_generative_model():
    # 20,000 samples (30 sweeps in the top RBM, then the down-pass): each of the 2^5
    # visible states within 5 binomial standard errors (+ 1e-4) of its probability.
    model = _dbn(seed=3)
    p = np.exp(_log_marginal(model, 0))
    n = 20_000
    samples = model.sample(n, seed=4, num_steps=30).numpy()
    assert samples.shape == (n, 5) and set(np.unique(samples)) <= {0.0, 1.0}
    codes = samples.astype(np.int64) @ (2 ** np.arange(4, -1, -1))
    frequencies = np.bincount(codes, minlength=32) / n
    np.testing.assert_array_less(np.abs(frequencies - p), 5 * np.sqrt(p * (1 - p) / n) + 1e-4)
    means = model.sample(3, seed=4, mean=True).numpy()
    assert means.shape == (3, 5) and not set(np.unique(means)) <= {0.0, 1.0}
    # One RBM: the mean is the top RBM's p(v | h) of the last sweep, as RBM.sample's.
    single = _dbn(num_visible=5, hidden_units=(3,))
    means = single.sample(3, seed=4, num_steps=2, mean=True).numpy()
    assert np.all((means > 0) & (means < 1)) and not set(np.unique(means)) <= {0.0, 1.0}
    np.testing.assert_array_equal(means, single.top._sample(3, 2, sub_seed(4, 0), True))
    np.testing.assert_array_equal(model.sample(4, seed=5).numpy(), model.sample(4, seed=5))
    image = DBN(event_shape=(2, 3, 1), hidden_units=(4, 2), seed=0)
    assert image.sample(2, num_steps=2).shape == (2, 2, 3, 1)


def _data():
    return testing.random_binary((64, 6), seed=4, p=0.4)


def test_greedy_layerwise_fit_trains_one_rbm_at_a_time():
    keras.utils.set_random_seed(0)
    model = DBN(num_visible=6, hidden_units=(4, 3), persistent=True, num_chains=8, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5), jit_compile=False)
    top = [np.array(w) for w in model.top.weights]
    history = model.fit(_data(), batch_size=16, epochs=2, verbose=0).history
    assert set(RBM.metric_names) <= set(history)
    for before, after in zip(top, model.top.weights):  # layer 1 is untouched
        np.testing.assert_array_equal(before, np.array(after))
    assert float(model.rbms[0].initialized) == 1.0 and float(model.top.initialized) == 0.0
    bottom = [np.array(w) for w in model.rbms[0].weights]
    model.jit_compile = True  # layer 1 under XLA (one compilation, not two)
    model.train_layer(1)
    model.fit(_data(), batch_size=16, epochs=2, verbose=0)
    for before, after in zip(bottom, model.rbms[0].weights):
        np.testing.assert_array_equal(before, np.array(after))
    assert float(model.top.initialized) == 1.0
    assert not np.array_equal(top[0], np.array(model.top.kernel))
    assert model.log_partition is None
    # fit_layerwise is the loop train_layer(i); fit(...) for i = 0, 1, 2.
    calls, deep = [], DBN(num_visible=6, hidden_units=(4, 3, 2))
    deep.fit = lambda x, **kwargs: calls.append((deep.active_layer, kwargs)) or len(calls)
    assert deep.fit_layerwise(_data(), epochs=3, verbose=0) == [1, 2, 3]
    assert calls == [(i, {"epochs": 3, "verbose": 0}) for i in range(3)]
    # Each layer starts from the optimizer's state before the first: Adam's iteration
    # count (its bias correction) is the last layer's 4 steps, not 8.
    adam = DBN(num_visible=6, hidden_units=(4, 3), seed=0)
    adam.compile(optimizer=keras.optimizers.Adam(0.01))
    adam.fit_layerwise(_data(), batch_size=16, verbose=0)
    assert int(adam.optimizer.iterations) == 4
    assert not np.array_equal(np.array(adam.top.kernel), np.array(DBN(
        num_visible=6, hidden_units=(4, 3), seed=0).top.kernel))


def test_keras_and_saved_model_round_trips(tmp_path):
    model = _dbn(num_visible=6, hidden_units=(3, 4), persistent=True, num_chains=4,
                 active_layer=1)
    x = testing.random_binary((5, 6), seed=1)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.lower_bound(x))
    assert loaded.active_layer == 1 and loaded.log_partition == model.log_partition
    np.testing.assert_array_equal(np.array(loaded.top.chains), np.array(model.top.chains))
    testing.assert_config_round_trip(model)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"num_samples": np.int32(3), "num_steps": np.int32(2)},
        "sample": {"num_samples": np.int32(3), "num_steps": np.int32(2)},
        "lower_bound": {"x": x}})
    np.testing.assert_allclose(served["lower_bound"]["lower_bound"], model.lower_bound(x),
                               rtol=1e-5)
    assert served["sample"]["x"].shape == (3, 6)
    assert kgen.models.get("dbn") is DBN


def test_bad_input_raises_naming_the_argument():
    model = _dbn()
    testing.assert_raises_naming(ValueError, "x", model.lower_bound, np.full((2, 5), 0.5))
    testing.assert_raises_naming(ValueError, "x", model.lower_bound, np.zeros((2, 4)))
    testing.assert_raises_naming(ValueError, "k", DBN, num_visible=4, hidden_units=(2,), k=0)
    for units in ((), (3, 0), "3"):
        testing.assert_raises_naming((ValueError, TypeError), "hidden_units", DBN,
                                     num_visible=4, hidden_units=units)
    testing.assert_raises_naming(ValueError, "active_layer", DBN, num_visible=4,
                                 hidden_units=(2, 2), active_layer=2)
    testing.assert_raises_naming(ValueError, "index", model.train_layer, 2)
    testing.assert_raises_naming(ValueError, "num_visible", DBN, num_visible=5,
                                 event_shape=(2, 2))
    testing.assert_raises_naming(ValueError, "num_steps", model.sample, 2, num_steps=0)
    testing.assert_raises_naming(ValueError, "exact", DBN(num_visible=4, hidden_units=(21, 2))
                                 .lower_bound, np.zeros((1, 4)), exact=True)
    model.set_log_partition(None)
    message = testing.assert_raises_naming(ValueError, "log_partition", model.lower_bound,
                                           np.zeros((2, 5)))
    assert "dbn.top" in message
    model.compile(optimizer="sgd")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((4, 5), 0.5), verbose=0)
