"""Tests of the preset schema, overrides and model building of `kgen train`."""

import numpy as np
import pytest

import kgen.models
from kgen.cli import presets
from kgen.models.vae import IWAE, VAE


@pytest.mark.parametrize("name", presets.available())
def test_every_preset_resolves(name):
    config = presets.resolve(name)
    assert config["model"] in kgen.models.available()
    assert isinstance(config["train"]["learning_rate"], float)


def test_expected_presets_exist():
    assert {"vae_binarized_mnist", "iwae_binarized_mnist", "vae_iaf_binarized_mnist",
            "vae_digits"} <= set(presets.available())


def test_burda_presets_build_the_784_200_200_50_network():
    vae = presets.build_model(presets.resolve("vae_binarized_mnist"), (28, 28, 1))
    iwae = presets.build_model(presets.resolve("iwae_binarized_mnist"), (28, 28, 1))
    assert type(vae) is VAE and type(iwae) is IWAE and iwae.num_samples == 50
    for model in (vae, iwae):
        assert model.latent_dim == 50
        assert [layer.units for layer in model.encoder.layers if hasattr(layer, "units")] == [200, 200]
        assert [layer.units for layer in model.decoder.layers if hasattr(layer, "units")] == [200, 200, 784]


def test_iaf_preset_builds_an_iaf_posterior():
    model = presets.build_model(presets.resolve("vae_iaf_binarized_mnist"), (28, 28, 1))
    assert type(model.posterior).__name__ == "IAFPosterior"
    assert model.posterior.num_flows == 2


def test_overrides_apply_in_order_and_flags_win():
    config = presets.resolve(
        "vae_digits", model="vae", epochs=3, seed=5,
        overrides=["train.epochs=7", "model_args.encoder.hidden_units=[32, 16]",
                   "train.learning_rate=1e-3", "evaluate.num_samples=null",
                   "model_args.beta=0.5", "train.optimizer_args.epsilon=1.0e-4"])
    assert config["train"]["epochs"] == 3 and config["seed"] == 5
    assert config["model_args"]["encoder"]["hidden_units"] == [32, 16]
    assert config["train"]["learning_rate"] == 1e-3  # YAML reads "1e-3" as a string
    assert config["evaluate"]["num_samples"] is None
    model = presets.build_model(config, (8, 8, 1))
    assert model.beta == 0.5
    assert [layer.units for layer in model.encoder.layers if hasattr(layer, "units")] == [32, 16]


def test_preset_with_unknown_section_is_refused():
    with pytest.raises(ValueError, match="Unknown preset keys"):
        presets.resolve({"model": "vae", "data": {"name": "digits"}, "trian": {}})


def test_the_event_shape_of_labelled_batches_is_the_images_shape():
    import tensorflow as tf

    from kgen.cli import datasets

    x, y = np.zeros((8, 5, 4, 1), np.float32), np.zeros(8, np.int32)
    assert datasets.event_shape(tf.data.Dataset.from_tensor_slices((x, y)).batch(4)) == (5, 4, 1)
    assert datasets.event_shape(tf.data.Dataset.from_tensor_slices(x).batch(4)) == (5, 4, 1)
