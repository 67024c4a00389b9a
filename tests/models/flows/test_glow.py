"""Glow on 4x4x2 images and on 2-D vectors: inverse, log-det against the autodiff Jacobian,
factor-out, gradients for every variable, temperature, bits/dim, .keras and SavedModel,
a jit-compiled fit, bad arguments."""

import itertools
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.models
from kgen import testing
from kgen.models.flows import FactorOut, Glow, RealNVP
from tests.models.flows.flow_factories import levels, randomize

SHAPE = (4, 4, 2)


def _images(n=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n,) + SHAPE).astype("float32")


def _glow(seed=0, **kwargs):
    """Two levels of two steps (a squeeze, a split), ActNorm initialized from skewed
    data, weights moved off their initial values."""
    args = dict(event_shape=SHAPE, num_steps=2, num_scales=2, filters=4, num_blocks=0,
                seed=seed)
    model = Glow(**{**args, **kwargs})
    model.initialize_from_data(levels(16, SHAPE, seed=seed + 1) if model.num_levels
                               else 1.0 + 2.0 * _images(16, seed=seed + 1), seed=0)
    return randomize(model, scale=0.1, seed=seed)


@pytest.mark.parametrize("kwargs", [{}, {"lu_decomposed": False, "learned_prior": False}],
                         ids=["lu_learned_prior", "plain_standard_prior"])
def test_decode_inverts_encode_and_the_log_det_is_the_jacobians(kwargs):
    model = _glow(**kwargs)
    x = _images()
    z = model.encode(x)
    assert z.shape == (3,) + model.latent_shape
    np.testing.assert_allclose(model.decode(z).numpy(), x, atol=1e-4)
    log_det = model.log_prob(x).numpy() - model.base_log_prob(z).numpy()
    assert np.abs(log_det).max() > 0.1
    testing.assert_log_det_matches_jacobian(lambda v: model._encode(v, None)[0], x, log_det,
                                            atol=2e-3)
    np.testing.assert_allclose(model.distribution().log_prob(x).numpy(),
                               model.log_prob(x).numpy(), rtol=1e-4, atol=1e-4)


def test_the_multi_scale_structure_and_the_factored_out_half():
    model = _glow()
    assert model.latent_shape == (2, 2, 8)
    assert [type(v).__name__ for v in model.flow_layers] == (
        ["Squeeze"] + ["ActNorm", "InvertibleConv1x1", "AffineCoupling"] * 2 + ["FactorOut"])
    split = model.flow_layers[-1]
    x = _images()
    h = x
    for layer in model.flow_layers[:-1]:
        h = layer(h, inverse=True)[0]
    # The factored-out half is eps1 = (x1 - mu(x2)) exp(-s(x2)): its latent does not
    # depend on the deeper level's weights, the rest of the latent does.
    z = model.encode(x).numpy()
    mean, log_scale = split._prior(h[..., 4:])
    np.testing.assert_allclose(z[..., :4], ((h[..., :4] - mean) * tf.exp(-log_scale)).numpy(),
                               atol=1e-5)
    randomize(keras.Sequential(split.inner_layers), scale=0.5, seed=7)
    z2 = model.encode(x).numpy()
    np.testing.assert_array_equal(z2[..., :4], z[..., :4])
    assert np.abs(z2[..., 4:] - z[..., 4:]).max() > 1e-2
    # Without factor-out every step sees every dimension: the deepest level's shape.
    flat = _glow(num_steps=1, factor_out=False)
    assert flat.latent_shape == (1, 1, 32)
    assert "FactorOut" not in [type(v).__name__ for v in flat.flow_layers]
    np.testing.assert_allclose(flat.decode(flat.encode(x)).numpy(), x, atol=1e-4)


def test_data_init_standardizes_the_deeper_level_too():
    data = 1.0 + 2.0 * _images(16, seed=5)
    model = Glow(event_shape=SHAPE, num_steps=1, num_scales=2, filters=4, num_blocks=0,
                 seed=0)
    model.initialize_from_data(data)
    h = tf.constant(data)
    for layer in model.flow_layers[:-1]:
        h = layer(h, inverse=True)[0]
    split = model.flow_layers[-1]
    h = split.inner_layers[0](h[..., 4:], inverse=True)[0]
    standardized = split.inner_layers[1](h, inverse=True)[0].numpy()
    np.testing.assert_allclose(standardized.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(standardized.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_every_variable_is_a_trainable_weight_and_gets_a_gradient():
    model = _glow()
    x = tf.constant(_images(4, seed=3))
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(model._log_prob(x))
    read = {id(v) for v in tape.watched_variables()}
    trainable = {id(v.value if hasattr(v, "value") else v) for v in model.trainable_weights}
    assert read <= trainable | {id(v) for v in model.trainable_variables}
    assert len(read) == len(model.trainable_weights)
    grads = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, grads)
               if g is None or not np.any(g.numpy())]
    assert not missing, f"no gradient for {missing}"
    fixed = {w.path.split("/")[-1] for w in model.non_trainable_weights}
    assert fixed == {"initialized", "permutation", "sign"}


@pytest.mark.parametrize("make", [
    lambda: Glow(event_shape=SHAPE, num_steps=2, num_scales=1, filters=4, num_blocks=2,
                 seed=0),
    lambda: Glow(event_shape=(4,), num_steps=3, hidden_units=(8, 8, 8, 8), seed=0),
    lambda: RealNVP(event_shape=SHAPE, num_flows=2, num_scales=1, filters=4,
                    num_blocks=1, seed=0)], ids=["glow_images", "glow_vectors", "realnvp"])
def test_no_two_initial_kernels_of_a_seeded_flow_are_equal(make):
    # Each coupling seeded weight k with seed + k while neighbouring couplings' seeds
    # are 1-2 apart: coupling_0_0/block_1_0 was coupling_0_1/block_0_0, and so on.
    kernels = [(w.path, w.numpy()) for w in make().weights if "kernel" in w.path]
    assert len(kernels) >= 10
    same = [(a, b) for (a, u), (b, v) in itertools.combinations(kernels, 2)
            if u.shape == v.shape and np.array_equal(u, v)]
    assert not same


def test_vector_glow_is_normalized_on_a_grid():
    model = Glow(event_shape=(2,), num_steps=3, hidden_units=(16,), seed=0)
    rng = np.random.default_rng(0)
    model.initialize_from_data((rng.normal(size=(64, 2)) * [1.5, 0.5] + [0.5, -1.0])
                               .astype("float32"))
    model = randomize(model, scale=0.2)
    x = rng.normal(size=(8, 2)).astype("float32")
    assert np.abs(model.log_prob(x).numpy() - model.base_log_prob(x).numpy()).max() > 0.1
    testing.assert_normalized_on_grid(model.log_prob, -9.0, 9.0, num_points=181, atol=5e-3)


def test_samples_follow_the_temperature_and_bits_per_dim_include_dequantization():
    model = _glow(num_levels=256)
    eps = model.standard_normal((5,) + model.latent_shape, seed=1)
    np.testing.assert_array_equal(model.sample(5, seed=1, temperature=0.6).numpy(),
                                  model.decode(0.6 * eps).numpy())
    samples = model.sample(5, seed=2).numpy()
    assert samples.shape == (5,) + SHAPE and np.all(samples == np.floor(samples))
    x = levels(4, SHAPE, seed=3)
    u = model.uniform(x.shape, seed=4).numpy()
    # log p(v) of v = x + u, with the chain's -D log 256 of the scaling to [0, 1).
    flow = Glow.from_config({**model.get_config(), "num_levels": None})
    flow.set_weights(model.get_weights())
    expected = flow.log_prob((x + u) / 256.0).numpy() - 32 * math.log(256.0)
    np.testing.assert_allclose(model.log_prob(x, seed=4).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(model.bits_per_dim(x, seed=4).numpy(),
                               -expected / (32 * math.log(2.0)), rtol=1e-5)


def test_keras_and_saved_model_round_trips(tmp_path):
    model = _glow(num_levels=256, num_steps=1)
    x = levels(3, SHAPE, seed=5)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x, seed=0),
                                             atol=1e-5)
    assert float(loaded.initialized.numpy()) == 1.0
    z = np.random.default_rng(0).normal(size=(3,) + model.latent_shape).astype("float32")
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "log_prob": {"x": x}, "encode": {"x": x},
        "decode": {"z": z}, "sample": {"num_samples": np.int32(2), "temperature": 0.7}},
        atol=1e-3)
    np.testing.assert_array_equal(served["decode"]["x"], model.decode(z).numpy())


def test_a_jit_compiled_fit_raises_the_log_likelihood():
    data = 1.0 + 2.0 * _images(64, seed=8) * np.array([1.0, 0.3], "float32")
    model = Glow(event_shape=SHAPE, num_steps=1, num_scales=2, filters=4, num_blocks=0,
                 seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=True)
    history = model.fit(data, batch_size=16, epochs=3, verbose=0).history
    assert float(model.initialized.numpy()) == 1.0
    assert np.all(np.isfinite(history["loss"]))
    assert history["log_prob"][-1] > history["log_prob"][0]
    assert np.all(np.isfinite(model.sample(16, seed=0, temperature=1.0).numpy()))


def test_registered_and_bad_arguments_are_named():
    assert kgen.models.get("glow") is Glow and Glow.monitor == ("log_prob", "max")
    for name, kwargs in [("num_steps", {"num_steps": 0}), ("num_scales", {"num_scales": 0}),
                         ("event_shape", {"event_shape": (6, 4, 2)}),  # 3 x 2 after a squeeze
                         ("event_shape", {"event_shape": (4, 4)}),
                         ("log_scale_bound", {"log_scale_bound": 0.0}),
                         ("filters", {"filters": 0})]:
        testing.assert_raises_naming(ValueError, name, Glow, **{"event_shape": SHAPE, **kwargs})
    for name in ("lu_decomposed", "factor_out", "learned_prior"):
        testing.assert_raises_naming(TypeError, name, Glow, event_shape=SHAPE, **{name: "yes"})
    testing.assert_raises_naming(ValueError, "inner_layers", FactorOut, [])
    model = _glow()
    testing.assert_raises_naming(ValueError, "temperature", model.sample, 2, temperature=0.0)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.zeros((2, 4, 4, 1)))
    testing.assert_raises_naming(ValueError, "z", model.decode, np.zeros((2, 1, 1, 32)))
