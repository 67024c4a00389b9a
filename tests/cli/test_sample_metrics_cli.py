"""Sample metrics through the CLI: the preset's evaluate.sample_metrics, kgen train's final
evaluation and kgen evaluate of an implicit model (a GAN), on real Fashion-MNIST."""

import json

import numpy as np
import pytest

import kgen.data
import kgen.features
from kgen import metrics, networks, testing
from kgen.cli import main, presets, sample_metrics
from kgen.models.gan import GAN


def tiny_gan():
    """An untrained DCGAN-shaped GAN on 28x28x1 in [-1, 1] (tanh)."""
    return GAN(generator=networks.dcgan_generator(latent_dim=8, base_filters=8, seed=0),
               discriminator=networks.dcgan_discriminator(base_filters=8, seed=1),
               latent_dim=8, seed=0)


def test_defaults_and_bad_specs_are_named():
    spec = sample_metrics.resolve({}, "fashion_mnist")
    assert spec["features"] == "fashion_mnist" and spec["num_samples"] == 10000
    assert sample_metrics.resolve(None, "fashion_mnist") is None
    assert sample_metrics.resolve({}, "mnist_test")["features"] == "mnist"
    for bad, named in [({"metrics": ["fid", "is"]}, "evaluate.sample_metrics.metrics"),
                       ({"num_samples": 1}, "evaluate.sample_metrics.num_samples"),
                       ({"reference": "test"}, "evaluate.sample_metrics"),
                       ({"features": 3}, "evaluate.sample_metrics.features"),
                       ([1], "evaluate.sample_metrics")]:
        testing.assert_raises_naming(ValueError, named, sample_metrics.resolve, bad,
                                     "fashion_mnist")
    testing.assert_raises_naming(ValueError, "evaluate.sample_metrics.features",
                                 sample_metrics.resolve, {}, "two_moons")


def test_a_preset_resolves_its_sample_metrics_and_names_a_bad_one():
    config = presets.resolve("bernoulli_mixture_binarized_mnist", overrides=[
        "evaluate.sample_metrics={metrics: [fid], num_samples: 500}"])
    assert config["evaluate"]["sample_metrics"]["features"] == "mnist"
    assert config["evaluate"]["sample_metrics"]["num_samples"] == 500
    with pytest.raises(ValueError, match="evaluate.sample_metrics.metrics"):
        presets.resolve("bernoulli_mixture_binarized_mnist", overrides=[
            "evaluate.sample_metrics={metrics: [fidd]}"])


def test_evaluate_scores_samples_in_the_models_pixel_range_against_the_reference():
    model = tiny_gan()
    spec = sample_metrics.resolve({"metrics": ["fid", "kid"], "num_samples": 300,
                                   "batch_size": 150}, "fashion_mnist")
    data = {"name": "fashion_mnist", "batch_size": 150, "preprocess": "scale",
            "eval_split": "test"}
    figures = sample_metrics.evaluate(model, spec, data, seed=0)
    assert figures["reference_split"] == "test" and figures["num_samples"] == 300
    # The same figure from the parts: test images in [-1, 1], the classifier read in [-1, 1].
    extractor = kgen.features.classifier("fashion_mnist", data_range=(-1, 1))
    test = kgen.data.load("fashion_mnist", "test", batch_size=150)
    real = np.concatenate([2.0 * x.numpy() - 1.0 for x in test.take(2)])
    expected = metrics.SampleQuality(extractor, real, 300, ["fid"], batch_size=150)(model)
    assert figures["fid_300"] == pytest.approx(expected["fid_300"], rel=1e-6)
    assert figures["fid_300"] > 50  # untrained noise images are far from Fashion-MNIST


def test_kgen_evaluate_reports_sample_metrics_for_an_implicit_model(tmp_path, capsys):
    path = tmp_path / "gan.keras"
    model = tiny_gan()
    model.sample(2)
    model.save(path)
    main(["evaluate", "--model-path", str(path), "--data", "fashion_mnist", "--split", "test",
          "--preprocess", "scale", "--num-samples", "200", "--verbose", "0"])
    result = json.loads(capsys.readouterr().out)
    assert "nll" not in result
    figures = result["sample_metrics"]
    assert figures["features"] == "fashion_mnist" and figures["num_samples"] == 200
    assert {"fid_200", "kid_200", "precision_200", "recall_200"} <= set(figures)
    assert figures["fid_200"] > 50


def test_every_scores_during_training_into_the_logs_the_loggers_and_checkpoint_read(tmp_path):
    from kgen import callbacks as kcallbacks
    from kgen.cli import rundir, train

    testing.assert_raises_naming(ValueError, "evaluate.sample_metrics.every",
                                 sample_metrics.resolve, {"every": 0}, "fashion_mnist")
    config = presets.resolve("dcgan_fashion_mnist", model="gan", overrides=[
        "evaluate.sample_metrics={metrics: [fid], num_samples: 200, batch_size: 100, every: 2}"])
    model = tiny_gan()
    assert sample_metrics.callback(model, {**config["evaluate"]["sample_metrics"],
                                           "every": None}, config["data"], 0) is None
    run = rundir.RunDir(tmp_path / "run")
    callbacks = train.make_callbacks(model, config, run, kcallbacks.NaNGuard(), False)
    kinds = [type(c).__name__ for c in callbacks]
    quality = callbacks[kinds.index("SampleQuality")]
    assert quality.every == 2
    assert kinds.index("SampleQuality") < min(kinds.index("ModelCheckpoint"),
                                              kinds.index("CSVLogger"))
    quality.set_model(model)
    logs = {}
    quality.on_epoch_end(0, logs)  # not a scored epoch: NaN under the same keys
    assert set(logs) == {"fid_200", "fid"} and np.isnan(logs["fid"])
    quality.on_epoch_end(1, logs)
    assert logs["fid"] == logs["fid_200"] > 50  # the GAN's monitor, what ModelCheckpoint reads


def test_scoring_during_training_changes_what_a_resume_may_continue_and_what_is_selected():
    from kgen.cli import rundir, train

    config = presets.resolve("dcgan_fashion_mnist", model="gan")
    scored = presets.resolve("dcgan_fashion_mnist", model="gan",
                             overrides=["evaluate.sample_metrics.every=3"])
    fewer = presets.resolve("dcgan_fashion_mnist", model="gan",
                            overrides=["evaluate.sample_metrics.num_samples=500"])
    # history.csv keeps its first header: a run may not gain or lose the curve's columns.
    assert rundir._comparable(config) != rundir._comparable(scored)
    assert rundir._comparable(config) == rundir._comparable(fewer)  # final evaluation only
    # The curve's FID is logged unprefixed, also when there is validation data.
    model = tiny_gan()
    assert train.checkpoint_monitor(model, True, scored) == ("fid", "min")
    unscored = presets.resolve("dcgan_fashion_mnist", model="gan",
                               overrides=["evaluate.sample_metrics.every=null"])
    assert train.checkpoint_monitor(model, True, unscored) == ("val_fid", "min")
    # Keeping the best-FID epoch against the test split would select on test data.
    with pytest.raises(ValueError, match="train.restore_best.*reference_split"):
        presets.resolve("dcgan_fashion_mnist", model="gan",
                        overrides=["train.restore_best=true"])
    chosen = presets.resolve("dcgan_fashion_mnist", model="gan", overrides=[
        "train.restore_best=true", "data.validation_split=validation",
        "evaluate.sample_metrics.reference_split=validation"])
    assert chosen["train"]["restore_best"]
