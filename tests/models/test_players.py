"""The base's multi-optimizer plumbing and declared training state, on a two-player toy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import callbacks as kcallbacks
from kgen import testing
from tests.cli.test_cli import Interrupt  # a kill when an epoch begins
from tests.models import two_player


def _compiled(seed=3, **kwargs):
    keras.utils.set_random_seed(seed)  # the same initial weights each time
    model = two_player.TwoPlayer(seed=seed)
    model.compile(optimizer={"generator": keras.optimizers.Adam(1e-2),
                             "discriminator": keras.optimizers.Adam(3e-2)}, **kwargs)
    return model


def _dataset():
    return tf.data.Dataset.from_tensor_slices(two_player.data()).batch(16)


def _state(model):
    return ([np.array(w) for w in model.weights]
            + [np.array(v) for o in model.optimizers_by_name().values() for v in o.variables]
            + [np.array(model.seed_generator.state)])


def test_each_player_has_its_own_built_optimizer():
    model = _compiled()
    generator, discriminator = (model.player_optimizer(p) for p in model.players)
    assert generator is model.optimizer and discriminator is not generator
    assert generator.built and discriminator.built  # built at compile: the model is built
    before = [np.array(w) for w in model.discriminator.weights]
    model.fit(_dataset(), epochs=1, verbose=0)
    assert int(discriminator.iterations) == int(generator.iterations) == 4
    assert any(not np.allclose(a, np.array(b)) for a, b in zip(before, model.discriminator.weights))


def test_fit_logs_every_players_learning_rate():
    history = _compiled().fit(_dataset(), epochs=2, verbose=0).history
    np.testing.assert_allclose(history["generator_learning_rate"], [1e-2, 1e-2])
    np.testing.assert_allclose(history["discriminator_learning_rate"], [3e-2, 3e-2])
    assert {"d_loss", "g_loss"} <= set(history)


def test_declared_state_is_updated_and_listed():
    model = _compiled()
    assert model.state_names == ("generator_ema", "steps_taken")
    model.fit(_dataset(), epochs=2, verbose=0)
    assert int(model.steps_taken) == 8
    assert not np.allclose(np.array(model.ema), 0.0)
    assert all(id(v) not in {id(t) for t in model.trainable_variables}
               for v in (model.ema, model.steps_taken))


def test_kill_and_resume_equals_the_uninterrupted_run(tmp_path):
    uninterrupted = _compiled()
    uninterrupted.fit(_dataset(), epochs=3, verbose=0)

    killed = _compiled()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        killed.fit(_dataset(), epochs=3, verbose=0, callbacks=[backup, Interrupt(at=2)])
    resumed = _compiled()  # a new process would build the model afresh
    resumed.fit(_dataset(), epochs=3, verbose=0,
                callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    for a, b in zip(_state(uninterrupted), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(resumed.steps_taken) == 12
    # Without the backup of the second optimizer, the resumed run would differ.
    assert int(resumed.player_optimizer("discriminator").iterations) == 12


def test_keras_file_keeps_both_optimizers_and_the_state(tmp_path):
    model = _compiled()
    model.fit(_dataset(), epochs=1, verbose=0)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.sample(5, seed=1))
    for a, b in zip(_state(model), _state(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.player_optimizer("discriminator").learning_rate.numpy() == pytest.approx(3e-2)
    # The loaded model trains on as the original does.
    model.fit(_dataset(), epochs=1, verbose=0)
    loaded.fit(_dataset(), epochs=1, verbose=0)
    for a, b in zip(_state(model), _state(loaded), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_an_uncompiled_two_player_model_saves_and_loads_uncompiled(tmp_path):
    model = two_player.TwoPlayer(seed=0)
    model.sample(2)  # built, never compiled
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.sample(3, seed=1))
    assert not loaded.compiled and loaded.optimizers_by_name() == {}


def test_nan_guard_restores_every_optimizer():
    model = _compiled()
    model.fit(_dataset(), epochs=1, verbose=0)
    good = _state(model)
    guard = kcallbacks.NaNGuard()

    class Poison(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                for optimizer in self.model.optimizers_by_name().values():
                    optimizer.variables[-1].assign(tf.fill(optimizer.variables[-1].shape,
                                                           np.nan))
                logs["d_loss"] = float("nan")

    model.fit(_dataset(), epochs=2, verbose=0, callbacks=[Poison(), guard])
    assert guard.stopped_at == (0, 1)
    for a, b in zip(good, _state(model)[:len(good) - 1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer, missing", [
    ({"generator": "adam"}, "discriminator"),
    ({"generator": "adam", "discriminator": "adam", "encoder": "adam"}, "encoder"),
    ("adam", "player"),
])
def test_a_missing_or_unknown_players_optimizer_is_named(optimizer, missing):
    model = two_player.TwoPlayer(seed=0)
    message = testing.assert_raises_naming(ValueError, "optimizer", model.compile,
                                           optimizer=optimizer)
    assert missing in message
    assert getattr(model, "optimizer", None) is None  # nothing was compiled


def test_one_optimizer_for_two_players_is_refused():
    shared = keras.optimizers.Adam()
    testing.assert_raises_naming(ValueError, "optimizer", two_player.TwoPlayer(seed=0).compile,
                                 optimizer={"generator": shared, "discriminator": shared})


def test_a_one_loss_model_refuses_a_dict_of_optimizers():
    from kgen.models.vae import VAE

    model = VAE(event_shape=(4,), latent_dim=2, seed=0)
    testing.assert_raises_naming(ValueError, "optimizer", model.compile,
                                 optimizer={"generator": "adam"})


def test_an_xla_step_of_both_players_equals_the_eager_step():
    class Fixed(testing.ZeroNoise, two_player.TwoPlayer):
        pass

    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(3)
        model = Fixed(seed=3)
        model.compile(optimizer={"generator": keras.optimizers.SGD(0.1),
                                 "discriminator": keras.optimizers.SGD(0.2)},
                      jit_compile=jit, steps_per_execution=2)
        model.fit(_dataset(), epochs=1, verbose=0)
        results.append([np.array(w) for w in model.weights])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
