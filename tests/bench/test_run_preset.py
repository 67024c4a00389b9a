"""``benchmarks/run_preset.py`` runs a preset through ``kgen train`` and records it:
the run's metrics.json, the command, the machine, versions, wall time, date and
commit, and no machine paths (on the tiny ``vae_digits`` preset, one epoch)."""

import json
import os
import re
import shlex
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from benchmarks import run_preset
from kgen.cli import main as kgen_main

REPO = run_preset.REPO


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One ``run_preset.py vae_digits --epochs 1`` in a fresh working directory."""
    cwd = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        path = run_preset.main(["vae_digits", "--epochs", 1, "--verbose", 0,
                                "--results-dir", cwd / "results"])
    return cwd, path, json.loads(path.read_text())


def test_json_is_named_for_the_preset_and_holds_the_runs_metrics(result):
    cwd, path, record = result
    assert path == cwd / "results" / "vae_digits.json"
    assert record["run_dir"] == "runs/vae_digits"
    metrics = json.loads((cwd / "runs" / "vae_digits" / "metrics.json").read_text())
    assert record["metrics"] == metrics
    assert metrics["epochs_run"] == 1 and metrics["history"]["epoch"] == [0]
    assert metrics["preset"] == "vae_digits" and metrics["nll"]["num_samples"] == 100


def test_json_records_the_exact_kgen_train_command(result):
    record = result[2]
    assert record["command"] == ("kgen train vae --preset vae_digits "
                                 "--output-dir runs/vae_digits --epochs 1 --verbose 0")
    assert record["benchmark_command"] == ("python benchmarks/run_preset.py vae_digits "
                                           "--epochs 1 --verbose 0")
    assert record["preset"] == "vae_digits" and record["tag"] == ""


def test_json_records_machine_versions_time_date_and_commit(result):
    record = result[2]
    with open("/proc/cpuinfo") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    machine = record["machine"]
    assert machine["cpu"] == cpu and machine["cores"] == os.cpu_count()
    assert machine["memory_gib"] > 0
    assert (machine["tensorflow"], machine["keras"], machine["tensorflow_probability"]) == (
        tf.__version__, keras.__version__, tfp.__version__)
    assert re.fullmatch(r"3\.\d+\.\d+", machine["python"])
    # The whole call (data, fit, final evaluation) takes longer than its fit.
    assert record["wall_time_seconds"] >= record["metrics"]["wall_time_seconds"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", record["date"])
    assert re.fullmatch(r"[0-9a-f]{7,40}", record["commit"])
    subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", record["commit"] + "^{commit}"],
                   check=True)
    assert isinstance(record["kgen_modified"], bool)


def test_json_holds_no_machine_path(result):
    cwd, path, _ = result
    text = path.read_text()
    assert str(cwd) not in text and str(REPO) not in text


def test_recorded_command_reproduces_the_run(result, tmp_path, monkeypatch):
    cwd, _, record = result
    monkeypatch.chdir(cwd)
    argv = shlex.split(record["command"])[1:]
    argv[argv.index("--output-dir") + 1] = str(tmp_path / "again")
    kgen_main(argv)
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    for key, values in record["metrics"]["history"].items():
        np.testing.assert_allclose(again["history"][key], values, rtol=1e-6, err_msg=key)
    assert again["config"] == record["metrics"]["config"]


def test_output_dir_outside_the_working_directory_is_not_recorded(tmp_path, monkeypatch):
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    path = run_preset.main(["vae_digits", "--epochs", 1, "--verbose", 0, "--tag", "_far",
                            "--output-dir", tmp_path / "elsewhere",
                            "--results-dir", tmp_path / "results"])
    text = path.read_text()
    record = json.loads(text)
    assert path.name == "vae_digits_far.json"
    assert str(tmp_path) not in text
    assert record["run_dir"] is None
    assert "--output-dir OUTPUT_DIR" in record["command"]
    assert record["metrics"]["epochs_run"] == 1


def test_a_finished_run_writes_no_new_result(result, monkeypatch):
    cwd, path, _ = result
    before = path.read_text()
    monkeypatch.chdir(cwd)
    with pytest.raises(ValueError, match="--output-dir"):
        run_preset.main(["vae_digits", "--epochs", 1, "--verbose", 0,
                         "--results-dir", cwd / "results"])
    assert path.read_text() == before


@pytest.mark.parametrize("argv, flag", [
    (["vae_digits", "--tag", "../up"], "--tag"),
    (["no_such_preset"], "--preset"),
    (["vae_digits", "--set", "train.no_such_key=1"], "--set"),
])
def test_bad_arguments_are_refused_before_anything_is_written(argv, flag, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=re.escape(flag)):
        run_preset.main(argv + ["--verbose", 0, "--results-dir", tmp_path / "results"])
    assert list(tmp_path.iterdir()) == []
