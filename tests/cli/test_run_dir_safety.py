"""Re-running `kgen train` never loses a trained model (issue: a run killed during its
final evaluation lost model.keras on the next run)."""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import keras
import pytest

from kgen import testing
from kgen.cli import main
from tests.cli.test_cli import Interrupt

REPO = pathlib.Path(__file__).resolve().parents[2]


def run(*argv):
    return main([str(a) for a in argv])


def _argv(out, *extra):
    return ["train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 2,
            "--verbose", 0, *extra]


def test_a_run_killed_during_its_final_evaluation_keeps_its_model(tmp_path):
    out = tmp_path / "run"
    # k = 100,000 importance samples make the final evaluation take long enough to kill.
    argv = [sys.executable, "-m", "kgen.cli"] + [str(a) for a in _argv(
        out, "--set", "evaluate.num_samples=100000")]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while not (out / "model.keras").is_file() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # model.keras is written whole before the evaluation starts
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / "model.keras").is_file(), proc.stderr.read().decode()[-2000:]
    assert not (out / "metrics.json").exists(), "the evaluation ended before the kill"
    assert not (out / "backup").exists()
    model_bytes = (out / "model.keras").read_bytes()
    history = (out / "history.csv").read_text()

    # The same command (a smaller k is allowed: evaluation settings are not training's).
    run(*_argv(out, "--set", "evaluate.num_samples=50"))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 0  # evaluated, not trained again
    assert metrics["nll"]["num_samples"] == 50
    assert metrics["history"]["epoch"] == [0, 1]
    assert (out / "model.keras").read_bytes() == model_bytes
    assert (out / "history.csv").read_text() == history


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished") / "run"
    run(*_argv(out))
    return out


def test_a_finished_run_trains_on_for_more_epochs_without_overwrite(finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    run(*_argv(out)[:-4], "--epochs", 3, "--verbose", 0)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["initial_epoch"] == 2 and metrics["epochs_run"] == 1
    assert metrics["history"]["epoch"] == [0, 1, 2]
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    # 1,500 images in batches of 100: the optimizer state continued from 30 steps.
    assert int(model.optimizer.iterations) == 45
    assert sorted(p.name for p in (out / "samples").glob("samples_epoch_*.png")) == [
        "samples_epoch_0001.png", "samples_epoch_0002.png", "samples_epoch_0003.png"]


def test_a_finished_run_with_a_larger_time_budget_but_no_epochs_left_is_finished(
        finished, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    before = (out / "metrics.json").read_text()
    run(*_argv(out, "--set", "train.max_minutes=30"))
    assert "holds a finished run" in capsys.readouterr().out
    assert (out / "metrics.json").read_text() == before


def test_overwrite_of_a_directory_that_does_not_exist_is_named(tmp_path):
    out = tmp_path / "missing"
    testing.assert_raises_naming(ValueError, "--overwrite", run, *_argv(out, "--overwrite"))
    assert not out.exists()


def test_a_directory_of_other_files_is_used_without_deleting_them(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    run(*_argv(out, "--no-eval"))
    assert (out / "notes.txt").read_text() == "keep me"
    assert (out / "model.keras").is_file()


def test_the_same_seed_gives_the_same_run_whatever_the_data_loading_draws(tmp_path, monkeypatch):
    # A first run that builds the data cache draws random numbers while loading (TFDS
    # does); the model must still start from the same weights and train the same.
    import random

    import numpy as np
    import tensorflow as tf

    from kgen.cli import datasets

    run(*_argv(tmp_path / "plain", "--no-eval", "--epochs", 1))
    load_split = datasets.load_split

    def drawing_load_split(*args, **kwargs):
        random.random(), np.random.rand(), tf.random.uniform(())
        return load_split(*args, **kwargs)

    monkeypatch.setattr(datasets, "load_split", drawing_load_split)
    run(*_argv(tmp_path / "drawing", "--no-eval", "--epochs", 1))
    monkeypatch.undo()
    # A process whose global seed was set otherwise (or never, as in a console) shuffles
    # the same: a tf.data shuffle combines its own seed with the global one.
    keras.utils.set_random_seed(999)
    run(*_argv(tmp_path / "reseeded", "--no-eval", "--epochs", 1))
    plain = keras.models.load_model(tmp_path / "plain" / "model.keras", safe_mode=True)
    for other in ("drawing", "reseeded"):
        model = keras.models.load_model(tmp_path / other / "model.keras", safe_mode=True)
        for a, b in zip(plain.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=other)


def test_a_continuation_killed_before_its_first_epoch_is_continued_by_the_same_command(
        finished, tmp_path, monkeypatch):
    from kgen.cli import train

    out = tmp_path / "run"
    shutil.copytree(finished, out)
    longer = _argv(out)[:-4] + ["--epochs", 3, "--verbose", 0]
    make_callbacks = train.make_callbacks
    monkeypatch.setattr(train, "make_callbacks",
                        lambda *a, **k: make_callbacks(*a, **k) + [Interrupt(at=2)])
    with pytest.raises(KeyboardInterrupt):
        run(*longer)
    monkeypatch.undo()
    assert not (out / "backup" / "training_metadata.json").exists()  # no epoch finished
    # config.yaml now asks for 3 epochs; the finished fit was given 2 (progress.json).
    run(*longer)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["initial_epoch"] == 2 and metrics["epochs_run"] == 1
    assert metrics["history"]["epoch"] == [0, 1, 2]


def test_a_fit_killed_before_model_keras_was_saved_is_saved_and_evaluated(tmp_path,
                                                                          monkeypatch):
    from kgen.cli import train

    out = tmp_path / "run"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("simulated kill while saving model.keras")

    monkeypatch.setattr(train, "_save_final_model", killed)
    with pytest.raises(KeyboardInterrupt):
        run(*_argv(out, "--set", "evaluate.num_samples=5"))
    monkeypatch.undo()
    assert not (out / "backup").exists() and not (out / "model.keras").exists()
    assert (out / "checkpoints" / "last.weights.h5").is_file()  # written before the backup went
    history = (out / "history.csv").read_text()

    run(*_argv(out, "--set", "evaluate.num_samples=5"))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 0 and metrics["history"]["epoch"] == [0, 1]
    assert (out / "history.csv").read_text() == history
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    assert int(model.optimizer.iterations) == 2 * 15  # the finished fit's state, not retrained


def test_a_run_stopped_on_its_time_budget_continues_only_with_a_larger_budget(tmp_path,
                                                                             capsys):
    out = tmp_path / "run"
    budget = _argv(out)[:-4] + ["--epochs", 3, "--verbose", 0, "--no-eval"]
    run(*budget, "--set", "train.max_minutes=0.0001")
    first = (out / "metrics.json").read_text()
    assert json.loads(first)["epochs_run"] == 1  # stopped by the budget after one epoch
    capsys.readouterr()

    run(*budget, "--set", "train.max_minutes=0.0001")
    assert "1 of 3 epochs: it stopped on its time budget" in capsys.readouterr().out
    assert (out / "metrics.json").read_text() == first

    run(*budget, "--set", "train.max_minutes=10")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["initial_epoch"] == 1 and metrics["epochs_run"] == 2
    assert metrics["history"]["epoch"] == [0, 1, 2]


def test_a_directory_that_is_not_a_run_is_never_cleared_or_overwritten(tmp_path):
    out = tmp_path / "mine"
    (out / "samples").mkdir(parents=True)
    (out / "samples" / "holiday.png").write_bytes(b"not a kgen sample")
    testing.assert_raises_naming(ValueError, "--overwrite", run, *_argv(out, "--overwrite"))
    testing.assert_raises_naming(ValueError, "--output-dir", run, *_argv(out))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == [
        pathlib.Path("samples"), pathlib.Path("samples/holiday.png")]
