"""Mathematics and contract of kgen.models.vae.VAE and IWAE."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from kgen import networks, testing
from kgen.models.vae import IWAE, VAE
from kgen.models.vae.posteriors import GaussianPosterior, standard_normal_log_prob


def small_vae(cls=VAE, event_shape=(6,), latent_dim=3, likelihood="bernoulli", **kwargs):
    return cls(
        event_shape=event_shape,
        latent_dim=latent_dim,
        encoder=networks.mlp_encoder(event_shape, (16,)),
        decoder=networks.mlp_decoder(latent_dim, event_shape, (16,)),
        likelihood=likelihood,
        seed=0,
        **kwargs,
    )


def test_analytic_kl_matches_monte_carlo():
    model = small_vae()
    x = testing.random_binary((4, 6))
    analytic = model.kl_divergence(tf.constant(x)).numpy()
    # 1-sample MC estimates of KL = E_q[log q - log p], averaged over many draws.
    h = model.encoder(x)
    noise = tf.random.stateless_normal((40000, 4, 3), seed=[1, 2])
    z, log_q = model.posterior.sample_and_log_prob(h, noise)
    draws = (log_q - standard_normal_log_prob(z)).numpy()
    mc, stderr = draws.mean(0), draws.std(0) / math.sqrt(len(draws))
    np.testing.assert_array_less(np.abs(mc - analytic), 4 * stderr + 1e-6)


def test_gaussian_posterior_log_prob_matches_tfp():
    posterior = GaussianPosterior(3)
    h = tf.random.stateless_normal((5, 7), seed=[0, 1])
    noise = tf.random.stateless_normal((2, 5, 3), seed=[0, 2])
    z, log_q = posterior.sample_and_log_prob(h, noise)
    np.testing.assert_allclose(log_q, posterior.distribution(h).log_prob(z), rtol=1e-5, atol=1e-5)


def test_one_sample_iwae_bound_equals_monte_carlo_elbo():
    model = small_vae(analytic_kl=False)
    x = testing.random_binary((8, 6))
    np.testing.assert_allclose(model.elbo(x, seed=3), model.iwae_bound(x, 1, seed=3), atol=1e-5)


def test_iwae_bound_is_above_elbo_and_grows_with_k():
    model = small_vae(analytic_kl=False)
    x = testing.random_binary((32, 6), seed=1)
    bounds = {k: np.mean([model.iwae_bound(x, k, seed=10 * s).numpy().mean() for s in range(20)])
              for k in (1, 5, 50)}
    assert bounds[1] < bounds[5] < bounds[50]


def test_iwae_bound_tends_to_log_likelihood_by_quadrature():
    # With a 1-D latent, log p(x) = log ∫ p(x|z) N(z; 0, 1) dz is exact on a fine grid.
    keras.utils.set_random_seed(0)
    model = small_vae(latent_dim=1)
    # q(z|x) = N(0, 1.5^2) is wider than the posterior, so the weights are bounded
    # and 5000 samples give an accurate estimate.
    kernel, _ = model.posterior.head.get_weights()
    model.posterior.head.set_weights([np.zeros_like(kernel),
                                      np.array([0.0, math.log(math.expm1(1.5))], "float32")])
    x = testing.random_binary((5, 6), seed=2)
    z = np.linspace(-9.0, 9.0, 20001, dtype=np.float32)[:, None]
    logits = model.decoder(z).numpy()  # [grid, 6]
    log_px_z = -(np.logaddexp(0, -logits)[None] * x[:, None] +
                 np.logaddexp(0, logits)[None] * (1 - x[:, None])).sum(-1)  # [5, grid]
    log_prior = -0.5 * z[:, 0] ** 2 - 0.5 * math.log(2 * math.pi)
    exact = logsumexp(log_px_z + log_prior, axis=1) + math.log(z[1, 0] - z[0, 0])
    estimate = model.iwae_bound(x, 5000, seed=0).numpy()
    # Standard error of the estimate by the delta method: sd(w) / (mean(w) sqrt(k)).
    log_px, log_pz, log_qz = model.log_weights(tf.constant(x), 5000, seed=1)
    w = np.exp((log_px + log_pz - log_qz).numpy() - exact)
    stderr = w.std(0) / (w.mean(0) * math.sqrt(5000))
    assert np.all(stderr < 0.02)  # the check below is sharp
    np.testing.assert_array_less(np.abs(estimate - exact), 5 * stderr + 1e-3)
    elbo = np.mean([model.elbo(x, seed=s).numpy() for s in range(50)], axis=0)
    assert np.all(elbo <= exact + 1e-3)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian", "logistic"])
def test_shapes_of_the_contract(likelihood):
    model = small_vae(event_shape=(8, 8, 1), likelihood=likelihood)
    x = testing.random_binary((4, 8, 8, 1)) * (255.0 if likelihood == "logistic" else 1.0)
    x = np.round(x)
    assert model.encode(x).shape == (4, 3)
    assert model.decode(tf.zeros((4, 3))).shape == (4, 8, 8, 1)
    assert model.reconstruct(x).shape == (4, 8, 8, 1)
    assert model.sample(5, seed=1).shape == (5, 8, 8, 1)
    assert model.elbo(x).shape == (4,)
    assert model.iwae_bound(x, 7).shape == (4,)
    assert np.all(np.isfinite(model.elbo(x)))


def test_bernoulli_samples_are_binary_and_seeded():
    model = small_vae()
    a, b = model.sample(20, seed=4), model.sample(20, seed=4)
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert not np.array_equal(a, model.sample(20, seed=5))
    mean = model.sample(20, seed=4, mean=True).numpy()
    assert 0 < mean.min() and mean.max() < 1


def test_conv_networks_plug_in():
    model = VAE(event_shape=(8, 8, 1), latent_dim=2,
                encoder=networks.conv_encoder((8, 8, 1), (4, 8), 16),
                decoder=networks.conv_decoder(2, (8, 8, 1), (8, 4)), seed=0)
    x = testing.random_binary((3, 8, 8, 1))
    assert model.elbo(x).shape == (3,)


def test_training_loss_is_reconstruction_plus_weighted_kl():
    model = small_vae(beta=2.0)
    model.kl_weight.assign(0.25)
    terms = model.compute_terms(tf.constant(testing.random_binary((8, 6))))
    np.testing.assert_allclose(terms["loss"], terms["reconstruction"] + 0.5 * terms["kl"],
                               rtol=1e-6)
    np.testing.assert_allclose(terms["elbo"], -(terms["reconstruction"] + terms["kl"]), rtol=1e-6)


def test_fit_improves_the_elbo_and_reports_named_metrics():
    model = small_vae(cls=IWAE, num_samples=4)
    x = np.tile(testing.random_binary((4, 6), seed=3), (16, 1))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, epochs=15, batch_size=16, verbose=0).history
    assert set(history) == {"loss", "iwae_bound", "elbo", "learning_rate"}
    np.testing.assert_allclose(history["learning_rate"], 1e-2)
    assert history["iwae_bound"][-1] > history["iwae_bound"][0] + 0.5


@pytest.mark.parametrize("cls,kwargs", [(VAE, {}), (VAE, {"likelihood": "gaussian"}),
                                        (VAE, {"likelihood": "logistic"}),
                                        (IWAE, {"num_samples": 3}),
                                        (VAE, {"posterior": "iaf"})])
def test_keras_file_round_trip_in_safe_mode(tmp_path, cls, kwargs):
    model = small_vae(cls=cls, event_shape=(8, 8, 1), **kwargs)
    x = np.round(testing.random_binary((4, 8, 8, 1)))
    model.compile(optimizer="adam")
    model.fit(x, epochs=1, batch_size=4, verbose=0)
    testing.assert_config_round_trip(model)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.elbo(x, seed=0))
    np.testing.assert_allclose(loaded.iwae_bound(x, 10, seed=1), model.iwae_bound(x, 10, seed=1))


class ZeroNoiseVAE(testing.ZeroNoise, VAE):
    pass


def test_jit_compiled_fit_matches_eager_step():
    x = testing.random_binary((8, 6))
    losses, weights = [], small_vae().get_weights()
    for jit in (False, True):
        model = small_vae(cls=ZeroNoiseVAE)
        model.set_weights(weights)
        model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=jit)
        losses.append(model.fit(x, epochs=3, batch_size=8, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    assert losses[0][-1] < losses[0][0]


def test_steps_per_execution_leave_the_training_maths_unchanged():
    # Real noise: several steps per execution draw the same seeds, in the same
    # order, as one step per call, with and without XLA.
    x = testing.random_binary((32, 6))
    runs, weights = {}, small_vae().get_weights()
    for jit, spe in ((False, 1), (False, 4), (True, 1), (True, 4)):
        model = small_vae()
        model.set_weights(weights)
        model.compile(optimizer=keras.optimizers.Adam(0.01), jit_compile=jit,
                      steps_per_execution=spe)
        history = model.fit(x, epochs=2, batch_size=4, verbose=0, shuffle=False).history
        runs[jit, spe] = (history["loss"], model.get_weights())
    for jit in (False, True):
        (loss, trained), (reference_loss, reference) = runs[jit, 4], runs[jit, 1]
        np.testing.assert_allclose(loss, reference_loss, rtol=1e-5, err_msg=f"jit={jit}")
        for a, b in zip(trained, reference):
            np.testing.assert_allclose(a, b, atol=1e-5, err_msg=f"jit={jit}")
        assert reference_loss[-1] < reference_loss[0]


def test_iwae_training_loss_is_the_warm_weighted_bound():
    model = small_vae(cls=IWAE, num_samples=7, beta=2.0, analytic_kl=False)
    model.kl_weight.assign(0.25)
    x = tf.constant(testing.random_binary((5, 6)))
    state = model.seed_generator.state.numpy()
    terms = model.compute_terms(x)
    model.seed_generator.state.assign(state)  # the same noise again
    log_px, log_pz, log_qz = model.log_weights(x, 7)
    expected = -(logsumexp((log_px + 0.5 * (log_pz - log_qz)).numpy(), axis=0) - math.log(7))
    np.testing.assert_allclose(terms["loss"], expected, rtol=1e-5)
    bound = logsumexp((log_px + log_pz - log_qz).numpy(), axis=0) - math.log(7)
    np.testing.assert_allclose(terms["iwae_bound"], bound, rtol=1e-5)


def test_kl_weight_is_training_state_not_a_weight(tmp_path):
    model = small_vae()
    model.kl_weight.assign(0.25)  # inside a warm-up
    assert all("kl_weight" not in v.path for v in model.variables)
    model.set_weights(model.get_weights())  # restoring weights leaves the schedule alone
    assert float(model.kl_weight.numpy()) == 0.25
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert float(loaded.kl_weight.numpy()) == 1.0  # a loaded model trains the full ELBO


def test_files_written_when_kl_weight_was_saved_still_load():
    # Written by commit 0ec57e9, when kl_weight was the model's one own weight
    # (saved there at 0.5, inside a warm-up).
    import json
    import pathlib

    data = pathlib.Path(__file__).resolve().parent / "data"
    expected = json.loads((data / "vae_kl_weight_saved.json").read_text())
    model = keras.models.load_model(data / "vae_kl_weight_saved.keras", safe_mode=True)
    x = np.asarray(expected["x"], np.float32)
    np.testing.assert_allclose(model.elbo(x, seed=0), expected["elbo_seed0"], rtol=1e-5)
    assert float(model.kl_weight.numpy()) == 1.0


def test_a_two_replica_step_equals_the_one_device_step_through_the_harness():
    from tests.models.vae import factories

    x = testing.random_binary((8,) + factories.EVENT_SHAPE, seed=2)
    result = testing.assert_replica_step_matches("tests.models.vae.factories:tiny_vae", x,
                                                 method="fit")
    # Every weight (encoder, posterior head, decoder: 4 kernels, 4 biases) was compared,
    # and the harness checked that each moved.
    assert len(result["names"]) == 8
