"""`kgen train` / `kgen evaluate` of an RBM report the test NLL by AIS (preset rbm_digits)."""

import json
import shutil

import keras
import numpy as np
import pytest

import kgen.metrics
from kgen import testing
from kgen.cli import datasets, main, presets


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished 2-epoch PCD run of the tiny preset (12 hidden units: log Z exact)."""
    out = tmp_path_factory.mktemp("rbm") / "run"
    run("train", "rbm", "--preset", "rbm_digits", "--output-dir", out, "--verbose", 0)
    return out


def evaluate(model_path, output):
    run("evaluate", "--model-path", model_path, "--verbose", 0, "--output", output,
        "--batch-size", 297)  # the preset's, so the test images are binarized alike
    return json.loads(output.read_text())


def _exact_nll(model, config):
    """The test NLL with the exact log Z, on the run's own test split."""
    model.set_log_partition(kgen.metrics.exact_log_partition(model))
    data = datasets.load_split(config["data"], "eval_split", config["seed"], batch_size=297)
    return kgen.metrics.nll(model, data, verbose=0)["nll"]


def test_train_reports_the_ais_nll_within_0_05_nats_of_the_exact_one(trained):
    metrics = json.loads((trained / "metrics.json").read_text())
    nll = metrics["nll"]
    record = nll["log_partition"]
    assert record["method"] == "ais" and not nll["exact"]
    assert record["num_betas"] == 1000 and record["num_runs"] == 100  # the preset's
    assert 0 < record["log_z_std_error"] < 0.05
    estimates = metrics["prepare_evaluation"]["log_partition"]
    assert set(estimates) == {"ais", "reverse_ais", "exact"}
    assert record["reverse_ais_log_z"] == estimates["reverse_ais"]["log_z"]
    model = keras.models.load_model(trained / "model.keras")
    assert model.log_partition["log_z"] == record["log_z"]  # model.keras keeps it
    exact = _exact_nll(model, metrics["config"])
    assert abs(nll["nll"] - exact) < 0.05, (nll["nll"], exact)
    assert abs(estimates["exact"]["log_z"] - kgen.metrics.exact_log_partition(model)["log_z"]
               ) < 1e-9


def test_evaluate_uses_the_stored_log_z(trained, tmp_path):
    result = evaluate(trained, tmp_path / "nll.json")
    trained_nll = json.loads((trained / "metrics.json").read_text())["nll"]
    assert "prepare_evaluation" not in result
    assert result["log_partition"]["method"] == "ais"
    np.testing.assert_allclose(result["nll"], trained_nll["nll"], rtol=1e-6)


def test_evaluate_estimates_log_z_by_ais_when_the_model_has_none(trained, tmp_path):
    model = keras.models.load_model(trained / "model.keras")
    model.set_log_partition(None)
    model.save(tmp_path / "model.keras")
    shutil.copy(trained / "config.yaml", tmp_path / "config.yaml")
    result = evaluate(tmp_path, tmp_path / "nll.json")
    assert result["log_partition"]["method"] == "ais"
    assert set(result["prepare_evaluation"]["log_partition"]) == {"ais", "reverse_ais", "exact"}
    config = presets.resolve("rbm_digits")
    assert abs(result["nll"] - _exact_nll(model, config)) < 0.05


@pytest.mark.parametrize("preset, setting, named", [
    ("rbm_digits", "evaluate.log_partition.num_betas=1", "evaluate.log_partition.num_betas"),
    ("rbm_digits", "evaluate.log_partition.method=sampling", "evaluate.log_partition.method"),
    ("rbm_digits", "evaluate.log_partition.also=[ais, importance]",
     "evaluate.log_partition.also"),
    ("rbm_digits", "evaluate.log_partition.burn_in=-1", "evaluate.log_partition.burn_in"),
    ("rbm_digits", "evaluate.log_partition.runs=3", "evaluate.log_partition"),
    ("vae_digits", "evaluate.log_partition.method=ais", "evaluate.log_partition"),
])
def test_bad_log_partition_settings_are_named_before_writing(preset, setting, named, tmp_path):
    model = preset.split("_")[0]
    testing.assert_raises_naming(ValueError, named, run, "train", model, "--preset", preset,
                                 "--output-dir", tmp_path / "run", "--set", setting)
    assert not (tmp_path / "run").exists()
