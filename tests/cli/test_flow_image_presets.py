"""The image-flow presets of issue 14: Fashion-MNIST (RealNVP, Glow, MAF) and CIFAR-10
(RealNVP, Glow) resolve, build the architectures they describe and feed them levels."""

import numpy as np
import pytest
import tensorflow as tf

from kgen.cli import presets
from kgen.data import steps
from kgen.models.flows import MAF, FactorOut, Glow, RealNVP

FASHION = {"realnvp_fashion_mnist": RealNVP, "glow_fashion_mnist": Glow,
           "maf_fashion_mnist": MAF}
CIFAR = {"realnvp_cifar10": RealNVP, "glow_cifar10": Glow}


@pytest.mark.parametrize("name", sorted({**FASHION, **CIFAR}))
def test_flow_presets_read_levels_with_dequantization_and_logit_in_the_chain_in_90_minutes(name):
    config = presets.resolve(name)
    data, args, train = config["data"], config["model_args"], config["train"]
    assert data["name"] == ("cifar10" if name in CIFAR else "fashion_mnist")
    assert (data["train_split"], data["validation_split"], data["eval_split"]) == (
        "train", "validation", "test")
    # The model dequantizes (-D log 256 in its chain) and takes the logit (its log-det).
    assert args["num_levels"] == 256 and args["logit_alpha"] == 0.05
    assert steps.parse(data["preprocess"])[0] == ("levels", {})
    assert train["max_minutes"] == 90 and train["restore_best"]
    assert config["evaluate"]["num_samples"] is None  # exact likelihood


def test_the_preset_data_steps_give_integer_levels_and_maf_its_784_vectors():
    pixels = np.random.default_rng(0).integers(0, 256, (6, 28, 28, 1))
    ds = tf.data.Dataset.from_tensor_slices((pixels / 255.0).astype("float32")).batch(3)
    for name in FASHION:
        spec = presets.resolve(name)["data"]["preprocess"]
        batch = next(iter(steps.apply(ds, spec, seed=0, split_key="train_split"))).numpy()
        expected = pixels[:3].reshape(3, -1) if name.startswith("maf") else pixels[:3]
        np.testing.assert_array_equal(batch, expected.astype("float32"))
    flat = steps.apply(ds, ["levels", "flatten"], seed=0, split_key="eval_split")
    assert tuple(flat.element_spec.shape) == (None, 784)  # static: the event shape


def test_the_realnvp_presets_build_the_multiscale_flow_with_factored_latents():
    for name, shape in (("realnvp_fashion_mnist", (28, 28, 1)), ("realnvp_cifar10", (32, 32, 3))):
        model = presets.build_model(presets.resolve(name), shape)
        assert type(model) is RealNVP and model.factor_out
        assert isinstance(model.flow_layers[-1], FactorOut)
        masks = {layer.mask_type for layer in model.flow_layers if hasattr(layer, "mask_type")}
        masks |= {layer.mask_type for layer in model.flow_layers[-1].inner_layers
                  if hasattr(layer, "mask_type")}
        assert masks == {"checkerboard", "channel"}
        assert model.latent_shape == (shape[0] // 2, shape[1] // 2, 4 * shape[2])


def test_the_glow_and_maf_presets_build_their_models():
    glow = presets.build_model(presets.resolve("glow_fashion_mnist"), (28, 28, 1))
    assert type(glow) is Glow and glow.lu_decomposed and glow.factor_out
    assert glow.latent_shape == (14, 14, 4)
    maf = presets.build_model(presets.resolve("maf_fashion_mnist"), (784,))
    assert type(maf) is MAF and maf.event_shape == (784,)
    levels = np.random.default_rng(1).integers(0, 256, (2, 784)).astype("float32")
    assert maf.validate_inputs(levels).shape == (2, 784)
    assert np.all(np.isfinite(maf.bits_per_dim(levels, seed=0).numpy()))
