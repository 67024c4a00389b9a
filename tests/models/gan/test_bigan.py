"""BiGAN / ALI: the two players' losses by hand, which step moves which network, encode,
decode and reconstruct, an XLA fit, round trips with encode / decode / reconstruct served,
presets, bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import testing
from kgen.models.gan import BiGAN
from kgen.models.gan.bigan import joint_losses


def toy(loss="non_saturating", n_critic=1, ema_decay=None, seed=0, hidden=(16,), **kwargs):
    return BiGAN(kgen.networks.mlp_generator(2, 2, hidden, seed=seed),
                 kgen.networks.mlp_gan_encoder(2, 2, hidden, seed=seed + 1),
                 kgen.networks.mlp_joint_discriminator(2, 2, hidden, seed=seed + 2),
                 loss=loss, n_critic=n_critic, ema_decay=ema_decay, seed=seed, **kwargs)


def _compiled(model, optimizer=keras.optimizers.Adam, lr=1e-3, **kwargs):
    model.compile(optimizer={"generator": optimizer(lr), "discriminator": optimizer(lr)},
                  **kwargs)
    return model


def _points(n=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32)


def test_joint_losses_are_the_papers_cross_entropies():
    real, fake = np.array([1.5, -0.5, 0.0]), np.array([-2.0, 0.3, 4.0])
    p_real, p_fake = 1 / (1 + np.exp(-real)), 1 / (1 + np.exp(-fake))
    d_loss, ge_loss = joint_losses(tf.constant(real), tf.constant(fake))
    # D: -log D(x, E(x)) - log(1 - D(G(z), z)); G and E, labels inverted.
    np.testing.assert_allclose(d_loss, -np.log(p_real) - np.log(1 - p_fake), rtol=1e-6)
    np.testing.assert_allclose(ge_loss, -np.log(p_fake) - np.log(1 - p_real), rtol=1e-6)
    _, minimax = joint_losses(tf.constant(real), tf.constant(fake), "minimax")
    np.testing.assert_allclose(minimax, np.log(p_real) + np.log(1 - p_fake), rtol=1e-6)


def test_the_critic_step_moves_d_only_and_the_other_step_moves_g_and_e():
    model = _compiled(toy(n_critic=2), optimizer=keras.optimizers.SGD, lr=0.1)
    x = tf.constant(_points(20))
    nets = {"generator": model.generator, "encoder": model.encoder,
            "discriminator": model.discriminator}
    assert len(model.player_variables("generator")) == 8  # G's and E's kernels and biases
    # The gradients of G and E's loss reach every weight of both networks.
    with tf.GradientTape() as tape:
        g_loss = tf.reduce_mean(model.joint_terms(x, model.noise(20, seed=0))["g_loss"])
    grads = tape.gradient(g_loss, model.player_variables("generator"))
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)
    before = {k: [w.copy() for w in n.get_weights()] for k, n in nets.items()}
    model._joint_critic_step(x)
    moved = {k: any(not np.array_equal(a, b) for a, b in zip(before[k], n.get_weights()))
             for k, n in nets.items()}
    assert moved == {"generator": False, "encoder": False, "discriminator": True}
    model.fit(_points(40), batch_size=20, epochs=1, verbose=0)  # 2 steps
    assert int(model.discriminator_optimizer.iterations) == 5  # 1 by hand + 2 x 2
    assert int(model.generator_optimizer.iterations) == 2
    for name in ("generator", "encoder"):
        assert all(not np.array_equal(a, b) for a, b in zip(before[name],
                                                            nets[name].get_weights())), name


def test_an_xla_fit_runs_and_encode_and_reconstruct_have_the_right_shapes():
    model = _compiled(toy(n_critic=2, ema_decay=0.9, hidden=(32, 32)), jit_compile=True,
                      steps_per_execution=4)
    history = model.fit(_points(160), batch_size=40, epochs=1, verbose=0).history
    assert set(history) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert 0 < history["d_real"][-1] < 1 and 0 < history["d_fake"][-1] < 1
    x = _points(7, seed=1)
    z = model.encode(x)
    assert z.shape == (7, 2)
    np.testing.assert_allclose(z.numpy(), model.encoder(x).numpy(), rtol=1e-6)
    assert model.reconstruct(x).shape == (7, 2)
    np.testing.assert_allclose(model.reconstruct(x, ema=False).numpy(),
                               model.generator(model.encoder(x)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(model.reconstruct(x).numpy(), model.generate(z).numpy(),
                               rtol=1e-6)  # the EMA generator
    logs = model.evaluate(_points(80), batch_size=40, verbose=0, return_dict=True)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}


def test_images_round_trip_through_the_dcgan_networks_in_safe_mode(tmp_path):
    shape = (28, 28, 1)
    model = _compiled(BiGAN(kgen.networks.dcgan_generator(4, shape, 4, seed=0),
                            kgen.networks.dcgan_encoder(shape, 4, "batch", 4, seed=1),
                            kgen.networks.dcgan_joint_discriminator(shape, 4, 4, 8, seed=2),
                            seed=0))
    x = np.random.default_rng(0).uniform(-1, 1, (4,) + shape).astype(np.float32)
    model.fit(x, batch_size=4, epochs=1, verbose=0)
    assert model.encode(x).shape == (4, 4) and model.reconstruct(x).shape == (4,) + shape
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.reconstruct(x))
    assert isinstance(loaded.encoder, keras.Model) and loaded.encoder.name == "encoder"
    assert loaded.loss_name == "non_saturating" and type(loaded) is BiGAN
    np.testing.assert_array_equal(loaded.encode(x).numpy(), model.encode(x).numpy())
    assert int(loaded.generator_optimizer.iterations) == 1
    # The generator player's optimizer holds the encoder's moments too.
    assert len(loaded.generator_optimizer.variables) == len(
        model.generator_optimizer.variables) > 2 * len(model.generator.trainable_variables)


def test_the_saved_model_serves_encode_decode_and_reconstruct_without_kgen(tmp_path):
    model = _compiled(toy(ema_decay=0.5))
    model.fit(_points(), batch_size=20, epochs=1, verbose=0)
    x = _points(5, seed=2)
    testing.assert_config_round_trip(model)
    z = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)
    served = testing.assert_saved_model_round_trip(model, tmp_path / "sm", {
        "serving_default": {"z": z}, "generate": {"z": z},
        "sample": {"num_samples": np.int32(3)}, "encode": {"x": x}, "decode": {"z": z},
        "reconstruct": {"x": x}})
    np.testing.assert_allclose(served["encode"]["z"], model.encode(x).numpy(), rtol=1e-5)
    np.testing.assert_allclose(served["reconstruct"]["x"], model.reconstruct(x).numpy(),
                               rtol=1e-5)
    # decode(z) is G(z) with the EMA weights, as generate.
    np.testing.assert_allclose(model.decode(z).numpy(), model.generate(z).numpy(), rtol=1e-6)
    np.testing.assert_allclose(served["decode"]["x"], model.decode(z).numpy(), rtol=1e-5)
    assert not np.allclose(model.decode(z, ema=False).numpy(), model.decode(z).numpy())


def test_presets_build_an_encoder_and_a_joint_discriminator():
    mlp = {"type": "mlp", "hidden_units": [8]}
    model = BiGAN.from_preset({"latent_dim": 3, "generator": mlp, "encoder": mlp,
                               "discriminator": mlp}, (2,), seed=0)
    assert model.encoder.output_shape == (None, 3)
    assert model.discriminator.input_shape == [(None, 2), (None, 3)]
    image = BiGAN.from_preset({"latent_dim": 8, "generator": {"base_filters": 4},
                               "encoder": {"base_filters": 4},
                               "discriminator": {"base_filters": 4, "hidden_units": 16}},
                              (28, 28, 1), seed=0)
    assert image.encoder.input_shape == (None, 28, 28, 1)
    testing.assert_raises_naming(ValueError, "model_args.encoder", BiGAN.from_preset,
                                 {"generator": mlp, "discriminator": mlp}, (2,))
    assert "bigan" in kgen.models.available()


def test_bad_input_raises_naming_the_argument():
    g, e = kgen.networks.mlp_generator(2, 2, (8,)), kgen.networks.mlp_gan_encoder(2, 2, (8,))
    d = kgen.networks.mlp_joint_discriminator(2, 2, (8,))
    testing.assert_raises_naming(ValueError, "loss", BiGAN, g, e, d, loss="wasserstein_gp")
    testing.assert_raises_naming(TypeError, "encoder", BiGAN, g, "mlp", d)
    testing.assert_raises_naming(ValueError, "encoder", BiGAN, g,
                                 kgen.networks.mlp_gan_encoder(2, 3, (8,)), d)
    testing.assert_raises_naming(ValueError, "discriminator", BiGAN, g, e,
                                 kgen.networks.mlp_discriminator(2, (8,)))
    testing.assert_raises_naming(ValueError, "discriminator", BiGAN, g, e,
                                 kgen.networks.mlp_joint_discriminator(2, 3, (8,)))
    testing.assert_raises_naming(ValueError, "n_critic", BiGAN, g, e, d, n_critic=0)
    model = BiGAN(kgen.networks.mlp_generator(2, 2, (8,), output_activation="tanh"), e, d)
    testing.assert_raises_naming(ValueError, "x", model.encode, np.zeros((2, 3)))
    testing.assert_raises_naming(ValueError, "x", model.encode, np.full((2, 2), 3.0))
    testing.assert_raises_naming(ValueError, "x", model.reconstruct, np.full((2, 2), np.nan))
    testing.assert_raises_naming(ValueError, "ema", model.reconstruct, np.zeros((2, 2)),
                                 ema=True)
    _compiled(model)
    before = [w.copy() for w in model.get_weights()]
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((4, 2), 3.0),
                                 batch_size=4, verbose=0)  # outside tanh's (-1, 1)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(TypeError, match="unconditional"):
        model.sample(2, labels=[0, 1])


def replica_bigan():
    """The replica test's model: the non-saturating loss on the joint (x, z), 2 critic
    steps."""
    return toy(n_critic=2)


def test_a_two_replica_step_equals_one_device():
    # 20 examples: 10 per replica, 5 per critic step and replica; the encoder is part of
    # the generator player, so its step is compared too.
    result = testing.assert_replica_step_matches(
        "tests.models.gan.test_bigan:replica_bigan", _points(20),
        compile_fn="kgen.testing.replicas:sgd_per_player", method="fit",
        normal_value=1.0, rtol=1e-4, atol=1e-6, every_weight_moves=False)
    model = replica_bigan()
    assert len(result["names"]) == len(model.weights) > len(model.generator.weights) + len(
        model.discriminator.weights)
