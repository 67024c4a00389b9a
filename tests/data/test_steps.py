"""Named preprocessing steps of presets (``kgen.data.steps``)."""

import numpy as np
import pytest
import tensorflow as tf

import kgen.data
from kgen import testing
from kgen.cli import datasets, presets
from kgen.data import steps


def _images(n=8):
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (n, 4, 4, 1)) / 255.0).astype("float32")


def _batches(x, batch=4, labels=None):
    data = x if labels is None else (x, labels)
    return tf.data.Dataset.from_tensor_slices(data).batch(batch)


def test_steps_apply_in_order_and_labels_pass_through():
    x, y = _images(), np.arange(8)
    ds = steps.apply(_batches(x, labels=y), ["dequantize", {"name": "logit", "alpha": 0.1},
                                              "scale"], seed=3, split_key="eval_split")
    out = [(a.numpy(), b.numpy()) for a, b in ds]
    np.testing.assert_array_equal(np.concatenate([b for _, b in out]), y)
    got = np.concatenate([a for a, _ in out])
    # Undo scale and logit: the dequantized pixels floor back to the 8-bit levels.
    logit = (got + 1) / 2
    deq = (1 / (1 + np.exp(-logit)) - 0.1) / 0.8
    np.testing.assert_array_equal(np.floor(deq * 256 + 1e-4), np.round(x * 255))


def test_the_first_random_step_draws_what_kgen_0_1_drew():
    # kgen 0.1 zipped each batch with Dataset.random(seed * 10 + offset).batch(2).
    x = _images()
    ds = steps.apply(_batches(x), "dynamic_binarize", seed=2, split_key="validation_split")
    seeds = tf.data.Dataset.random(seed=21, rerandomize_each_iteration=False).batch(2)
    old = tf.data.Dataset.zip((_batches(x), seeds)).map(
        lambda b, s: kgen.data.dynamic_binarize(b, seed=s))
    for a, b in zip(ds, old, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_random_steps_are_fixed_off_the_training_split_and_fresh_on_it():
    x = _images()
    fixed = steps.apply(_batches(x), "dynamic_binarize", 0, "eval_split")
    assert all(np.array_equal(a, b) for a, b in zip(list(fixed), list(fixed)))
    train = steps.apply(_batches(x), "dynamic_binarize", 0, "train_split", training=True)
    first, second = [b.numpy() for b in train], [b.numpy() for b in train]
    assert not all(np.array_equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("spec, named", [("no_such_step", "no_such_step"),
                                         ([{"name": "logit", "beta": 1}], "beta"),
                                         (3, "data.preprocess")])
def test_a_bad_step_is_named_when_the_preset_resolves(spec, named):
    config = presets.resolve("vae_digits")
    config["data"]["preprocess"] = spec
    message = testing.assert_raises_naming(ValueError, "data.preprocess", presets._check, config)
    assert named in message


def test_labels_requested_from_a_data_set_without_them_are_named():
    config = presets.resolve("vae_digits", overrides=["data.name=binarized_mnist",
                                                      "data.labels=true"])
    testing.assert_raises_naming(ValueError, "data.labels", datasets.load_split,
                                 config["data"], "train_split", 0)


def test_a_preset_with_labels_yields_images_and_labels():
    config = presets.resolve("vae_digits", overrides=["data.labels=true"])
    x, y = next(iter(datasets.load_split(config["data"], "train_split", 0, training=True)))
    assert x.shape == (100, 8, 8, 1) and y.shape == (100,)
    assert set(np.unique(x.numpy())) <= {0.0, 1.0}  # dynamic_binarize on the images only


def test_a_step_registered_by_decorator_is_applied_by_name(monkeypatch):
    monkeypatch.setattr(steps, "_STEPS", dict(steps._STEPS))  # leave the registry as found

    @kgen.data.register_preprocessing("invert")
    def invert(x):
        return 1.0 - x

    assert "invert" in kgen.data.preprocessing_steps()
    assert kgen.data.get_preprocessing("invert").fn is invert
    x = _images()
    got = np.concatenate([b.numpy() for b in steps.apply(_batches(x), "invert", 0, "eval_split")])
    np.testing.assert_array_equal(got, 1.0 - x)
    testing.assert_raises_naming(ValueError, "name", kgen.data.register_preprocessing,
                                 "invert", invert)


def test_get_preprocessing_names_an_unknown_step_and_lists_the_known_ones():
    assert kgen.data.get_preprocessing("logit").arguments == ("alpha",)
    assert kgen.data.get_preprocessing("dequantize").random
    message = testing.assert_raises_naming(ValueError, "name", kgen.data.get_preprocessing,
                                           "binarise")
    assert "binarise" in message and "dynamic_binarize" in message


@pytest.mark.parametrize("flag, named", [("binarise", "binarise"), ("[dequantize", "[dequantize"),
                                         ("[{name: logit, beta: 1}]", "beta")])
def test_kgen_evaluate_names_a_bad_preprocess_flag_before_loading_anything(tmp_path, flag,
                                                                          named):
    from kgen.cli import main

    model = tmp_path / "m.keras"
    model.write_bytes(b"")  # never opened: the flags are checked first
    message = testing.assert_raises_naming(
        ValueError, "--preprocess", main,
        ["evaluate", "--model-path", str(model), "--data", "digits", "--preprocess", flag])
    assert named in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


def test_kgen_evaluate_reads_a_list_of_steps_as_yaml():
    from kgen.cli import commands

    spec = commands._yaml_flag("--preprocess", "[dequantize, {name: logit, alpha: 0.1}]")
    assert steps.parse(spec, where="--preprocess") == [("dequantize", {}),
                                                       ("logit", {"alpha": 0.1})]


@pytest.mark.parametrize("alpha", [0.7, 0.0, "small"])
def test_a_bad_argument_value_is_named_when_the_preset_resolves(alpha):
    config = presets.resolve("vae_digits")
    config["data"]["preprocess"] = [{"name": "logit", "alpha": alpha}]
    message = testing.assert_raises_naming(ValueError, "data.preprocess", presets._check, config)
    assert "alpha" in message
