"""DBM: exact log Z, the mean-field bound against enumeration, Gibbs stationarity, PCD
training statistics, saving, serving, bad input."""

import itertools

import keras
import numpy as np
import tensorflow as tf

import kgen.models
from kgen import testing
from kgen.models.base import sub_seed
from kgen.models.energy import (DBM, _dbm_pretrain, base_rate_logits, dbm_ais,
                                dbm_ais_log_partition)


def _dbm(num_visible=4, hidden_units=(3, 2), scale=1.0, seed=0, mean_field_steps=50,
         **kwargs):
    model = DBM(num_visible=num_visible, hidden_units=hidden_units, seed=seed,
                mean_field_steps=mean_field_steps, **kwargs)
    rng = np.random.default_rng(seed)
    for w in model.kernels:
        w.assign(scale * rng.normal(size=w.shape).astype("float32"))
    for b in model.biases:
        b.assign(0.5 * rng.normal(size=b.shape).astype("float32"))
    return model


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _log_joint(model):
    """-E(v, h) for every v (rows) and every joint h (columns), float64."""
    ws = [np.asarray(w, np.float64) for w in model.kernels]
    bs = [np.asarray(b, np.float64) for b in model.biases]
    v, h = _states(model.num_visible), _states(sum(model.hidden_units))
    hs = np.split(h, np.cumsum(model.hidden_units)[:-1], axis=1)
    log_joint = (v @ bs[0])[:, None] + (v @ ws[0] @ hs[0].T)
    for l in range(1, len(hs) + 1):
        log_joint = log_joint + (hs[l - 1] @ bs[l])[None]
        if l < len(hs):
            log_joint = log_joint + np.einsum("si,ij,sj->s", hs[l - 1], ws[l], hs[l])[None]
    return log_joint, hs


def test_exact_log_z_and_the_bound_is_the_likelihood_minus_the_kl():
    model = _dbm()
    log_joint, hs = _log_joint(model)
    log_z = np.logaddexp.reduce(log_joint, axis=None)
    record = model.exact_log_partition()
    np.testing.assert_allclose(record["log_z"], log_z, rtol=1e-6)
    model.set_log_partition(record)
    v = _states(4)
    exact = np.logaddexp.reduce(log_joint, axis=1) - log_z
    # KL(q || p(h | v)) of the mean-field posterior, by enumeration of h.
    mus = [m.numpy().astype(np.float64) for m in model.mean_field(v)]
    log_q = sum(h @ np.log(m).T + (1 - h) @ np.log(1 - m).T for h, m in zip(hs, mus)).T
    log_post = log_joint - (exact + log_z)[:, None]
    kl = (np.exp(log_q) * (log_q - log_post)).sum(1)
    bound = model.lower_bound(v).numpy()
    np.testing.assert_allclose(bound, exact - kl, atol=1e-4)
    assert np.all(bound <= exact + 1e-5) and np.all(kl > 1e-4)
    # mu is a fixed point of the mean-field equations.
    full = [tf.constant(v, tf.float32)] + [tf.constant(m, tf.float32) for m in mus]
    for l in (1, 2):
        np.testing.assert_allclose(tf.sigmoid(model._input(l, full)).numpy(), mus[l - 1],
                                   atol=1e-4)
    deep = _dbm(hidden_units=(2, 3, 2), seed=1)  # three hidden layers: odd layers 1 and 3
    np.testing.assert_allclose(deep.exact_log_partition()["log_z"],
                               np.logaddexp.reduce(_log_joint(deep)[0], axis=None), rtol=1e-6)


def test_ais_is_within_0_05_nats_of_the_exact_log_z():
    # 1,000 betas and 100 runs, as the issue asks of the RBM's AIS; with a base-rate
    # base from data and with a uniform one; both seeds reproducible.
    # Measured errors here (seed 0): 0.003 / 0.004 nats at 1,000 betas (s.e. 0.025 /
    # 0.013), 0.41 with 10 betas and the uniform base.
    model = _dbm(num_visible=10, hidden_units=(6, 5), scale=2.0, seed=4)
    exact = model.exact_log_partition()["log_z"]
    coarse = dbm_ais_log_partition(model, num_betas=10, num_runs=100, seed=0)
    assert abs(coarse["log_z"] - exact) > 0.1  # too few betas miss: the check can fail
    data = model.sample(500, seed=1, num_steps=50).numpy()
    for base in (None, base_rate_logits(data)):
        result = dbm_ais_log_partition(model, num_betas=1000, num_runs=100, seed=0,
                                       base_logits=base)
        assert abs(result["log_z"] - exact) < 0.05, (result["log_z"], exact)
        assert result["log_weights"].shape == (100,) and result["method"] == "ais"
    again = dbm_ais_log_partition(model, num_betas=1000, num_runs=100, seed=0,
                                  base_logits=base)
    assert again["log_z"] == result["log_z"]
    model.set_log_partition(result)
    assert model.log_partition["method"] == "ais"
    testing.assert_raises_naming(ValueError, "num_betas", dbm_ais_log_partition, model,
                                 num_betas=1)
    testing.assert_raises_naming(ValueError, "num_runs", dbm_ais_log_partition, model,
                                 num_betas=10, num_runs=0)
    testing.assert_raises_naming(ValueError, "model", dbm_ais_log_partition, object())


def test_ais_log_weight_is_one_float64_difference_on_a_wide_dbm():
    # 784-500-1000, weights ~N(0, 0.05^2): |log p*_1| > 300 nats. One step beta 0 -> 1
    # from the runs' start states: log w against a float64 reference to 1e-9 (measured
    # 1e-13); the difference of two float32 log p* (the old code) is off by ~8e-5.
    model = DBM(num_visible=784, hidden_units=(500, 1000), seed=0)
    rng = np.random.default_rng(0)
    for w in model.kernels:
        w.assign(0.05 * rng.normal(size=w.shape).astype("float32"))
    for b in model.biases:
        b.assign(0.5 * rng.normal(size=b.shape).astype("float32"))
    base = (0.5 * rng.normal(size=784)).astype("float32")
    log_w = dbm_ais_log_partition(model, betas=[0.0, 1.0], num_runs=20, seed=3,
                                  base_logits=base)["log_weights"]
    seed = tf.constant(3, tf.int64)  # the start states, drawn as the runs draw them
    xs = [model.uniform((20, n), seed=sub_seed(seed, l)) < 0.5
          for l, n in enumerate(model.sizes)]
    xs[0] = model.uniform((20, 784), seed=sub_seed(seed, 3)) < tf.sigmoid(base)
    xs = [x.numpy().astype(np.float64) for x in xs]
    ws = [np.asarray(w, np.float64) for w in model.kernels]
    bs = [np.asarray(b, np.float64) for b in model.biases]
    a = bs[1] + xs[0] @ ws[0] + xs[2] @ ws[1].T
    log_p1 = xs[0] @ bs[0] + xs[2] @ bs[2] + np.logaddexp(0.0, a).sum(1)
    log_p0 = xs[0] @ base.astype(np.float64) + 500 * np.log(2.0)
    reference = log_p1 - log_p0
    assert np.abs(log_p1).min() > 300
    np.testing.assert_allclose(log_w, reference, rtol=0, atol=1e-9)
    x32 = [tf.constant(x, tf.float32) for x in xs]

    def log_p32(beta):  # the old code's float32 log p*_beta
        return ((1 - beta) * tf.linalg.matvec(x32[0], base)
                + beta * (tf.linalg.matvec(x32[0], model.biases[0])
                          + tf.linalg.matvec(x32[2], model.biases[2]))
                + tf.reduce_sum(tf.nn.softplus(beta * model._input(1, x32)), -1)).numpy()
    old = log_p32(1.0).astype(np.float64) - log_p32(0.0)
    assert np.abs(old - reference).max() > 1e-6
    # A step of the paper's schedule, 0.9 -> 0.9001 (increments ~1e-2 nats).
    beta0, beta1 = (float(np.float32(b)) for b in (0.9, 0.9001))
    step = dbm_ais._log_weight_step(
        x32, dbm_ais._odd_inputs([tf.constant(w) for w in ws], [tf.constant(b) for b in bs],
                                 x32), [tf.constant(b) for b in bs],
        tf.constant(base, tf.float64), tf.constant(beta0, tf.float64), beta1)
    exact = ((beta1 - beta0) * (xs[0] @ (bs[0] - base) + xs[2] @ bs[2])
             + (np.logaddexp(0.0, beta1 * a) - np.logaddexp(0.0, beta0 * a)).sum(1))
    np.testing.assert_allclose(step.numpy(), exact, rtol=0, atol=1e-9)
    old = log_p32(beta1).astype(np.float64) - log_p32(beta0)
    assert np.abs(old - exact).max() > 1e-6


def test_gibbs_chains_reach_the_enumerated_distribution():
    # 20,000 chains of 30 sweeps: each of the 2^4 visible frequencies within 5
    # binomial standard errors (+ 1e-4) of the enumerated marginal.
    model = _dbm(scale=1.5, seed=2)
    log_joint, _ = _log_joint(model)
    log_pv = np.logaddexp.reduce(log_joint, axis=1)
    p = np.exp(log_pv - np.logaddexp.reduce(log_pv))
    n = 20_000
    samples = model.sample(n, seed=3, num_steps=30).numpy()
    assert set(np.unique(samples)) <= {0.0, 1.0}
    frequencies = np.bincount(samples.astype(np.int64) @ (2 ** np.arange(3, -1, -1)),
                              minlength=16) / n
    np.testing.assert_array_less(np.abs(frequencies - p), 5 * np.sqrt(p * (1 - p) / n) + 1e-4)
    np.testing.assert_array_equal(model.sample(3, seed=4), model.sample(3, seed=4))
    assert model.sample(3, seed=4, mean=True).shape == (3, 4)


def test_pcd_step_follows_data_minus_chain_statistics():
    keras.utils.set_random_seed(0)
    model = DBM(num_visible=6, hidden_units=(4, 3), num_chains=8, seed=0)
    data = testing.random_binary((32, 6), seed=1, p=0.4)
    v = tf.constant(data)
    negative = model._gibbs(model._split(model.chains), 1)[0]
    with tf.GradientTape() as tape:
        loss = model.total_loss(model.compute_terms(v, training=True, negative=negative)["loss"])
    grad = tape.gradient(loss, model.biases[0]).numpy()
    np.testing.assert_allclose(grad, negative[0].numpy().mean(0) - data.mean(0), atol=1e-6)
    model.compile(optimizer=keras.optimizers.SGD(0.05), jit_compile=True)
    history = model.fit(data, batch_size=16, epochs=2, verbose=0).history
    assert set(DBM.metric_names) <= set(history)
    chains = np.array(model.chains)
    assert set(np.unique(chains)) <= {0.0, 1.0} and chains[:, 6:].any()
    assert float(model.initialized) == 1.0


def test_greedy_pretraining_trains_one_doubled_rbm_at_a_time():
    keras.utils.set_random_seed(0)
    model = DBM(num_visible=6, hidden_units=(4, 3), num_chains=8, seed=0,
                pretraining_layer=0)
    assert [_dbm_pretrain.scales(model, l) for l in (0, 1)] == [(2.0, 1.0), (1.0, 2.0)]
    deep = DBM(num_visible=3, hidden_units=(2, 2, 2))
    assert _dbm_pretrain.scales(deep, 1) == (2.0, 2.0)  # a middle RBM doubles both ways
    # The bottom RBM's kernel gradient: the CD statistics with the input doubled,
    # -2 (a^T q(a) - a~^T q(a~)) / N with q(a) = sigmoid(b_1 + 2 a W).
    data = testing.random_binary((32, 6), seed=1, p=0.4)
    a = tf.constant(data)
    neg = _dbm_pretrain.negative(model, 0, a, 1, seed=3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(_dbm_pretrain.free_energy(model, 0, a)
                              - tf.reduce_mean(_dbm_pretrain.free_energy(model, 0, neg)))
    w, b1 = model.kernels[0].numpy(), model.biases[1].numpy()
    q = lambda x: 1 / (1 + np.exp(-(b1 + 2 * x @ w)))  # noqa: E731
    neg = neg.numpy()
    np.testing.assert_allclose(tape.gradient(loss, model.kernels[0]).numpy(),
                               -2 * (data.T @ q(data) - neg.T @ q(neg)) / 32, atol=1e-6)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    # RBM 1 leaves b_1 alone: it is RBM 0's hidden bias, which makes RBM 1's data
    # sigmoid(b_1 + 2 v W_1) (trained, RBM 1's data would shift as it learns).
    for layer, moved, kept, frozen in ((0, 0, 1, (2,)), (1, 1, 0, (0, 1))):
        model.pretrain_layer(layer)
        before = [w.numpy() for w in model.kernels]
        biases = [b.numpy() for b in model.biases]
        history = model.fit(data, batch_size=16, epochs=1, verbose=0).history
        assert set(DBM.metric_names) <= set(history)
        assert not np.array_equal(before[moved], model.kernels[moved].numpy())
        np.testing.assert_array_equal(before[kept], model.kernels[kept].numpy())
        for l in range(3):
            if l in frozen:
                np.testing.assert_array_equal(biases[l], model.biases[l].numpy())
            else:
                assert not np.array_equal(biases[l], model.biases[l].numpy()), l
    assert [v.path for v in _dbm_pretrain.variables(deep, 1)] == [deep.kernels[1].path,
                                                                  deep.biases[2].path]
    chains = np.array(model.chains)
    model.pretrain_layer(None)  # joint PCD training moves the chains
    model.fit(data, batch_size=16, epochs=1, verbose=0)
    assert not np.array_equal(chains, np.array(model.chains))
    testing.assert_raises_naming(ValueError, "index", model.pretrain_layer, 2)
    testing.assert_raises_naming(ValueError, "pretraining_layer", DBM, num_visible=4,
                                 hidden_units=(2, 2), pretraining_layer=2)


def test_keras_and_saved_model_round_trips(tmp_path):
    model = _dbm(num_visible=5, hidden_units=(3, 2), num_chains=4, mean_field_steps=5)
    model.set_log_partition(model.exact_log_partition())
    x = testing.random_binary((4, 5), seed=1)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.lower_bound(x))
    assert loaded.log_partition == model.log_partition
    testing.assert_config_round_trip(model)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "mean_field_free_energy": {"x": x},
        "lower_bound": {"x": x},
        "sample": {"num_samples": np.int32(3), "num_steps": np.int32(2)}})
    np.testing.assert_allclose(served["lower_bound"]["lower_bound"], model.lower_bound(x),
                               rtol=1e-5)
    assert kgen.models.get("dbm") is DBM


def test_bad_input_raises_naming_the_argument():
    model = _dbm()
    testing.assert_raises_naming(ValueError, "x", model.mean_field_free_energy,
                                 np.full((2, 4), 0.5))
    testing.assert_raises_naming(ValueError, "x", model.mean_field, np.zeros((2, 5)))
    testing.assert_raises_naming(ValueError, "log_partition", model.lower_bound,
                                 np.zeros((2, 4)))
    testing.assert_raises_naming(ValueError, "k", DBM, num_visible=4, hidden_units=(2, 2),
                                 k=0)
    testing.assert_raises_naming(ValueError, "hidden_units", DBM, num_visible=4,
                                 hidden_units=(3,))
    testing.assert_raises_naming(ValueError, "mean_field_steps", DBM, num_visible=4,
                                 hidden_units=(2, 2), mean_field_steps=0)
    testing.assert_raises_naming(ValueError, "hidden_units",
                                 DBM(num_visible=4, hidden_units=(21, 2)).exact_log_partition)
    testing.assert_raises_naming(ValueError, "num_steps", model.sample, 2, num_steps=0)
    model.compile(optimizer="sgd")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((4, 4), 0.5), verbose=0)
