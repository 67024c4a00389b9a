"""Tests of kgen.models.vae.IAFPosterior: exact log-dets and use in a VAE."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.models.vae import VAE, IAFPosterior
from kgen.models.vae.posteriors import standard_normal_log_prob
from kgen.networks import mlp_decoder, mlp_encoder

LATENT, FEATURES, BATCH = 4, 6, 3
EVENT = (4, 4, 1)


def _randomize(layer, seed=0, stddev=0.5):
    """Random, non-identity weights (a fresh flow is close to a constant gate)."""
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(0.0, stddev, w.shape).astype("float32"))


def _posterior(num_flows=2, context_units=3, randomize=True):
    posterior = IAFPosterior(LATENT, num_flows=num_flows, hidden_units=(8, 8),
                             context_units=context_units, activation="tanh")
    posterior.build((None, FEATURES))
    if randomize:
        _randomize(posterior)
    return posterior


def _h_and_noise(k=1, seed=0):
    rng = np.random.default_rng(seed)
    h = tf.constant(rng.normal(size=(BATCH, FEATURES)), tf.float32)
    noise = tf.constant(rng.normal(size=(k, BATCH, LATENT)), tf.float32)
    return h, noise


def _jacobian(posterior, h, eps):
    """dz/deps ``[batch, D, D]`` of the map eps -> z for fixed h, and log q ``[batch]``."""
    with tf.GradientTape() as tape:
        tape.watch(eps)
        z, log_q = posterior.sample_and_log_prob(h, eps[None])
        z = z[0]
    return tape.batch_jacobian(z, eps).numpy(), log_q[0].numpy()


@pytest.mark.parametrize("num_flows", [1, 2, 3])
@pytest.mark.parametrize("context_units", [None, 3])
def test_log_q_is_log_normal_minus_log_abs_det_of_autodiff_jacobian(num_flows, context_units):
    posterior = _posterior(num_flows, context_units)
    h, noise = _h_and_noise()
    jac, log_q = _jacobian(posterior, h, noise[0])
    _, log_abs_det = np.linalg.slogdet(jac.astype(np.float64))
    expected = standard_normal_log_prob(noise[0]).numpy() - log_abs_det
    np.testing.assert_allclose(log_q, expected, atol=1e-4)


@pytest.mark.parametrize("num_flows, lower", [(1, True), (2, False)])
def test_jacobian_is_triangular_in_the_order_of_the_step(num_flows, lower):
    posterior = _posterior(num_flows)
    h, noise = _h_and_noise()
    jac, _ = _jacobian(posterior, h, noise[0])
    upper = np.triu(np.ones((LATENT, LATENT), bool), k=1)
    if lower:   # one left-to-right step: z_i depends on eps_j for j <= i only
        assert np.all(jac[:, upper] == 0.0)
        assert np.all(np.abs(jac).max(axis=0)[np.tril(np.ones_like(upper))] > 0.0)
    else:       # the order is reversed between steps, so two steps mix everything
        assert np.all(np.abs(jac).max(axis=0) > 0.0)


def test_samples_broadcast_over_the_leading_sample_axis():
    posterior = _posterior()
    h, noise = _h_and_noise(k=5)
    z, log_q = posterior.sample_and_log_prob(h, noise)
    assert z.shape == (5, BATCH, LATENT) and log_q.shape == (5, BATCH)
    for i in range(5):   # each sample equals the same sample drawn alone
        z_i, log_q_i = posterior.sample_and_log_prob(h, noise[i:i + 1])
        np.testing.assert_allclose(z[i], z_i[0], atol=1e-6)
        np.testing.assert_allclose(log_q[i], log_q_i[0], atol=1e-5)


def test_mean_is_the_sample_at_zero_noise():
    posterior = _posterior()
    h, noise = _h_and_noise()
    z0, _ = posterior.sample_and_log_prob(h, tf.zeros_like(noise))
    np.testing.assert_allclose(posterior.mean(h), z0[0], atol=1e-6)


def test_each_step_runs_its_made_once_per_sample():
    posterior = _posterior(num_flows=3)
    calls = []
    for made in posterior.mades:
        def counted(x, context=None, _call=made.call, _name=made.name):
            calls.append(_name)
            return _call(x, context=context)
        made.call = counted
    posterior.sample_and_log_prob(*_h_and_noise(k=4))
    assert sorted(calls) == sorted(m.name for m in posterior.mades)


def test_fresh_flow_is_the_gentle_gated_update_of_the_paper():
    posterior = _posterior(num_flows=2, randomize=False)
    h, noise = _h_and_noise()
    loc, scale, _ = posterior(h)
    z, log_q = posterior.sample_and_log_prob(h, noise)
    gate = 1.0 / (1.0 + np.exp(-posterior.gate_bias))    # sigma_t ~ sigmoid(gate_bias)
    np.testing.assert_allclose(z[0], gate ** 2 * (loc + scale * noise[0]), atol=0.02)
    base = standard_normal_log_prob(noise[0]) - tf.reduce_sum(tf.math.log(scale), -1)
    np.testing.assert_allclose(base - log_q[0], 2 * LATENT * np.log(gate), atol=0.02)


def test_config_round_trip_gives_identical_samples():
    posterior = _posterior()
    clone = IAFPosterior.from_config(posterior.get_config())
    clone.build((None, FEATURES))
    clone.set_weights(posterior.get_weights())
    h, noise = _h_and_noise(k=2)
    for a, b in zip(clone.sample_and_log_prob(h, noise), posterior.sample_and_log_prob(h, noise)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, name", [
    ({"latent_dim": 0}, "latent_dim"),
    ({"num_flows": 0}, "num_flows"),
    ({"context_units": 0}, "context_units"),
    ({"hidden_units": (0,)}, "hidden_units"),
])
def test_bad_arguments_raise_value_error_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        IAFPosterior(**{"latent_dim": LATENT, **kwargs})


# --- in a VAE ------------------------------------------------------------------
def _vae(posterior="iaf"):
    if posterior == "iaf":
        posterior = IAFPosterior(LATENT, num_flows=2, hidden_units=(8, 8), context_units=3,
                                 name="posterior")
    return VAE(event_shape=EVENT, latent_dim=LATENT, seed=0, posterior=posterior,
               encoder=mlp_encoder(EVENT, (16,)), decoder=mlp_decoder(LATENT, EVENT, (16,)))


def _binary_images(n=32):
    return (np.random.default_rng(0).random((n,) + EVENT) < 0.5).astype("float32")


def _made_kernels(model):
    return [v for m in model.posterior.mades for v in m.trainable_variables
            if "kernel" in v.path]


@pytest.fixture(scope="module")
def fitted():
    """A VAE with an IAF posterior after 2 steps of ``fit`` under XLA, with its
    MADE kernels from before the fit."""
    model = _vae()
    before = [v.numpy() for v in _made_kernels(model)]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=True)
    history = model.fit(_binary_images(), batch_size=16, epochs=1, verbose=0)  # 2 steps
    return model, before, history


def test_vae_sees_and_differentiates_the_made_weights_of_its_iaf_posterior():
    model, gaussian = _vae(), _vae("gaussian")
    made_kernels = _made_kernels(model)
    assert len(made_kernels) == 2 * (2 + 3 + 1)   # per MADE: hidden, context, output
    assert len(model.trainable_variables) > len(gaussian.trainable_variables)
    assert {id(v) for v in made_kernels} <= {id(v) for v in model.trainable_variables}
    x = tf.constant(_binary_images())
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model.compute_terms(x)["loss"])
    grads = tape.gradient(loss, made_kernels)
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0.0 for g in grads)


def test_vae_with_iaf_fits_under_xla_and_updates_the_made_kernels(fitted):
    model, before, history = fitted
    assert np.isfinite(history.history["loss"][-1])
    assert all(np.any(b != v.numpy()) for b, v in zip(before, _made_kernels(model)))


def test_vae_with_iaf_round_trips_through_keras_file(fitted, tmp_path):
    model, _, _ = fitted
    x = _binary_images()
    model.save(tmp_path / "vae_iaf.keras")
    loaded = keras.models.load_model(tmp_path / "vae_iaf.keras", safe_mode=True)
    assert isinstance(loaded.posterior, IAFPosterior)
    np.testing.assert_array_equal(loaded.elbo(x, seed=0), model.elbo(x, seed=0))
    np.testing.assert_array_equal(loaded.encode(x), model.encode(x))
