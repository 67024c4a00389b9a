"""ProgressiveGAN: the alpha schedule, exact fade-in ends, stage switches, the drift term,
saving, kill-and-resume, serving, the 2-replica step, the preset and bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import testing
from kgen.cli import presets
from kgen.models.gan import ProgressiveGAN
from kgen.models.gan.progressive_gan import progress_at
from kgen.networks import progressive_discriminator, progressive_generator
from tests.cli.test_cli import Interrupt  # a kill when an epoch begins

RES = (4, 8)


def toy(images_per_phase=16, resolutions=RES, ema_decay=None, seed=0, group_size=2):
    shape = (resolutions[-1], resolutions[-1], 1)
    filters = (4,) * len(resolutions)
    return ProgressiveGAN(
        progressive_generator(3, shape, resolutions, filters, seed=seed),
        progressive_discriminator(shape, resolutions, filters, group_size, seed=seed + 1),
        images_per_phase=images_per_phase, ema_decay=ema_decay, seed=seed)


def replica_progressive():
    """The replica test's model, halfway through stage 1's fade-in (every block in use)."""
    model = toy()
    model.set_progress(24)
    return model


def _compiled(model, lr=1e-3):
    model.compile(optimizer={"generator": keras.optimizers.Adam(lr),
                             "discriminator": keras.optimizers.Adam(2 * lr)})
    return model


def _images(n=16, size=8, seed=0):
    return np.tanh(np.random.default_rng(seed).normal(size=(n, size, size, 1))).astype("f4")


def _progress(n, stage, alpha):
    return tf.constant([[stage, alpha]] * n, tf.float32)


def test_alpha_goes_0_to_1_over_a_phase_and_is_exact_at_the_boundaries():
    expected = {0: (0, 1.0), 9: (0, 1.0), 10: (1, 0.0), 15: (1, 0.5), 20: (1, 1.0),
                29: (1, 1.0), 30: (2, 0.0), 34: (2, 0.4), 40: (2, 1.0), 10**6: (2, 1.0)}
    for images, (stage, alpha) in expected.items():
        s, a = progress_at(images, 10, 3)
        assert (int(s), float(a)) == (stage, pytest.approx(alpha, abs=1e-7)), images
        if alpha in (0.0, 1.0):
            assert float(a) == alpha
    assert [int(progress_at(n, 10, 1)[0]) for n in (0, 50)] == [0, 0]


def _perturbed(layer_or_model, fn):
    before = [w.copy() for w in layer_or_model.get_weights()]
    layer_or_model.set_weights([w + 1.0 for w in before])
    try:
        return fn()
    finally:
        layer_or_model.set_weights(before)


def test_at_alpha_0_the_new_block_has_no_effect_and_at_1_the_old_to_rgb_none():
    g = progressive_generator(3, (16, 16, 1), (4, 8, 16), (4, 4, 4), seed=0)
    d = progressive_discriminator((16, 16, 1), (4, 8, 16), (4, 4, 4), 2, seed=1)
    z, x = np.random.default_rng(0).normal(size=(4, 3)).astype("f4"), _images(4, 16)

    def gen(s, a):
        return g([z, _progress(4, s, a)]).numpy()

    def disc(s, a):
        return d([x, _progress(4, s, a)]).numpy()

    for s in (1, 2):
        start = gen(s, 0.0)
        np.testing.assert_array_equal(start, gen(s - 1, 1.0))  # a seamless switch
        for layer in (g.blocks[s], g.to_rgb[s]):
            np.testing.assert_array_equal(_perturbed(layer, lambda: gen(s, 0.0)), start)
        np.testing.assert_array_equal(
            _perturbed(g.to_rgb[s - 1], lambda: gen(s, 1.0)), gen(s, 1.0))
        assert not np.array_equal(_perturbed(g.to_rgb[s - 1], lambda: gen(s, 0.5)),
                                  gen(s, 0.5))
        for layer in (d.blocks[s], d.from_rgb[s]):
            np.testing.assert_array_equal(_perturbed(layer, lambda: disc(s, 0.0)),
                                          disc(s, 0.0))
        np.testing.assert_array_equal(
            _perturbed(d.from_rgb[s - 1], lambda: disc(s, 1.0)), disc(s, 1.0))
        assert not np.array_equal(_perturbed(d.blocks[s], lambda: disc(s, 0.5)),
                                  disc(s, 0.5))
    # Above the stage nothing counts; the image is the stage's, upsampled by 16 / 4.
    np.testing.assert_array_equal(_perturbed(g.blocks[2], lambda: gen(0, 1.0)), gen(0, 1.0))
    image = gen(0, 1.0)
    np.testing.assert_array_equal(image, np.repeat(np.repeat(image[:, ::4, ::4], 4, 1), 4, 2))


def test_fit_advances_the_stage_and_keeps_the_blocks_weights_across_the_switch():
    model = _compiled(toy(images_per_phase=16))
    later = [model.generator.blocks[1], model.generator.to_rgb[1], model.discriminator.blocks[1],
             model.discriminator.from_rgb[1]]
    initial = [[w.copy() for w in layer.get_weights()] for layer in later]
    block_0 = [w.copy() for w in model.generator.blocks[0].get_weights()]
    logs = model.fit(_images(24), batch_size=8, epochs=1, verbose=0).history
    # 3 steps: two at stage 0, the third at stage 1 with alpha = 0 (no gradient there).
    assert int(model.images_seen) == 24 and logs["stage"] == [1.0] and logs["alpha"] == [0.5]
    for layer, weights in zip(later, initial):
        for a, b in zip(layer.get_weights(), weights):
            np.testing.assert_array_equal(a, b, err_msg=layer.name)
    moved = model.generator.blocks[0].get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(moved, block_0) if a.size > 1)
    model.fit(_images(8), batch_size=8, epochs=1, verbose=0)  # at alpha 0.5: they learn
    assert not np.array_equal(model.generator.to_rgb[1].get_weights()[0], initial[1][0])
    assert (int(model.stage), float(model.alpha)) == (1, 1.0)


def test_the_drift_term_is_drift_weight_times_d_real_squared():
    model = toy()
    real, fake = _images(8), _images(8, seed=1)
    terms = model.discriminator_terms(real, fake)
    without = ProgressiveGAN(model.generator, model.discriminator, images_per_phase=16,
                             drift_weight=0.0, seed=0).discriminator_terms(real, fake)
    np.testing.assert_allclose(terms["drift"], np.square(terms["d_real"]), rtol=1e-6)
    delta = terms["d_loss"] - without["d_loss"] - 10.0 * (terms["grad_penalty"]
                                                          - without["grad_penalty"])
    np.testing.assert_allclose(delta, 1e-3 * terms["drift"], rtol=1e-3, atol=1e-6)


def test_samples_are_full_size_images_in_the_data_range_at_every_stage():
    model = toy()
    for images_seen in (0, 24, 100):
        model.set_progress(images_seen)
        x = model.sample(5, seed=0).numpy()
        assert x.shape == (5, 8, 8, 1) and x.min() >= -1 and x.max() <= 1
    model.set_progress(0)
    x = model.sample(5, seed=0).numpy()
    np.testing.assert_array_equal(x, np.repeat(np.repeat(x[:, ::2, ::2], 2, 1), 2, 2))


def test_keras_round_trip_keeps_stage_alpha_images_seen_and_optimizers(tmp_path):
    model = _compiled(toy(ema_decay=0.9))
    model.fit(_images(24), batch_size=8, epochs=1, verbose=0)
    z = np.ones((3, 3), np.float32)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.generate(z))
    assert (int(loaded.images_seen), int(loaded.stage), float(loaded.alpha)) == (24, 1, 0.5)
    for player in ("generator", "discriminator"):
        before, after = model.player_optimizer(player), loaded.player_optimizer(player)
        assert int(after.iterations) == int(before.iterations) == 3
        for a, b in zip(before.variables, after.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"{player}: {a.path}")
    assert loaded.resolutions == RES and loaded.images_per_phase == 16
    testing.assert_config_round_trip(model)


def _dataset():
    return tf.data.Dataset.from_tensor_slices(_images(32)).batch(8)


def _state(model):
    return ([np.array(w) for w in model.weights]
            + [np.array(v) for o in model.optimizers_by_name().values() for v in o.variables]
            + [np.array(model.seed_generator.state)])


def test_kill_and_resume_continues_exactly_through_the_stage_switch(tmp_path):
    def fresh():
        return _compiled(toy(images_per_phase=40, ema_decay=0.9))

    uninterrupted = fresh()
    curve = uninterrupted.fit(_dataset(), epochs=3, verbose=0).history
    assert curve["stage"] == [0.0, 1.0, 1.0]  # 32, 64, 96 images: the fade runs 40 to 80

    killed = fresh()
    backup = str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        killed.fit(_dataset(), epochs=3, verbose=0, callbacks=[
            keras.callbacks.BackupAndRestore(backup), Interrupt(at=1)])
    resumed = fresh()  # as a new process would build it
    rest = resumed.fit(_dataset(), epochs=3, verbose=0, callbacks=[
        keras.callbacks.BackupAndRestore(backup)]).history
    assert len(rest["d_loss"]) == 2
    for name in ("d_loss", "g_loss", "grad_penalty", "drift", "stage", "alpha"):
        np.testing.assert_allclose(rest[name], curve[name][1:], rtol=1e-6, err_msg=name)
    for a, b in zip(_state(uninterrupted), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_saved_model_signatures_serve_the_current_stage_without_kgen(tmp_path):
    model = toy(ema_decay=0.5)
    model.set_progress(24)
    z = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"z": z}, "generate": {"z": z},
        "sample": {"num_samples": np.int32(3)}})
    np.testing.assert_allclose(served["generate"]["x"], model.generate(z).numpy(), rtol=1e-5,
                               atol=1e-6)
    assert served["sample"]["x"].shape == (3, 8, 8, 1)


def test_a_two_replica_step_mid_fade_equals_one_device():
    # 8 examples, 4 per replica: two MinibatchStdDev groups of 2 on each, the same groups
    # as on one device; one critic step (the GP with 5 critic steps is not bit-stable).
    result = testing.assert_replica_step_matches(
        "tests.models.gan.test_progressive_gan:replica_progressive", _images(8),
        compile_fn="kgen.testing.replicas:sgd_per_player", method="fit",
        normal_value=1.0, every_weight_moves=False)
    # Every trainable weight moves, but perhaps the critic's output bias, which only the
    # drift term reaches (2e-3 * D(x) per unit of learning rate): too small to compare.
    still = [name for name, trainable, a, b in zip(result["names"], result["trainable"],
                                                    result["initial"], result["single"])
             if trainable and np.abs(b - a).max() <= 1e-4]
    assert len(still) <= 1 and all(name.endswith("bias") for name in still), still
    assert result["logs"]["single"]["grad_penalty"] > 0


def test_the_preset_builds_the_progressive_gan():
    config = presets.resolve("progressive_gan_fashion_mnist", model="progressive_gan")
    model = presets.build_model(config, event_shape=(28, 28, 1))
    assert isinstance(model, ProgressiveGAN) and model.resolutions == (7, 14, 28)
    assert model.loss_name == "wasserstein_gp" and model.drift_weight == 1e-3
    assert model.gp_weight == 10.0 and model.generator.output_shape == (None, 28, 28, 1)
    assert config["evaluate"]["sample_metrics"]["num_samples"] == 10000


def test_bad_input_raises_naming_the_argument():
    shape = (8, 8, 1)
    g, d = progressive_generator(3, shape, RES, 4), progressive_discriminator(shape, RES, 4)
    testing.assert_raises_naming(ValueError, "resolutions", progressive_generator, 3, shape,
                                 (2, 4))  # does not reach 8
    testing.assert_raises_naming(ValueError, "resolutions", progressive_discriminator, shape,
                                 (3, 8))
    testing.assert_raises_naming(ValueError, "resolutions", ProgressiveGAN, g, d,
                                 resolutions=(2, 4))
    testing.assert_raises_naming(ValueError, "resolutions", ProgressiveGAN.from_preset,
                                 {"resolutions": [7, 14]}, (28, 28, 1))
    testing.assert_raises_naming(ValueError, "discriminator", ProgressiveGAN, g,
                                 progressive_discriminator(shape, (2, 4, 8), 4))
    testing.assert_raises_naming(TypeError, "generator", ProgressiveGAN,
                                 kgen.networks.dcgan_generator(3, shape, 4), d)
    testing.assert_raises_naming(ValueError, "loss", ProgressiveGAN, g, d,
                                 loss="non_saturating")
    testing.assert_raises_naming(ValueError, "images_per_phase", ProgressiveGAN, g, d,
                                 images_per_phase=0)
    testing.assert_raises_naming(ValueError, "drift_weight", ProgressiveGAN, g, d,
                                 drift_weight=-1.0)
    testing.assert_raises_naming(ValueError, "model_args.generator", ProgressiveGAN.from_preset,
                                 {"generator": {"units": 3}}, shape)
    model = _compiled(ProgressiveGAN(g, d, images_per_phase=8))
    before = [w.copy() for w in model.get_weights()]
    testing.assert_raises_naming(ValueError, "x", model.fit, _images(4) * 255, batch_size=4,
                                 verbose=0)
    testing.assert_raises_naming(ValueError, "x", model.fit, _images(4, size=16),
                                 batch_size=4, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
