"""GAN.from_preset (networks from specs, the dcgan_fashion_mnist preset) and kill-and-resume
through BackupAndRestore."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import testing
from kgen.cli import presets
from kgen.models.gan import GAN
from tests.cli.test_cli import Interrupt  # a kill when an epoch begins
from tests.models.gan.test_gan_model import toy_gan


def test_the_preset_builds_the_dcgan_of_radford_et_al_with_adam_per_player():
    config = presets.resolve("dcgan_fashion_mnist", model="gan")
    assert config["data"]["preprocess"] == "scale" and config["train"]["max_minutes"]
    model = presets.build_model(config, event_shape=(28, 28, 1))
    assert isinstance(model, GAN) and model.loss_name == "non_saturating"
    assert model.latent_dim == 100 and model.data_range == (-1.0, 1.0)
    assert model.generator.output_shape == (None, 28, 28, 1)
    assert [layer.filters for layer in model.discriminator.layers
            if isinstance(layer, keras.layers.Conv2D)] == [64, 128]
    from kgen.cli.optimizers import for_model

    optimizers = for_model(config["train"], 430, model)
    assert set(optimizers) == {"generator", "discriminator"}
    for optimizer in optimizers.values():
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5
    # Seeded by the preset's seed: the same preset builds the same networks.
    again = presets.build_model(config, event_shape=(28, 28, 1))
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_mlp_specs_and_bad_specs_are_named():
    args = {"latent_dim": 3, "loss": "hinge",
            "generator": {"type": "mlp", "hidden_units": [8, 8]},
            "discriminator": {"type": "mlp", "hidden_units": [8], "spectral_norm": True}}
    model = GAN.from_preset(args, (2,), seed=0)
    assert model.generator.input_shape == (None, 3) and model.event_shape == (2,)
    bad = dict(args, generator={"type": "mlp", "filters": [8]})
    testing.assert_raises_naming(ValueError, "model_args.generator", GAN.from_preset, bad, (2,))
    bad = dict(args, discriminator={"type": "resnet"})
    testing.assert_raises_naming(ValueError, "model_args.discriminator.type", GAN.from_preset,
                                 bad, (2,))
    testing.assert_raises_naming(ValueError, "model_args.generator", GAN.from_preset,
                                 {"discriminator": {"type": "mlp"}}, (2,))
    testing.assert_raises_naming(ValueError, "model_args", GAN.from_preset,
                                 dict(args, n_critics=2), (2,))


def _compiled():
    model = toy_gan(loss="wasserstein_gp", n_critic=2, ema_decay=0.9)
    model.compile(optimizer={"generator": keras.optimizers.Adam(1e-3),
                             "discriminator": keras.optimizers.Adam(2e-3)})
    return model


def _dataset():
    points = np.random.default_rng(0).normal(size=(48, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(points).batch(12)


def _state(model):
    return ([np.array(w) for w in model.weights]
            + [np.array(v) for o in model.optimizers_by_name().values() for v in o.variables]
            + [np.array(model.seed_generator.state)])


def test_kill_and_resume_continues_the_uninterrupted_loss_curve(tmp_path):
    uninterrupted = _compiled()
    curve = uninterrupted.fit(_dataset(), epochs=4, verbose=0).history

    killed = _compiled()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        killed.fit(_dataset(), epochs=4, verbose=0, callbacks=[backup, Interrupt(at=2)])
    resumed = _compiled()  # as a new process would build it
    rest = resumed.fit(_dataset(), epochs=4, verbose=0, callbacks=[
        keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))]).history
    assert len(rest["d_loss"]) == 2  # epochs 3 and 4 only
    for name in ("d_loss", "g_loss", "wasserstein_estimate", "grad_penalty"):
        np.testing.assert_allclose(rest[name], curve[name][2:], rtol=1e-6, err_msg=name)
    # Generator, critic, both optimizers, the EMA and the noise position.
    for a, b in zip(_state(uninterrupted), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(resumed.player_optimizer("discriminator").iterations) == 4 * 4 * 2
