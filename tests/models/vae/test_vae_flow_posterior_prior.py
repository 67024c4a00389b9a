"""The VAE's planar / radial flow posteriors and flow priors: exact log-densities,
reduction to the plain VAE, the IWAE bound against quadrature, gradients, files."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from kgen import networks, testing
from kgen.cli import presets
from kgen.layers.planar import PlanarStep, RadialStep, planar_u_hat
from kgen.models import flows
from kgen.models.vae import VAE, FlowPrior, PlanarPosterior, RadialPosterior, preset_args, priors
from kgen.models.vae.posteriors import standard_normal_log_prob

EVENT, LATENT, FEATURES, BATCH = (6,), 3, 5, 4
POSTERIORS = {"planar": PlanarPosterior, "radial": RadialPosterior}


def _randomize(layer, stddev, seed=0):
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(0.0, stddev, w.shape).astype("float32"))


def _vae(posterior="gaussian", prior="standard_normal", latent_dim=LATENT, **kwargs):
    return VAE(event_shape=EVENT, latent_dim=latent_dim, seed=0, posterior=posterior,
               prior=prior, encoder=networks.mlp_encoder(EVENT, (16,)),
               decoder=networks.mlp_decoder(latent_dim, EVENT, (16,)), **kwargs)


def _prior(kind, latent_dim=LATENT, stddev=None):
    """A small flow prior (16-16 networks), optionally with random weights."""
    prior = FlowPrior(priors.named_flow(kind, latent_dim, seed=1, hidden_units=(16, 16)),
                      name="prior")
    if stddev:
        _randomize(prior, stddev, seed=2)
    return prior


def _flow_posterior(kind, num_flows, stddev=0.5):
    posterior = POSTERIORS[kind](LATENT, num_flows=num_flows)
    posterior.build((None, FEATURES))
    _randomize(posterior, stddev)
    return posterior


def _h_and_noise(k=1, seed=0):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.normal(size=(BATCH, FEATURES)), tf.float32),
            tf.constant(rng.normal(size=(k, BATCH, LATENT)), tf.float32))


# --- reduction to the plain VAE ----------------------------------------------------
@pytest.mark.parametrize("kind", sorted(POSTERIORS))
@pytest.mark.parametrize("analytic_kl", [True, False])
def test_zero_flow_steps_give_the_plain_vae_elbo_and_bound(kind, analytic_kl):
    plain = _vae(analytic_kl=analytic_kl)
    model = _vae(POSTERIORS[kind](LATENT, num_flows=0, name="posterior"),
                 analytic_kl=analytic_kl)
    model.set_weights(plain.get_weights())
    assert model.posterior.analytic_kl
    x = testing.random_binary((8,) + EVENT)
    np.testing.assert_array_equal(model.elbo(x, seed=3), plain.elbo(x, seed=3))
    np.testing.assert_array_equal(model.iwae_bound(x, 20, seed=4), plain.iwae_bound(x, 20, seed=4))
    np.testing.assert_array_equal(model.encode(x), plain.encode(x))


@pytest.mark.parametrize("flow", ["maf", "realnvp"])
def test_an_identity_flow_prior_gives_the_plain_vae_monte_carlo_elbo(flow):
    plain = _vae(analytic_kl=False)
    model = _vae(prior=flow)
    assert not model.prior.analytic_kl
    for w in model.prior.weights:           # zero networks: shift 0, log-scale 0
        w.assign(tf.zeros_like(w))
    own = {id(w) for w in model.prior.weights}
    for w, v in zip([w for w in model.weights if id(w) not in own], plain.get_weights()):
        w.assign(v)
    x = testing.random_binary((8,) + EVENT)
    np.testing.assert_allclose(model.elbo(x, seed=3), plain.elbo(x, seed=3), atol=1e-5)
    np.testing.assert_allclose(model.sample(5, seed=2, mean=True),
                               plain.sample(5, seed=2, mean=True), atol=1e-6)


# --- the flow posterior's density ------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(POSTERIORS))
@pytest.mark.parametrize("num_flows", [1, 4])
def test_log_q_is_the_base_density_minus_the_autodiff_jacobian_log_det(kind, num_flows):
    posterior = _flow_posterior(kind, num_flows)
    h, noise = _h_and_noise()
    z, log_q = posterior.sample_and_log_prob(h, noise)
    # log q_K(z_K) = log N(eps) - log|det dz_K/deps| for the map eps -> z_K given x.
    testing.assert_log_det_matches_jacobian(
        lambda eps: posterior.sample_and_log_prob(h, tf.cast(eps, tf.float32)[None])[0][0],
        noise[0], standard_normal_log_prob(noise[0]) - log_q[0], atol=1e-4)
    assert np.all(np.isfinite(z)) and np.all(np.isfinite(log_q))


@pytest.mark.parametrize("kind, step_class", [("planar", PlanarStep), ("radial", RadialStep)])
def test_each_amortized_step_is_the_flow_layer_step_with_those_parameters(kind, step_class):
    # With a zero flow-head kernel every example gets the head's bias as parameters:
    # the posterior's flow must then be the weight-holding step's forward map.
    posterior = _flow_posterior(kind, 1)
    step = step_class(seed=3)
    step.build((None, LATENT))
    _randomize(step, 0.7, seed=5)
    kernel, _ = posterior.flow_head.get_weights()
    posterior.flow_head.set_weights([np.zeros_like(kernel),
                                     np.concatenate([w.numpy().reshape(-1)
                                                     for w in step.weights])])
    z = tf.constant(np.random.default_rng(1).normal(size=(2, BATCH, LATENT)), tf.float32)
    h, _ = _h_and_noise()
    got, got_log_det = posterior.flow(z, posterior.flow_params(h))
    want, want_log_det = step(tf.reshape(z, (-1, LATENT)))
    np.testing.assert_allclose(tf.reshape(got, (-1, LATENT)), want, atol=1e-6)
    np.testing.assert_allclose(tf.reshape(got_log_det, (-1,)), want_log_det, atol=1e-6)


def test_u_hat_keeps_every_planar_step_invertible():
    # w.u_hat = m(w.u) = -1 + softplus(w.u) > -1, whatever the encoder gives.
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1000, LATENT)).astype("float32")
    u = (-w + rng.normal(size=(1000, LATENT))).astype("float32")
    wu = (w * u).sum(-1)
    assert np.mean(wu < -1.0) > 0.5
    wu_hat = tf.reduce_sum(w * planar_u_hat(w, u), -1).numpy()
    np.testing.assert_allclose(wu_hat, -1.0 + np.logaddexp(0.0, wu.astype("float64")), atol=2e-5)
    assert np.all(wu_hat[wu > -9.0] > -1.0)
    # An all-zero image gives a bias-free encoder's w = 0: a translation, not NaN.
    np.testing.assert_array_equal(planar_u_hat(np.zeros_like(w), u), u)


@pytest.mark.parametrize("kind", sorted(POSTERIORS))
def test_samples_broadcast_over_the_sample_axis_and_the_mean_is_zero_noise(kind):
    posterior = _flow_posterior(kind, 3)
    h, noise = _h_and_noise(k=3)
    z, log_q = posterior.sample_and_log_prob(h, noise)
    assert z.shape == (3, BATCH, LATENT) and log_q.shape == (3, BATCH)
    z_1, log_q_1 = posterior.sample_and_log_prob(h, noise[1:2])
    np.testing.assert_allclose(z[1], z_1[0], atol=1e-6)
    np.testing.assert_allclose(log_q[1], log_q_1[0], atol=1e-5)
    z_0, _ = posterior.sample_and_log_prob(h, tf.zeros_like(noise[:1]))
    np.testing.assert_allclose(posterior.mean(h), z_0[0], atol=1e-6)


# --- the flow prior's density ------------------------------------------------------------
@pytest.mark.parametrize("flow", ["maf", "realnvp"])
def test_the_flow_prior_density_integrates_to_one_on_a_2d_grid(flow):
    prior = _vae(prior=_prior(flow, 2, stddev=0.2), latent_dim=2).prior
    z = tf.constant(np.random.default_rng(0).normal(size=(500, 2)), tf.float32)
    assert np.std(prior.log_prob(z) - standard_normal_log_prob(z)) > 0.3  # far from N(0, I)
    testing.assert_normalized_on_grid(prior.log_prob, -9.0, 9.0, num_points=361, atol=1e-4)


def test_prior_samples_are_the_flow_decoding_of_the_noise():
    model = _vae(prior=_prior("maf", stddev=0.2))
    eps = tf.constant(np.random.default_rng(0).normal(size=(2, 5, LATENT)), tf.float32)
    z = model.prior.sample(eps)
    assert z.shape == eps.shape
    back = model.prior.flow.encode(tf.reshape(z, (-1, LATENT)))
    np.testing.assert_allclose(back, tf.reshape(eps, (-1, LATENT)), atol=1e-4)


def test_iwae_bound_with_flow_posterior_and_flow_prior_tends_to_log_likelihood():
    # A 2-D latent: log p(x) = log of the integral of p(x|z) p(z) on a fine grid,
    # with p(z) the flow prior. The k-sample bound weighs each sample with the
    # planar posterior's log q and the prior's log p, so it reaches log p(x) only
    # if both are exact, normalized densities.
    keras.utils.set_random_seed(0)
    model = _vae(posterior=PlanarPosterior(2, num_flows=2, name="posterior"),
                 prior=_prior("maf", 2, stddev=0.2), latent_dim=2)
    _randomize(model.posterior.flow_head, 0.3, seed=3)
    kernel, _ = model.posterior.head.get_weights()   # q_0 = N(0, 1.5^2): wide weights
    model.posterior.head.set_weights([np.zeros_like(kernel), np.array(
        [0.0, 0.0, math.log(math.expm1(1.5)), math.log(math.expm1(1.5))], "float32")])
    x = testing.random_binary((3,) + EVENT, seed=2)
    axis = np.linspace(-9.0, 9.0, 361, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    log_joint = (model.likelihood(model.decoder(grid)[None]).log_prob(x[:, None])
                 + model.prior.log_prob(grid)).numpy()           # [3, grid points]
    exact = logsumexp(log_joint, axis=1) + 2 * math.log(axis[1] - axis[0])
    # The bound's spread, by the delta method, from 5000 other draws.
    log_px, log_pz, log_qz = model.log_weights(tf.constant(x), 5000, seed=1)
    ratio = np.exp((log_px + log_pz - log_qz).numpy() - exact)
    spread = ratio.std(0) / (ratio.mean(0) * math.sqrt(5000))
    assert np.all(spread < 0.03)  # the check below is sharp
    gap = np.abs(model.iwae_bound(x, 5000, seed=0).numpy() - exact)
    np.testing.assert_array_less(gap, 5 * spread + 2e-3)


def test_the_bound_weighs_each_sample_with_the_flow_log_q_and_log_p():
    model = _vae("planar", "maf")
    x = tf.constant(testing.random_binary((BATCH,) + EVENT))
    state = model.seed_generator.state.numpy()
    log_px, log_pz, log_qz = model.log_weights(x, 7)
    model.seed_generator.state.assign(state)
    noise = model.standard_normal((7, BATCH, LATENT))
    z, log_q = model.posterior.sample_and_log_prob(model.encoder(x), noise)
    np.testing.assert_allclose(log_qz, log_q, atol=1e-6)
    np.testing.assert_allclose(log_pz, model.prior.log_prob(z), atol=1e-6)
    np.testing.assert_allclose(model.elbo(x, seed=5), model.iwae_bound(x, 1, seed=5), atol=1e-5)


# --- training, gradients, files -------------------------------------------------------------
@pytest.mark.parametrize("posterior, prior", [("planar", "maf"), ("radial", "realnvp")])
def test_the_loss_gradient_reaches_every_trainable_variable(posterior, prior):
    model = _vae(posterior, _prior(prior, stddev=0.2))  # RealNVP's output layers start at 0
    x = tf.constant(testing.random_binary((16,) + EVENT))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model.compute_terms(x)["loss"])
    variables = model.trainable_variables
    assert {id(v) for v in model.prior.trainable_weights} <= {id(v) for v in variables}
    assert any("flow_params" in v.path for v in variables)
    for v, g in zip(variables, tape.gradient(loss, variables)):
        assert g is not None and float(tf.reduce_max(tf.abs(g))) > 0.0, v.path


@pytest.fixture(scope="module")
def fitted():
    """A VAE with a planar posterior and a MAF prior after 2 steps of XLA ``fit``."""
    model = _vae(PlanarPosterior(LATENT, num_flows=3, name="posterior"),
                 _prior("maf", stddev=0.2))
    before = [w.numpy() for w in model.trainable_weights]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=True)
    history = model.fit(testing.random_binary((32,) + EVENT), batch_size=16, verbose=0)
    return model, before, history


def test_xla_fit_is_finite_and_moves_every_weight(fitted):
    model, before, history = fitted
    assert np.isfinite(history.history["loss"][-1])
    moved = [np.any(b != w.numpy()) for b, w in zip(before, model.trainable_weights)]
    assert all(moved), [w.path for w, m in zip(model.trainable_weights, moved) if not m]


def test_keras_file_and_saved_model_round_trip(fitted, tmp_path):
    model, _, _ = fitted
    x = testing.random_binary((4,) + EVENT)
    testing.assert_config_round_trip(model)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.elbo(x, seed=0))
    assert type(loaded.posterior) is PlanarPosterior and isinstance(loaded.prior.flow, flows.MAF)
    np.testing.assert_allclose(loaded.iwae_bound(x, 10, seed=1), model.iwae_bound(x, 10, seed=1),
                               atol=1e-5)
    testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "encode": {"x": x}, "elbo": {"x": x},
        "decode": {"z": np.zeros((2, LATENT), np.float32)},
        "sample": {"num_samples": np.int32(3)}})


def test_radial_posterior_and_realnvp_prior_round_trip_through_keras_file(tmp_path):
    model = _vae(RadialPosterior(LATENT, num_flows=2, name="posterior"),
                 _prior("realnvp", stddev=0.2))
    x = testing.random_binary((4,) + EVENT)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.elbo(x, seed=0))
    assert type(loaded.posterior) is RadialPosterior and isinstance(loaded.prior.flow,
                                                                     flows.RealNVP)
    np.testing.assert_allclose(loaded.sample(3, seed=1), model.sample(3, seed=1))


# --- arguments and presets -----------------------------------------------------------------
@pytest.mark.parametrize("error, argument, call", [
    (ValueError, "num_flows", lambda: PlanarPosterior(LATENT, num_flows=-1)),
    (ValueError, "num_flows", lambda: RadialPosterior(LATENT, num_flows=-2)),
    (TypeError, "num_flows", lambda: PlanarPosterior(LATENT, num_flows=1.5)),
    (ValueError, "posterior", lambda: _vae(posterior="sylvester")),
    (ValueError, "posterior", lambda: _vae(posterior=PlanarPosterior(LATENT + 1))),
    (ValueError, "prior", lambda: _vae(prior="vampprior")),
    (ValueError, "prior", lambda: _vae(prior=FlowPrior(flows.MAF(event_shape=(LATENT + 1,))))),
    (TypeError, "prior", lambda: _vae(prior=keras.layers.Dense(3))),
    (TypeError, "flow", lambda: FlowPrior(keras.layers.Dense(3))),
    (ValueError, "flow", lambda: FlowPrior(flows.MAF(event_shape=(LATENT,), context_units=2))),
    (ValueError, "flow", lambda: FlowPrior(flows.RealNVP(event_shape=(LATENT,), logit_alpha=0.05))),
    (ValueError, "model_args.posterior.type", lambda: preset_args.build_args(
        {"posterior": {"type": "sylvester"}}, EVENT)),
    (ValueError, "num_flows", lambda: preset_args.build_args(
        {"posterior": {"type": "planar", "num_flows": -1}}, EVENT)),
    (TypeError, "num_flows", lambda: preset_args.build_args(  # a bad value, not a bad key
        {"posterior": {"type": "planar", "num_flows": 1.5}}, EVENT)),
    (ValueError, "model_args.prior.type", lambda: preset_args.build_args(
        {"prior": {"type": "glow"}}, EVENT)),
    (ValueError, "model_args.prior", lambda: preset_args.build_args(
        {"prior": {"type": "maf", "num_flow": 2}}, EVENT)),
    (ValueError, "model_args.prior", lambda: preset_args.build_args(
        {"prior": {"type": "standard_normal", "num_flows": 2}}, EVENT)),
    (ValueError, "event_shape", lambda: preset_args.build_args(
        {"prior": {"type": "maf", "event_shape": [3]}}, EVENT)),
    (ValueError, "num_flows", lambda: preset_args.build_args(
        {"prior": {"type": "realnvp", "num_flows": 0}}, EVENT)),
])
def test_bad_arguments_raise_naming_the_argument(error, argument, call):
    testing.assert_raises_naming(error, argument, call)


def test_the_flow_presets_build_the_plain_vae_networks_with_a_flow():
    plain = presets.resolve("vae_binarized_mnist")
    built = {}
    for name in ("vae_planar_binarized_mnist", "vae_flow_prior_binarized_mnist"):
        config = presets.resolve(name)
        assert config["train"] == plain["train"] and config["data"] == plain["data"]
        assert config["evaluate"] == plain["evaluate"]
        rest = {k: v for k, v in config["model_args"].items() if k not in ("posterior", "prior")}
        assert rest == {k: v for k, v in plain["model_args"].items() if k != "posterior"}
        built[name] = presets.build_model(config, (28, 28, 1))
    planar = built["vae_planar_binarized_mnist"]
    assert type(planar.posterior) is PlanarPosterior and planar.posterior.num_flows == 10
    assert type(planar.prior).__name__ == "StandardNormalPrior"
    maf = built["vae_flow_prior_binarized_mnist"]
    assert isinstance(maf.prior, FlowPrior) and isinstance(maf.prior.flow, flows.MAF)
    assert maf.prior.flow.num_flows == 2 and maf.prior.flow.hidden_units == (320, 320)
    assert type(maf.posterior).__name__ == "GaussianPosterior"


@pytest.mark.parametrize("cls", [PlanarPosterior, RadialPosterior, FlowPrior,
                                 priors.StandardNormalPrior], ids=lambda c: c.__name__)
def test_the_new_layers_are_registered_in_the_vae_package(cls):
    assert keras.saving.get_registered_name(cls) == f"kgen.vae>{cls.__name__}"
    assert keras.saving.get_registered_object(f"kgen.vae>{cls.__name__}") is cls
