"""GAN: the critic schedule, the gradient penalty's noise, EMA, truncation, clipping, saving,
serving, the 2-replica step, XLA and bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import kgen
from kgen import testing
from kgen.models.gan import GAN


def toy_gan(loss="wasserstein_gp", n_critic=5, ema_decay=None, seed=0, hidden=(16, 16)):
    """A small MLP GAN on 2-D points (the factory of the replica test uses the defaults)."""
    return GAN(kgen.networks.mlp_generator(3, 2, hidden, activation="tanh", seed=seed),
               kgen.networks.mlp_discriminator(2, hidden, activation="tanh", seed=seed + 1),
               loss=loss, n_critic=n_critic, ema_decay=ema_decay, seed=seed)


def replica_gan():
    """The replica test's model: WGAN-GP, 5 critic steps. Its critic has no output bias,
    which no Wasserstein loss moves (it cancels in D(x) - D(G(z))), so that the test can
    ask every trainable weight to move."""
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="tanh"),
                               keras.layers.Dense(1, use_bias=False)], name="discriminator")
    return GAN(kgen.networks.mlp_generator(3, 2, (16,), activation="tanh", seed=0), critic,
               loss="wasserstein_gp", n_critic=5, seed=0)


def sgd_per_player(model):
    """The replica test's compile: one SGD per player."""
    model.compile(optimizer={"generator": keras.optimizers.SGD(0.01),
                             "discriminator": keras.optimizers.SGD(0.01)})


def _compiled(model, optimizer=keras.optimizers.Adam, **kwargs):
    model.compile(optimizer={"generator": optimizer(1e-3), "discriminator": optimizer(1e-3)},
                  **kwargs)
    return model


def _points(n=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32)


def test_each_step_takes_n_critic_critic_steps_and_one_generator_step():
    model = _compiled(toy_gan(n_critic=3))
    model.fit(_points(60), batch_size=30, epochs=1, verbose=0)  # 2 steps
    assert int(model.discriminator_optimizer.iterations) == 6
    assert int(model.generator_optimizer.iterations) == 2
    assert model.optimizer is model.generator_optimizer


def test_critic_steps_see_disjoint_strided_chunks_of_the_batch():
    seen = []

    class Recording(GAN):
        def discriminator_terms(self, real, fake, training=True):
            seen.append(real)
            return super().discriminator_terms(real, fake, training)

    model = Recording(*(lambda g: (g.generator, g.discriminator))(toy_gan()),
                      loss="wasserstein_gp", n_critic=5, seed=0)
    _compiled(model)
    model.train_step(tf.constant(_points(20)))  # eager: the chunks are concrete
    x = _points(20)
    assert len(seen) == 5
    for k, chunk in enumerate(seen):
        np.testing.assert_array_equal(chunk.numpy(), x[k::5])


def test_the_penalty_draws_one_uniform_epsilon_per_example_from_the_model():
    model = toy_gan()
    real, fake = _points(2000, seed=1), _points(2000, seed=2)
    terms = model.gradient_penalty(real, fake, seed=3)
    eps = terms["epsilon"].numpy()
    assert eps.shape == (2000,)
    np.testing.assert_allclose(terms["interpolates"].numpy(),
                               real + eps[:, None] * (fake - real), rtol=1e-5, atol=1e-6)
    # Uniform on [0, 1] (a normal eps, as in the keras-io recipe, fails by far).
    assert eps.min() >= 0 and eps.max() <= 1 and len(np.unique(eps)) == 2000
    assert stats.kstest(eps, "uniform").pvalue > 1e-3
    np.testing.assert_array_equal(eps, model.gradient_penalty(real, fake, seed=3)["epsilon"])
    # Unseeded, it comes from the model's seed generator and moves it on.
    before = model.seed_generator.state.numpy().copy()
    model.gradient_penalty(real, fake)
    assert not np.array_equal(before, model.seed_generator.state.numpy())


def test_metrics_are_those_that_mean_something_for_the_loss():
    names = {loss: {m.name for m in toy_gan(loss=loss, n_critic=1).metrics}
             for loss in kgen.models.gan.losses.available()}
    base = {"d_loss", "g_loss", "d_real", "d_fake"}
    assert names["wasserstein_gp"] == base | {"wasserstein_estimate", "grad_penalty"}
    assert names["wasserstein"] == base | {"wasserstein_estimate"}
    assert names["non_saturating"] == names["hinge"] == base
    model = _compiled(toy_gan(loss="non_saturating", n_critic=1))
    logs = model.fit(_points(), batch_size=40, epochs=1, verbose=0).history
    assert 0 < logs["d_real"][0] < 1 and 0 < logs["d_fake"][0] < 1  # probabilities
    assert set(model.evaluate(_points(), batch_size=40, verbose=0, return_dict=True)) == base


def test_weight_clipping_keeps_every_critic_weight_within_c():
    model = _compiled(toy_gan(loss="wasserstein", n_critic=2))
    model.discriminator.set_weights([3.0 * w for w in model.discriminator.get_weights()])
    model.fit(_points(), batch_size=20, epochs=1, verbose=0)
    for w in model.discriminator.get_weights():
        assert np.abs(w).max() <= 0.01 + 1e-7


def test_the_ema_follows_the_generator_and_sampling_uses_it():
    model = _compiled(toy_gan(n_critic=1, ema_decay=0.75), optimizer=keras.optimizers.SGD)
    start = [w.copy() for w in model.generator.get_weights()]
    model.fit(_points(10), batch_size=10, epochs=1, verbose=0)
    after = model.generator.get_weights()
    for ema, w0, w1 in zip(model.ema, start, after):
        np.testing.assert_allclose(ema.numpy(), 0.75 * w0 + 0.25 * w1, rtol=1e-5, atol=1e-7)
    z = np.ones((4, 3), np.float32)
    averaged = keras.models.clone_model(model.generator)
    averaged.set_weights([v.numpy() for v in model.ema])
    np.testing.assert_allclose(model.generate(z).numpy(), averaged(z).numpy(), rtol=1e-5)
    np.testing.assert_allclose(model.generate(z, ema=False).numpy(), model.generator(z).numpy())
    assert not np.allclose(model.generate(z).numpy(), model.generator(z).numpy())


def test_truncated_noise_is_a_truncated_normal():
    model = toy_gan()
    z = model.noise(20000, seed=0, truncation=0.5).numpy().ravel()
    assert np.abs(z).max() <= 0.5
    assert stats.kstest(z, stats.truncnorm(-0.5, 0.5).cdf).pvalue > 1e-3
    a, b = model.sample(5, seed=1, truncation=0.5), model.sample(5, seed=1, truncation=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert model.sample(5, seed=1).shape == (5, 2)


def test_data_range_comes_from_the_output_activation():
    dcgan = GAN(kgen.networks.dcgan_generator(8, (28, 28, 1), base_filters=4),
                kgen.networks.dcgan_discriminator((28, 28, 1), base_filters=4))
    assert dcgan.data_range == (-1.0, 1.0) and dcgan.event_shape == (28, 28, 1)
    assert toy_gan().data_range is None
    assert GAN(kgen.networks.mlp_generator(output_activation="sigmoid"),
               kgen.networks.mlp_discriminator()).data_range == (0.0, 1.0)
    assert toy_gan().monitor == ("fid", "min")


def test_keras_round_trip_keeps_players_optimizers_ema_and_seed_state(tmp_path):
    model = _compiled(toy_gan(ema_decay=0.9))
    model.fit(_points(), batch_size=20, epochs=1, verbose=0)
    z = np.ones((3, 3), np.float32)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.generate(z))
    for player in ("generator", "discriminator"):
        before, after = model.player_optimizer(player), loaded.player_optimizer(player)
        assert int(after.iterations) == int(before.iterations) > 0
        for a, b in zip(before.variables, after.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"{player}: {a.path}")
    assert loaded.loss_name == "wasserstein_gp" and loaded.n_critic == 5
    np.testing.assert_array_equal(loaded.sample(4).numpy(), model.sample(4).numpy())
    testing.assert_config_round_trip(model)


def test_saved_model_signatures_load_and_agree_without_kgen(tmp_path):
    model = toy_gan(ema_decay=0.5)
    z = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"z": z}, "generate": {"z": z},
        "sample": {"num_samples": np.int32(5)}})
    np.testing.assert_allclose(served["generate"]["x"], model.generate(z).numpy(), rtol=1e-5)
    assert served["sample"]["x"].shape == (5, 2)


def test_a_two_replica_step_with_five_critic_steps_and_the_penalty_equals_one_device():
    # 20 examples: 10 per replica, 2 per critic step and replica (the strided chunks of
    # the replicas together are the 1-device chunks).
    result = testing.assert_replica_step_matches(
        "tests.models.gan.test_gan_model:replica_gan", _points(20),
        compile_fn="tests.models.gan.test_gan_model:sgd_per_player", method="fit",
        normal_value=1.0, rtol=1e-5, atol=1e-7)
    assert result["logs"]["single"]["grad_penalty"] > 0


def test_every_traced_step_takes_the_eager_step():
    # The critic's D(x) is not needed by the Wasserstein gradient, so only the update's
    # control dependency on the loss keeps its read before the update: without it,
    # Grappler dropped the order and about one traced step in three read updated
    # weights (a 5e-3 relative error in the step; design notes, section 16).
    class Fixed(testing.ZeroNoise, GAN):
        NORMAL_VALUE = 1.0

    model = Fixed(*(lambda g: (g.generator, g.discriminator))(replica_gan()),
                  loss="wasserstein_gp", n_critic=5, seed=0)
    sgd_per_player(model)
    x = tf.constant(_points(20))
    initial = [w.numpy() for w in model.weights]

    def step(run):
        for v, w in zip(model.weights, initial):
            v.assign(w)
        run(x)
        return [v.numpy() - w for v, w in zip(model.weights, initial)]

    eager = step(model.train_step)
    for _ in range(10):  # a fresh trace each time: the race showed on first runs
        for d, e in zip(step(tf.function(model.train_step)), eager):
            np.testing.assert_allclose(d, e, rtol=0, atol=1e-5 * max(np.abs(e).max(), 1e-3))


def test_jit_compiled_fit_trains_with_the_penalty_and_clipping():
    for loss in ("wasserstein_gp", "wasserstein"):
        model = _compiled(toy_gan(loss=loss, n_critic=2, ema_decay=0.9), jit_compile=True)
        history = model.fit(_points(), batch_size=20, epochs=2, verbose=0).history
        assert all(np.isfinite(v).all() for v in history.values())
        assert int(model.discriminator_optimizer.iterations) == 8


def test_bad_input_raises_naming_the_argument():
    g, d = kgen.networks.mlp_generator(3, 2), kgen.networks.mlp_discriminator(2)
    testing.assert_raises_naming(ValueError, "loss", GAN, g, d, loss="wgan")
    testing.assert_raises_naming(ValueError, "n_critic", GAN, g, d, n_critic=0)
    testing.assert_raises_naming(ValueError, "latent_dim", GAN, g, d, latent_dim=4)
    testing.assert_raises_naming(ValueError, "discriminator", GAN, g,
                                 kgen.networks.mlp_discriminator(3))
    testing.assert_raises_naming(ValueError, "discriminator", GAN,
                                 kgen.networks.dcgan_generator(4, (28, 28, 1), 4),
                                 kgen.networks.dcgan_discriminator((28, 28, 1), "batch", 4),
                                 loss="wasserstein_gp")
    testing.assert_raises_naming(TypeError, "generator", GAN, "dcgan", d)
    testing.assert_raises_naming(ValueError, "ema_decay", GAN, g, d, ema_decay=1.0)
    testing.assert_raises_naming(ValueError, "data_range", GAN, g, d, data_range=(1, -1))
    model = GAN(kgen.networks.dcgan_generator(4, (28, 28, 1), 4),
                kgen.networks.dcgan_discriminator((28, 28, 1), "layer", 4), n_critic=2)
    _compiled(model)
    testing.assert_raises_naming(ValueError, "z", model.generate, np.zeros((2, 5)))
    testing.assert_raises_naming(ValueError, "num_samples", model.sample, 0)
    testing.assert_raises_naming(ValueError, "truncation", model.sample, 2, truncation=0.0)
    testing.assert_raises_naming(ValueError, "ema", model.sample, 2, ema=True)
    images = np.full((4, 28, 28, 1), 255.0, np.float32)  # [0, 255], not tanh's [-1, 1]
    before = [w.copy() for w in model.get_weights()]
    testing.assert_raises_naming(ValueError, "x", model.fit, images, batch_size=4, verbose=0)
    testing.assert_raises_naming(ValueError, "x", model.fit, images[:1] * 0, batch_size=1,
                                 verbose=0)  # fewer examples than critic steps
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(TypeError, match="unconditional"):
        model.sample(2, labels=[0, 1])
