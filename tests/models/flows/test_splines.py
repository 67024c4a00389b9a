"""Neural spline flows: the rational-quadratic spline (identity at zero, linear tails), the
coupling and autoregressive steps (inverse, log-det, Jacobian structure), and the
NeuralSplineFlow model (normalized on a grid, gradients, .keras, SavedModel, XLA fit)."""

import itertools
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.data
import kgen.models
from kgen import testing
from kgen.layers import MADE, MaskedSplineStep, SplineCoupling
from kgen.layers.coupling import coupling_mask
from kgen.layers.spline_coupling import rational_quadratic_spline, spline_autoregressive_flow
from kgen.models.flows import NeuralSplineFlow
from tests.models.flows.flow_factories import randomize


def _vectors(n=6, d=4, seed=0, scale=1.5):
    return (scale * np.random.default_rng(seed).normal(size=(n, d))).astype("float32")


def test_the_spline_is_the_identity_at_zero_and_outside_its_interval():
    x = tf.constant(np.linspace(-5.0, 5.0, 41, dtype="float32")[:, None] * np.ones((1, 3)),
                    tf.float32)
    identity = rational_quadratic_spline(tf.zeros((41, 3, 3 * 6 - 1)), 6, 3.0)
    np.testing.assert_allclose(identity.forward(x).numpy(), x.numpy(), atol=1e-5)
    np.testing.assert_allclose(identity.forward_log_det_jacobian(x, 0).numpy(), 0.0,
                               atol=1e-5)
    # One spline per column (batch shape [3]), applied to every row.
    params = tf.constant(np.random.default_rng(0).normal(size=(3, 17)), tf.float32)
    spline = rational_quadratic_spline(params, 6, 3.0)
    y = spline.forward(x).numpy()
    tails = np.abs(x.numpy()) > 3.001
    np.testing.assert_array_equal(y[tails], x.numpy()[tails])  # linear tails, slope 1
    assert np.abs(y[~tails] - x.numpy()[~tails]).max() > 0.05
    assert np.all(np.abs(y[~tails]) <= 3.0) and np.all(np.diff(y, axis=0) > 0)  # monotone
    np.testing.assert_allclose(spline.inverse(y).numpy(), x.numpy(), atol=1e-4)


STEPS = {
    "coupling_checkerboard": lambda: (SplineCoupling("checkerboard", 0, 5, 3.0, (16,), seed=0),
                                      _vectors()),
    "coupling_channel": lambda: (SplineCoupling("channel", 1, 4, 2.0, (16,), seed=1),
                                 _vectors()),  # (structure test only)
    "coupling_images": lambda: (SplineCoupling("checkerboard", 1, 4, 3.0, filters=4,
                                               num_blocks=1, seed=2),
                                _vectors(2, 8).reshape(2, 2, 2, 2)),
    "autoregressive": lambda: (MaskedSplineStep(4, 5, 3.0, (16, 16), seed=3), _vectors()),
}


@pytest.mark.parametrize("name", ["autoregressive", "coupling_checkerboard", "coupling_images"])
def test_each_step_inverts_and_its_log_dets_match_the_jacobian(name):
    layer, x = STEPS[name]()
    layer(x)
    # Far from the identity (|log-det| up to 4), not so far that float32 cannot invert it:
    # at scale 0.3 the autoregressive step reached |log-det| 16 and a round-trip error of
    # 3e-4 (an inverse error compounds along the autoregressive order).
    layer = randomize(layer, scale=0.2)
    y, fldj = layer(x)
    assert np.abs(fldj.numpy()).max() > 0.05
    x_back, ildj = layer(y, inverse=True)
    np.testing.assert_allclose(x_back.numpy(), x, atol=1e-4)
    np.testing.assert_allclose(ildj.numpy(), -fldj.numpy(), rtol=1e-4, atol=1e-4)
    # The density direction's Jacobian (one pass, also for the autoregressive step).
    testing.assert_log_det_matches_jacobian(lambda v: layer(v, inverse=True)[0], y.numpy(),
                                            ildj.numpy(), atol=1e-3)


def test_coupling_structure_from_the_jacobian():
    for name in ("coupling_checkerboard", "coupling_channel"):
        layer, x = STEPS[name]()
        layer(x)
        layer = randomize(layer, scale=0.5)
        dependence = np.abs(testing.batch_jacobian(lambda v: layer(v)[0], x)).max(axis=0)
        mask = coupling_mask(x.shape[1:], layer.mask_type, layer.parity) == 1
        eye = np.eye(len(mask))
        np.testing.assert_allclose(dependence[mask][:, mask], eye[mask][:, mask], atol=1e-6)
        assert np.all(dependence[mask][:, ~mask] == 0)
        assert np.all((dependence[~mask][:, ~mask] * (1 - eye[~mask][:, ~mask])) == 0)
        assert dependence[~mask][:, mask].max() > 1e-3


def test_the_autoregressive_step_is_triangular_in_its_order():
    for order, rank in (("left-to-right", [0, 1, 2, 3, 4]),
                        ("right-to-left", [4, 3, 2, 1, 0])):
        layer = MaskedSplineStep(5, 4, 3.0, (16, 16), input_order=order, seed=0)
        x = _vectors(32, 5)  # with 8 points all ReLUs of a degree may be off at all
        layer(x)
        layer = randomize(layer, scale=0.5)
        testing.assert_autoregressive(layer.made, x, order=rank, complete=True)
        jacobian = np.abs(testing.batch_jacobian(lambda v: layer(v, inverse=True)[0], x))
        reordered = jacobian.max(axis=0)[np.ix_(rank, rank)]
        assert np.all(np.triu(reordered, k=1) == 0) and np.all(np.diag(reordered) > 0)
        assert np.tril(reordered, k=-1).max() > 1e-3  # the MADE is used


def _nsf(transform, seed=0, num_flows=2):
    """Spline steps with ActNorm and linear maps, initialized from a skewed cloud,
    weights moved off the identity."""
    model = NeuralSplineFlow(num_flows=num_flows, transform=transform, num_bins=5,
                             hidden_units=(16,), seed=seed)
    rng = np.random.default_rng(seed)
    model.initialize_from_data((rng.normal(size=(64, 2)) * [1.0, 0.5] + [0.5, -0.5])
                               .astype("float32"))
    return randomize(model, scale=0.15, seed=seed)


def test_no_two_initial_kernels_of_a_seeded_spline_flow_are_equal():
    # Neighbouring spline couplings' seeds are 2 apart and each weight k was seeded
    # seed + k: spline_0/dense_3 was spline_1/dense_1.
    model = NeuralSplineFlow((4,), num_flows=3, num_bins=3, hidden_units=(8, 8, 8, 8),
                             seed=0)
    kernels = [(w.path, w.numpy()) for w in model.weights if "kernel" in w.path]
    assert len(kernels) == 15
    same = [(a, b) for (a, u), (b, v) in itertools.combinations(kernels, 2)
            if u.shape == v.shape and np.array_equal(u, v)]
    assert not same


@pytest.mark.parametrize("transform", ["coupling", "autoregressive"])
def test_nsf_inverts_and_is_normalized_on_a_grid(transform):
    model = _nsf(transform)
    x = _vectors(16, 2, seed=1, scale=1.0)
    z = model.encode(x)
    np.testing.assert_allclose(model.decode(z).numpy(), x, atol=1e-4)
    log_det = model.log_prob(x).numpy() - model.base_log_prob(z).numpy()
    testing.assert_log_det_matches_jacobian(lambda v: model._encode(v, None)[0], x, log_det,
                                            atol=2e-3)
    assert np.abs(model.log_prob(x).numpy() - model.base_log_prob(x).numpy()).max() > 0.1
    testing.assert_normalized_on_grid(model.log_prob, -9.0, 9.0, num_points=121, atol=5e-3)


@pytest.mark.parametrize("transform", ["coupling", "autoregressive"])
def test_every_variable_is_a_trainable_weight_and_gets_a_gradient(transform):
    model = _nsf(transform)
    x = tf.constant(_vectors(32, 2, seed=2, scale=1.0))
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


def test_keras_round_trips_and_the_saved_model(tmp_path):
    x = _vectors(4, 2, seed=3, scale=1.0)
    for transform in ("autoregressive", "coupling"):
        model = NeuralSplineFlow(num_flows=1, transform=transform, num_bins=4,
                                 hidden_units=(8,), linear=False, actnorm=False, seed=0)
        model = randomize(model, scale=0.3)
        testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x), atol=1e-5)
        testing.assert_config_round_trip(model)
    z = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "log_prob": {"x": x}, "encode": {"x": x},
        "decode": {"z": z}, "sample": {"num_samples": np.int32(3), "temperature": 0.8}},
        atol=1e-4)
    np.testing.assert_allclose(served["decode"]["x"], model.decode(z).numpy(), atol=1e-4)


def test_a_callable_activation_is_serialized_in_the_config():
    model = NeuralSplineFlow(num_flows=1, num_bins=3, hidden_units=(4,), linear=False,
                             actnorm=False, activation=keras.activations.tanh, seed=0)
    config = json.loads(json.dumps(model.get_config()))  # was the function itself
    assert config["activation"] == "tanh"
    clone = NeuralSplineFlow.from_config(config)
    assert clone.flow_layers[0].activation is keras.activations.tanh
    x = _vectors(3, 2, seed=4, scale=1.0)
    np.testing.assert_array_equal(clone.log_prob(x).numpy(), model.log_prob(x).numpy())


def test_a_jit_compiled_fit_on_two_moons_raises_the_log_likelihood():
    x = kgen.data.sample_toy("two_moons", 512, seed=0)
    model = NeuralSplineFlow(num_flows=1, num_bins=5, hidden_units=(16,), linear=False,
                             seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=True)
    history = model.fit(x, batch_size=128, epochs=3, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
    assert history["log_prob"][-1] > history["log_prob"][0]
    assert np.all(np.isfinite(model.sample(256, seed=0).numpy()))


def test_registered_and_bad_arguments_are_named():
    assert kgen.models.get("neural_spline_flow") is NeuralSplineFlow
    for name, kwargs in [("num_flows", {"num_flows": 0}), ("transform", {"transform": "x"}),
                         ("num_bins", {"num_bins": 1}), ("bound", {"bound": 0.0}),
                         ("event_shape", {"event_shape": (4, 4, 1)}),
                         ("event_shape", {"event_shape": (1,)})]:
        testing.assert_raises_naming(ValueError, name, NeuralSplineFlow, **kwargs)
    testing.assert_raises_naming(TypeError, "linear", NeuralSplineFlow, linear=1)
    testing.assert_raises_naming(ValueError, "num_bins", SplineCoupling, num_bins=1)
    testing.assert_raises_naming(ValueError, "bound", MaskedSplineStep, 2, bound=-1.0)
    testing.assert_raises_naming(ValueError, "context_units", MaskedSplineStep, 2,
                                 context_units=0)
    testing.assert_raises_naming(TypeError, "context_units", MaskedSplineStep, 2,
                                 context_units=2.0)
    # A numpy integer is checked and kept as an int (the config was not JSON).
    step = MaskedSplineStep(2, context_units=np.int64(3))
    assert type(step.context_units) is int and json.dumps(step.get_config())
    testing.assert_raises_naming(ValueError, "made", spline_autoregressive_flow,
                                 MADE(2, (4,), params=2), 8, 3.0)
