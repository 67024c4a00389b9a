"""CycleGAN: the losses against their formulas, the history buffer, the four players,
saving and resuming, serving, the 2-replica step, the networks, bad input and a real-data
smoke run (8x8 UCI digits upsampled <-> MNIST)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import testing
from kgen.data import unpaired
from kgen.models.gan import CycleGAN, _history
from tests.cli.test_cli import Interrupt  # a kill when an epoch begins

SHAPE = (8, 8, 1)


def tiny_networks(shape=SHAPE, seed=0):
    """Small networks of the kinds of ``kgen.networks.cyclegan`` (instance norm in G,
    a patch map out of D), few layers so that the steps trace fast."""
    def init(i):
        return keras.initializers.RandomNormal(0.0, 0.3, seed=seed + i)

    def generator(name, i):
        return keras.Sequential([
            keras.Input(shape), keras.layers.Conv2D(3, 3, padding="same", use_bias=False,
                                                    kernel_initializer=init(i)),
            keras.layers.GroupNormalization(groups=-1), keras.layers.ReLU(),
            keras.layers.Conv2D(shape[-1], 3, padding="same", activation="tanh",
                                kernel_initializer=init(i + 1))], name=name)

    def discriminator(name, i):
        return keras.Sequential([
            keras.Input(shape), keras.layers.Conv2D(3, 4, strides=2, padding="same",
                                                    kernel_initializer=init(i)),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(1, 3, padding="same", kernel_initializer=init(i + 1))],
            name=name)

    return dict(generator_xy=generator("generator_xy", 0),
                generator_yx=generator("generator_yx", 2),
                discriminator_x=discriminator("discriminator_x", 4),
                discriminator_y=discriminator("discriminator_y", 6))


def tiny_cyclegan(history_size=3, identity_weight=5.0, seed=0):
    return CycleGAN(**tiny_networks(seed=seed), history_size=history_size,
                    identity_weight=identity_weight, seed=seed)


class SwappingNoise(testing.ZeroNoise, CycleGAN):
    """Every uniform draw is 0.75: a full buffer always swaps, into slot floor(0.75 n)."""

    UNIFORM_VALUE = 0.75


def replica_cyclegan():
    """The replica test's model: a 3-image buffer that 4 images overfill, so that the
    second replica's images are swapped for one the first replica's step stored."""
    return SwappingNoise(**tiny_networks(), history_size=3, identity_weight=5.0, seed=0)


def sgd_per_player(model):
    model.compile(optimizer={p: keras.optimizers.SGD(0.1) for p in model.players})


def _compiled(model, optimizer=lambda: keras.optimizers.Adam(1e-3)):
    model.compile(optimizer={p: optimizer() for p in model.players})
    return model


def _images(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + SHAPE).astype(np.float32)


def _pairs(n=16, batch=4):
    return tf.data.Dataset.from_tensor_slices((_images(n, 1), _images(n, 2))).batch(batch)


def _state(model):
    return ([np.array(w) for w in model.weights]
            + [np.array(v) for o in model.optimizers_by_name().values() for v in o.variables]
            + [np.array(model.seed_generator.state)])


def _fixed(scale=1.0, offset=0.0, shape=(2, 2, 1), name=None):
    """A network without weights: ``scale * x + offset``."""
    return keras.Sequential([keras.Input(shape), keras.layers.Rescaling(scale, offset)],
                            name=name)


def test_the_losses_equal_their_formulas_on_fixed_networks():
    # G(x) = x / 2, F(y) = y + 1/4, D_X = 0.3 x + 0.1, D_Y = -0.2 y + 0.4 (patch maps).
    model = CycleGAN(_fixed(0.5, name="g"), _fixed(1.0, 0.25, name="f"),
                     _fixed(0.3, 0.1, name="dx"), _fixed(-0.2, 0.4, name="dy"),
                     cycle_weight=10.0, identity_weight=3.0, data_range=(-1, 1))
    rng = np.random.default_rng(0)
    x, y = (rng.uniform(-1, 1, (5, 2, 2, 1)).astype(np.float32) for _ in range(2))
    t = {k: v.numpy() for k, v in model.generator_terms(x, y).items()}
    per = lambda a: a.reshape(len(a), -1).mean(axis=1)  # noqa: E731
    np.testing.assert_allclose(t["cycle_loss"], per(np.abs(0.25 - 0.5 * x))
                               + per(np.abs(0.125 - 0.5 * y)), rtol=1e-6)
    np.testing.assert_allclose(t["identity_loss"], per(np.abs(0.5 * y - y)) + 0.25, rtol=1e-6)
    adv_g = per(-0.2 * (0.5 * x) + 0.4)          # D_Y(G(x)), averaged over the map
    adv_f = per(0.3 * (y + 0.25) + 0.1)          # D_X(F(y))
    np.testing.assert_allclose(t["generator_xy_loss"], (adv_g - 1) ** 2, rtol=1e-6)
    np.testing.assert_allclose(t["generator_yx_loss"], (adv_f - 1) ** 2, rtol=1e-6)
    np.testing.assert_allclose(t["g_loss"], (adv_g - 1) ** 2 + (adv_f - 1) ** 2
                               + 10.0 * t["cycle_loss"] + 3.0 * t["identity_loss"], rtol=1e-6)
    d = {k: v.numpy() for k, v in model.discriminator_terms(x, y, t["fake_x"],
                                                             t["fake_y"]).items()}
    np.testing.assert_allclose(d["discriminator_x_loss"], 0.5 * (per(0.3 * x + 0.1) - 1) ** 2
                               + 0.5 * adv_f ** 2, rtol=1e-6)
    np.testing.assert_allclose(d["d_y_real"], per(-0.2 * y + 0.4), rtol=1e-6)


def test_the_history_buffer_fills_first_then_swaps_half_the_time_image_by_image():
    images = np.arange(1, 7, dtype=np.float32)[:, None] * np.ones((6, 2), np.float32)
    swap = np.array([0.9, 0.9, 0.9, 0.9, 0.2, 0.7], np.float32)
    index = np.array([0.0, 0.0, 0.0, 0.1, 0.9, 0.0], np.float32)
    returned, buffer, count = _history.query(tf.zeros((3, 2)), tf.constant(0), images,
                                             swap, index)
    # 1-3 fill the buffer and pass; 4 swaps with slot 0 (gets 1); 5 keeps itself (0.2);
    # 6 swaps with slot 0 again and gets 4, stored by the same batch.
    np.testing.assert_array_equal(returned.numpy()[:, 0], [1, 2, 3, 1, 5, 4])
    np.testing.assert_array_equal(buffer.numpy()[:, 0], [6, 2, 3])
    assert int(count) == 3


def test_the_models_buffer_is_state_and_its_draws_are_the_models_noise():
    model = SwappingNoise(**tiny_networks(), history_size=3)
    a, b = _images(2, 0), _images(2, 1)
    np.testing.assert_array_equal(model.buffered("y", a).numpy(), a)  # filling: pass
    # b[0] fills slot 2; b[1] finds the buffer full, swaps slot floor(0.75 * 3) = 2.
    np.testing.assert_array_equal(model.buffered("y", b).numpy(), b[[0, 0]])
    buffer, count = model.buffers["y"]
    np.testing.assert_array_equal(buffer.numpy(), np.concatenate([a, b[1:]]))
    assert int(count) == 3 and int(model.buffers["x"][1]) == 0
    assert model.state_names == ("history_x", "history_x_count", "history_y",
                                 "history_y_count")
    # Unfixed, the draws come from the seed generator: seeded, and it moves on.
    seeded = [tiny_cyclegan(seed=5) for _ in range(2)]
    outs = []
    for m in seeded:
        for k in range(3):
            out = m.buffered("x", _images(2, k))
        outs.append(out.numpy())
    np.testing.assert_array_equal(*outs)
    assert int(seeded[0].seed_generator.state.numpy()[0]) > 0


@pytest.fixture(scope="module")
def trained():
    """A tiny CycleGAN after one epoch of 2 steps, its networks' weights before, and the
    epoch's logs."""
    model = _compiled(tiny_cyclegan())
    before = {p: [w.copy() for w in getattr(model, p).get_weights()] for p in model.players}
    history = model.fit(_pairs(8), epochs=1, verbose=0).history
    return model, before, history


def test_each_step_updates_all_four_players_once(trained):
    model, before, history = trained
    for player in model.players:
        assert int(model.player_optimizer(player).iterations) == 2, player
        after = getattr(model, player).get_weights()
        assert all(not np.array_equal(a, b) for a, b in zip(before[player], after)), player
    assert model.optimizer is model.generator_xy_optimizer
    assert {"generator_xy_loss", "generator_yx_loss", "discriminator_x_loss",
            "discriminator_y_loss", "cycle_loss", "identity_loss", "g_loss", "d_x_real",
            "d_x_fake", "d_y_real", "d_y_fake", "discriminator_y_learning_rate"} <= set(history)
    assert int(model.buffers["y"][1]) == 3
    assert "identity_loss" not in {m.name for m in tiny_cyclegan(identity_weight=0).metrics}
    logs = model.evaluate(_pairs(8), verbose=0, return_dict=True)
    assert np.isfinite(logs["cycle_loss"]) and int(model.buffers["y"][1]) == 3


def test_keras_round_trip_keeps_the_four_optimizers_and_the_buffers(trained, tmp_path):
    model = trained[0]
    x = _images(3, 7)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.translate_x_to_y(x))
    for a, b in zip(_state(model), _state(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.generator_yx_optimizer.iterations) == 2
    assert int(loaded.buffers["x"][1]) == 3 and loaded.history_size == 3
    np.testing.assert_array_equal(loaded.reconstruct_y(x), model.reconstruct_y(x))
    testing.assert_config_round_trip(model)


def test_kill_and_resume_continues_the_uninterrupted_run(tmp_path):
    def compiled():
        keras.utils.set_random_seed(0)
        return _compiled(tiny_cyclegan(seed=0))

    uninterrupted = compiled()
    curve = uninterrupted.fit(_pairs(), epochs=3, verbose=0).history
    killed = compiled()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        killed.fit(_pairs(), epochs=3, verbose=0, callbacks=[backup, Interrupt(at=2)])
    resumed = compiled()  # as a new process would build it
    rest = resumed.fit(_pairs(), epochs=3, verbose=0, callbacks=[
        keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))]).history
    assert len(rest["g_loss"]) == 1  # epoch 3 only
    for name in ("g_loss", "cycle_loss", "discriminator_x_loss", "d_y_fake"):
        np.testing.assert_allclose(rest[name], curve[name][2:], rtol=1e-6, err_msg=name)
    # The four networks, their optimizers, both buffers and the noise position.
    for a, b in zip(_state(uninterrupted), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_saved_model_translates_both_ways_without_kgen(tmp_path):
    model = tiny_cyclegan()
    x, y = _images(4, 3), _images(5, 4)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "translate_x_to_y": {"x": x},
        "translate_y_to_x": {"y": y}})
    np.testing.assert_allclose(served["translate_y_to_x"]["x"],
                               model.translate_y_to_x(y).numpy(), rtol=1e-5, atol=1e-6)
    assert served["serving_default"]["y"].shape == (4,) + SHAPE


def test_a_two_replica_step_equals_one_device_buffer_included():
    result = testing.assert_replica_step_matches(
        "tests.models.gan.test_cyclegan:replica_cyclegan", (_images(4, 0), _images(4, 1)),
        compile_fn="tests.models.gan.test_cyclegan:sgd_per_player", method="fit",
        rtol=1e-4, atol=1e-6)  # measured: 1.7e-6 of the step (2 runs); replica-local
    # buffers instead differ by 70 % of the buffers' step and 20 % of D's.
    # The buffers are among the compared weights: filled by images 1-3 of the global
    # batch, then the 4th (the second replica's second) swapped into slot 2, whose
    # image (the second replica's first) both replicas' D_Y then saw twice.
    counts = [int(w) for n, w in zip(result["names"], result["mirrored"])
              if n.endswith("_count")]
    assert counts == [3, 3]


def test_sample_is_not_offered_and_the_model_is_registered():
    model = tiny_cyclegan()
    with pytest.raises(NotImplementedError, match="translate_x_to_y"):
        model.sample(4)
    assert kgen.models.get("cyclegan") is CycleGAN
    assert model.data_range == (-1.0, 1.0) and model.event_shape == SHAPE


def test_from_preset_builds_the_networks_from_specs():
    args = {"generator": {"base_filters": 4, "residual_blocks": 2},
            "discriminator": {"base_filters": 4}, "history_size": 7, "cycle_weight": 5.0}
    model = CycleGAN.from_preset(args, SHAPE, seed=0)
    assert model.history_size == 7 and model.cycle_weight == 5.0
    assert model.generator_yx.name == "generator_yx"
    assert not np.array_equal(model.generator_xy.get_weights()[0],
                              model.generator_yx.get_weights()[0])
    testing.assert_raises_naming(ValueError, "model_args.generator", CycleGAN.from_preset,
                                 {"generator": {"filters": 4}}, SHAPE)


def test_the_networks_are_sized_for_28x28_with_instance_norm():
    g = kgen.networks.cyclegan_generator()
    d = kgen.networks.patchgan_discriminator()
    assert g.output_shape == (None, 28, 28, 1) and d.output_shape == (None, 7, 7, 1)
    norms = [la for la in g.layers if isinstance(la, keras.layers.GroupNormalization)]
    assert norms and all(la.groups == la.input.shape[-1] for la in norms)  # per channel
    for net in (g, d):  # no bias that an instance norm would cancel
        for i, layer in enumerate(net.layers[:-1]):
            if isinstance(net.layers[i + 1], keras.layers.GroupNormalization):
                assert not layer.use_bias, layer.name
    out = g(np.ones((2, 28, 28, 1), np.float32)).numpy()
    assert np.abs(out).max() <= 1.0
    testing.assert_raises_naming(ValueError, "image_shape", kgen.networks.cyclegan_generator,
                                 (30, 30, 1))


def test_bad_input_raises_naming_the_argument():
    nets = tiny_networks()
    wide = tiny_networks(shape=(8, 8, 3))
    for arg in ("generator_yx", "discriminator_y", "discriminator_x"):
        testing.assert_raises_naming(ValueError, arg, CycleGAN, **{**nets, arg: wide[arg]})
    other_out = kgen.networks.cyclegan_generator(SHAPE, output_channels=3, base_filters=2,
                                                 residual_blocks=0)
    testing.assert_raises_naming(ValueError, "generator_yx", CycleGAN,  # Y has 3 channels
                                 **{**nets, "generator_xy": other_out})
    message = testing.assert_raises_naming(ValueError, "cycle_weight", CycleGAN, **nets,
                                           cycle_weight=-1.0)
    assert "cycle_weight=-1.0" in message
    message = testing.assert_raises_naming(ValueError, "history_size", CycleGAN, **nets,
                                           history_size=-1)
    assert "history_size=-1" in message
    testing.assert_raises_naming(ValueError, "identity_weight", CycleGAN, **nets,
                                 identity_weight=-0.5)
    testing.assert_raises_naming(TypeError, "discriminator_x", CycleGAN,
                                 **{**nets, "discriminator_x": "patchgan"})
    model = _compiled(CycleGAN(**nets, history_size=0))
    assert model.state_names == ()
    testing.assert_raises_naming(ValueError, "x", model.translate_x_to_y, _images(2, 0) * 3)
    testing.assert_raises_naming(ValueError, "y", model.translate_y_to_x, np.zeros((2, 4, 4, 1)))
    testing.assert_raises_naming(ValueError, "y", model.fit, _images(4, 0), verbose=0)
    testing.assert_raises_naming(ValueError, "x", model.fit, _images(4, 0), _images(3, 1),
                                 verbose=0)
    unpaired_only = tf.data.Dataset.from_tensor_slices(_images(4, 0)).batch(2)
    testing.assert_raises_naming(ValueError, "x", model.fit, unpaired_only, verbose=0)
    assert int(model.generator_xy_optimizer.iterations) == 0


def test_a_few_steps_on_upsampled_uci_digits_and_mnist_stay_finite():
    x, x_labels = unpaired.upsampled_digits()
    y, _ = unpaired.mnist_digits()
    assert x.shape == (1797, 28, 28, 1) and y.shape == (10000, 28, 28, 1)
    assert x.min() >= 0 and x.max() <= 1 and set(np.unique(x_labels)) == set(range(10))
    ds = unpaired.unpaired_dataset(x, y, batch_size=4, seed=0, steps_per_epoch=3)
    bx, by = next(iter(ds))
    assert bx.shape == by.shape == (4, 28, 28, 1) and bx.numpy().min() >= -1
    nets = {name: kgen.networks.cyclegan_generator(base_filters=4, residual_blocks=1, name=name)
            if name.startswith("generator") else
            kgen.networks.patchgan_discriminator(base_filters=4, name=name)
            for name in CycleGAN.players}
    model = _compiled(CycleGAN(**nets, history_size=50, seed=0))
    history = model.fit(ds, epochs=1, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())
    assert np.isfinite(model.translate_x_to_y(bx).numpy()).all()
