"""Every flow model: round trips, exact log-density against the Jacobian, normalization on a
grid, variables and gradients, .keras, sampling and temperature, bad input."""

import numpy as np
import pytest
import tensorflow as tf

import kgen.models
from kgen import testing
from kgen.models import flows
from tests.models.flows.flow_factories import randomize


def _toy(n=64, seed=0):
    """Points of a skewed 2-D cloud, to initialize ActNorm away from the identity."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 2)) * [1.5, 0.5] + [0.5, -1.0]).astype("float32")


def _model(name, seed=0):
    """A small model of each kind with data-initialized ActNorms and weights moved
    off the identity, so that its density is not the base's."""
    make = {
        "realnvp": lambda: flows.RealNVP(num_flows=4, hidden_units=(16,), seed=seed),
        "realnvp_channel": lambda: flows.RealNVP(num_flows=3, mask_type="channel",
                                                 hidden_units=(16,), actnorm=False, seed=seed),
        "maf": lambda: flows.MAF(num_flows=3, hidden_units=(16, 16), seed=seed),
        "iaf": lambda: flows.IAF(num_flows=2, hidden_units=(16, 16), seed=seed),
        "nice": lambda: flows.NICE(num_flows=4, hidden_units=(16,), seed=seed),
        "planar": lambda: flows.PlanarFlow(num_flows=6, seed=seed),
        "radial": lambda: flows.RadialFlow(num_flows=6, seed=seed),
    }[name]
    model = make()
    model.initialize_from_data(_toy())
    return randomize(model, seed=seed)


NAMES = ["iaf", "maf", "nice", "planar", "radial", "realnvp", "realnvp_channel"]


@pytest.mark.parametrize("name", NAMES)
def test_decode_inverts_encode_and_log_prob_is_the_change_of_variables(name):
    model = _model(name)
    x = _toy(16, seed=1)
    z = model.encode(x)
    np.testing.assert_allclose(model.decode(z).numpy(), x, rtol=1e-4, atol=1e-4)
    # log p(x) = log N(f(x)) + log|det df/dx| with the Jacobian from autodiff.
    log_det = model.log_prob(x).numpy() - model.base_log_prob(z).numpy()
    testing.assert_log_det_matches_jacobian(lambda v: model._encode(v, None)[0], x, log_det,
                                            atol=2e-3)
    # The TFP face gives the same density.
    np.testing.assert_allclose(model.distribution().log_prob(x).numpy(),
                               model.log_prob(x).numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_the_2d_density_integrates_to_one_on_a_grid(name):
    model = _model(name)
    # Not the base density: the check sees the flow's log-det.
    x = _toy(32, seed=2)
    gap = np.abs(model.log_prob(x).numpy() - model.base_log_prob(x).numpy()).max()
    assert gap > 0.1
    testing.assert_normalized_on_grid(model.log_prob, -9.0, 9.0, num_points=181, atol=5e-3)


@pytest.mark.parametrize("name", NAMES)
def test_every_bijector_variable_is_a_trainable_weight_and_gets_a_gradient(name):
    model = _model(name)
    x = tf.constant(_toy(32, seed=3))
    with tf.GradientTape() as tape:  # records every variable the chain reads
        loss = -tf.reduce_mean(model._log_prob(x))
    read = {id(v) for v in tape.watched_variables()}
    weights = {id(v.value if hasattr(v, "value") else v) for v in model.trainable_weights}
    assert read <= weights | {id(v) for v in model.trainable_variables}
    assert len(read) == len(model.trainable_weights)
    grads = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, grads)
               if g is None or not np.any(g.numpy())]
    assert not missing, f"no gradient for {missing}"
    assert [w.path.split("/")[-1] for w in model.non_trainable_weights] == ["initialized"]


@pytest.mark.parametrize("name", ["iaf", "nice", "radial", "realnvp"])  # every step class
def test_keras_round_trip(name, tmp_path):
    model = _model(name)
    x = _toy(8, seed=4)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x),
                                             atol=1e-5)
    assert float(loaded.initialized.numpy()) == 1.0
    testing.assert_config_round_trip(model)


def test_samples_follow_the_seed_and_the_temperature():
    model = _model("realnvp")
    a, b = model.sample(64, seed=1).numpy(), model.sample(64, seed=1).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (64, 2) and np.all(np.isfinite(a))
    # sample = decode(T * eps) with the same eps.
    eps = model.standard_normal((64, 2), seed=1)
    np.testing.assert_allclose(model.sample(64, seed=1, temperature=0.5).numpy(),
                               model.decode(0.5 * eps).numpy(), atol=1e-6)
    assert not np.array_equal(model.sample(8).numpy(), model.sample(8).numpy())


def test_models_are_registered():
    for name, cls in [("realnvp", flows.RealNVP), ("maf", flows.MAF), ("iaf", flows.IAF),
                      ("nice", flows.NICE), ("planar_flow", flows.PlanarFlow),
                      ("radial_flow", flows.RadialFlow)]:
        assert kgen.models.get(name) is cls and cls.monitor == ("log_prob", "max")


def test_the_training_loss_is_the_negative_log_likelihood():
    model = _model("maf")
    x = tf.constant(_toy(16, seed=5))
    terms = model.compute_terms(x, training=True)
    np.testing.assert_allclose(terms["loss"].numpy(), -model.log_prob(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(terms["log_prob"].numpy(), -terms["loss"].numpy())


def test_bad_input_raises_naming_the_argument():
    model = _model("realnvp")
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.zeros((3, 3)))
    testing.assert_raises_naming(ValueError, "x", model.log_prob, [[0.0, np.nan]])
    testing.assert_raises_naming(ValueError, "x", model.encode, [[np.inf, 0.0]])
    testing.assert_raises_naming(ValueError, "z", model.decode, np.zeros((2, 5)))
    testing.assert_raises_naming(ValueError, "temperature", model.sample, 4, temperature=0.0)
    testing.assert_raises_naming(ValueError, "temperature", model.sample, 4, temperature=-1.0)
    testing.assert_raises_naming(ValueError, "num_samples", model.sample, 0)
    testing.assert_raises_naming(ValueError, "context", model.log_prob, _toy(2),
                                 context=np.zeros((2, 1)))
    model.compile(optimizer="adam")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((4, 2), np.nan),
                                 epochs=1, verbose=0)
    for cls in (flows.RealNVP, flows.MAF, flows.IAF, flows.NICE, flows.PlanarFlow,
                flows.RadialFlow):
        testing.assert_raises_naming(ValueError, "num_flows", cls, num_flows=0)
    for cls in (flows.MAF, flows.PlanarFlow, flows.RadialFlow):
        testing.assert_raises_naming(ValueError, "event_shape", cls, event_shape=(4, 4, 1))
    testing.assert_raises_naming(ValueError, "event_shape", flows.RealNVP,
                                 event_shape=(5, 4, 1), num_scales=2)
    testing.assert_raises_naming(ValueError, "event_shape", flows.RealNVP, event_shape=(1,))
    testing.assert_raises_naming(ValueError, "logit_alpha", flows.RealNVP, logit_alpha=0.5)
    testing.assert_raises_naming(ValueError, "num_levels", flows.RealNVP, num_levels=1)
