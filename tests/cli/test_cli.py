"""Tests of the `kgen` command line on the tiny `vae_digits` preset (no downloads)."""

import json
import math
import runpy
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from kgen.cli import main, train


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One finished 2-epoch run of `kgen train vae --preset vae_digits`."""
    out = tmp_path_factory.mktemp("cli") / "run"
    run("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 2,
        "--verbose", 0)
    return out


def test_list_shows_models_presets_and_data_sets(capsys):
    run("list")
    out = capsys.readouterr().out
    for name in ("vae", "iwae", "vae_digits", "vae_binarized_mnist", "iwae_binarized_mnist",
                 "vae_iaf_binarized_mnist", "digits", "binarized_mnist"):
        assert name in out


def test_train_writes_the_run_directory(trained):
    for name in ("model.keras", "metrics.json", "config.yaml", "history.csv",
                 "checkpoints/best.weights.h5"):
        assert (trained / name).is_file(), name
    assert not (trained / "backup").exists()  # removed when fit ends
    assert list((trained / "tensorboard").rglob("events.out.tfevents.*"))
    pngs = sorted(p.name for p in (trained / "samples").iterdir())
    assert pngs == ["latent_manifold.png", "samples_epoch_0001.png", "samples_epoch_0002.png"]
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["initial_epoch"] == 0
    assert math.isfinite(metrics["train"]["loss"]) and math.isfinite(metrics["eval"]["loss"])
    assert math.isfinite(metrics["nll"]["nll"]) and metrics["nll"]["num_samples"] == 100
    # The IWAE bound (k = 100) is at least as tight as the ELBO, up to noise.
    assert metrics["nll"]["nll"] <= -metrics["eval"]["elbo"] + 0.5
    assert metrics["wall_time_seconds"] > 0 and metrics["stopped_on_nan"] is None
    assert metrics["config"]["model_args"]["latent_dim"] == 2
    assert metrics["config"]["train"]["epochs"] == 2
    model = keras.models.load_model(trained / "model.keras")
    assert model.latent_dim == 2


def test_bad_data_with_overwrite_keeps_the_finished_run(trained):
    before = sorted(p.relative_to(trained) for p in trained.rglob("*"))
    metrics = (trained / "metrics.json").read_text()
    with pytest.raises(ValueError, match="data.train_split"):  # 0..1 greys, not binary
        run("train", "vae", "--preset", "vae_digits", "--output-dir", trained, "--overwrite",
            "--set", "data.preprocess=null", "--verbose", 0)
    assert sorted(p.relative_to(trained) for p in trained.rglob("*")) == before
    assert (trained / "metrics.json").read_text() == metrics


def test_yaml_1_1_number_strings_in_the_plateau_schedule_are_read_as_numbers():
    from kgen.cli import presets

    config = presets.resolve("vae_digits", overrides=[
        "train.reduce_lr_on_plateau={factor: 5e-1, patience: 2, min_lr: 1e-5}"])
    assert config["train"]["reduce_lr_on_plateau"] == {"factor": 0.5, "patience": 2,
                                                       "min_lr": 1e-5}


def test_rerunning_a_finished_run_says_so_and_changes_nothing(trained, capsys):
    before = {p: p.read_bytes() for p in trained.rglob("*") if p.is_file()}
    assert run("train", "vae", "--preset", "vae_digits", "--output-dir", trained,
               "--epochs", 2, "--verbose", 0) == 0
    assert "holds a finished run" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in trained.rglob("*") if p.is_file()} == before


def test_a_run_of_another_config_is_refused(trained):
    before = (trained / "metrics.json").read_text()
    with pytest.raises(ValueError, match="--output-dir"):
        run("train", "vae", "--preset", "vae_digits", "--output-dir", trained, "--verbose", 0,
            "--set", "train.learning_rate=3.0e-3")
    assert (trained / "metrics.json").read_text() == before


def test_sample_writes_a_png_grid(trained, tmp_path):
    out = tmp_path / "grid.png"
    run("sample", "--model-path", trained, "--num-samples", 16, "--output", out, "--seed", 1)
    with Image.open(out) as image:
        assert image.size == (4 * 10, 4 * 10)  # 4x4 grid of 8x8 digits with 1-pixel borders


def test_evaluate_writes_nll_json(trained, tmp_path, capsys):
    out = tmp_path / "nll.json"
    run("evaluate", "--model-path", trained / "model.keras", "--data", "digits", "--split",
        "test", "--num-samples", 10, "--preprocess", "dynamic_binarize", "--output", out)
    result = json.loads(out.read_text())
    printed = capsys.readouterr()
    assert json.loads(printed.out) == result  # standard output holds only the JSON
    assert "3/3" in printed.err  # the progress bar: 297 digits in batches of 100
    assert result["num_examples"] == 297 and math.isfinite(result["nll"])


def test_export_writes_a_savedmodel(trained, tmp_path):
    run("export", "--model-path", trained, "--base-dir", tmp_path / "served", "--name", "vae",
        "--version", 3)
    assert (tmp_path / "served" / "vae" / "3" / "saved_model.pb").is_file()
    # Without --version: the next free one, as TF Serving's layout expects.
    run("export", "--model-path", trained, "--base-dir", tmp_path / "served", "--name", "vae")
    assert (tmp_path / "served" / "vae" / "4" / "saved_model.pb").is_file()
    with pytest.raises(ValueError, match="--version"):  # an explicit existing one is refused
        run("export", "--model-path", trained, "--base-dir", tmp_path / "served", "--name",
            "vae", "--version", 3)


class Interrupt(keras.callbacks.Callback):
    """Stands for a kill: raises when epoch `at` begins."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt(f"simulated kill at epoch {epoch}")


def test_rerunning_a_killed_train_resumes_after_the_last_finished_epoch(tmp_path, monkeypatch):
    out = tmp_path / "run"
    argv = ("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 2,
            "--set", "train.kl_warmup_epochs=2", "--no-eval", "--verbose", 0)
    make_callbacks = train.make_callbacks
    monkeypatch.setattr(train, "make_callbacks",
                        lambda *a, **k: make_callbacks(*a, **k) + [Interrupt(at=1)])
    with pytest.raises(KeyboardInterrupt):
        run(*argv)
    assert (out / "backup" / "training_metadata.json").is_file()
    assert not (out / "metrics.json").exists()
    monkeypatch.undo()

    run(*argv)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["initial_epoch"] == 1 and metrics["epochs_run"] == 1
    assert metrics["history"]["epoch"] == [0, 1]  # the whole run, both invocations
    assert metrics["train"]["kl_weight"] == 0.5  # the warm-up schedule continued
    assert len((out / "history.csv").read_text().strip().splitlines()) == 1 + 2
    assert not (out / "backup").exists()


BAD_TRAIN_FLAGS = [
    (["vae", "--preset", "no_such_preset"], "--preset"),
    (["no_such_model", "--preset", "vae_digits"], "MODEL"),
    (["iwae", "--preset", "vae_digits"], "MODEL"),
    (["vae", "--preset", "vae_digits", "--epochs", "0"], "--epochs"),
    (["vae", "--preset", "vae_digits", "--batch-size", "-1"], "--batch-size"),
    (["vae", "--preset", "vae_digits", "--seed", "-3"], "--seed"),
    (["vae", "--preset", "vae_digits", "--set", "train.no_such_key=1"], "--set"),
    (["vae", "--preset", "vae_digits", "--set", "train.epochs"], "--set"),
    (["vae", "--preset", "vae_digits", "--set", "no_section.key=1"], "--set"),
    (["vae", "--preset", "vae_digits", "--set", "model_args.no_such_arg=1"], "--set"),
    (["vae", "--preset", "vae_digits", "--set", "train.epochs=0"], "train.epochs"),
    (["vae", "--preset", "vae_digits", "--set", "train.learning_rate=fast"],
     "train.learning_rate"),
    (["vae", "--preset", "vae_digits", "--set", "train.optimizer=no_such_optimizer"],
     "train.optimizer"),
    (["vae", "--preset", "vae_digits", "--set", "data.validation_split=validation"],
     "data.validation_split"),
    (["vae", "--preset", "vae_digits", "--set", "model_args.encoder.units=3"],
     "model_args.encoder"),
    (["vae", "--preset", "vae_digits", "--set", "train.steps_per_execution=0"],
     "train.steps_per_execution"),
    (["vae", "--preset", "vae_digits", "--set", "train.strategy=gpu_cluster"],
     "train.strategy"),
    (["vae", "--preset", "vae_digits", "--set", "train.strategy=multiworker"],
     "train.strategy"),
    (["vae", "--preset", "vae_digits", "--set", "train.reduce_lr_on_plateau={factor: 2}"],
     "train.reduce_lr_on_plateau.factor"),
    (["vae", "--preset", "vae_digits", "--set", "train.reduce_lr_on_plateau={min_lr: low}"],
     "train.reduce_lr_on_plateau.min_lr"),
    (["vae", "--preset", "vae_digits", "--set", "train.reduce_lr_on_plateau={patience: x}"],
     "train.reduce_lr_on_plateau.patience"),
    (["vae", "--preset", "vae_digits", "--set", "data.preprocess=null"], "data.train_split"),
    (["vae", "--preset", "vae_digits", "--set", "train.learning_rate_schedule=cosine"],
     "train.learning_rate_schedule"),
    (["vae", "--preset", "vae_digits", "--epochs", "8", "--set",
      "train.learning_rate_schedule=burda", "--set", "train.reduce_lr_on_plateau={factor: 0.5}"],
     "train.learning_rate_schedule"),
    (["vae", "--preset", "vae_digits", "--epochs", "7", "--set",
      "train.learning_rate_schedule=burda"], "train.epochs"),
]


@pytest.mark.parametrize("argv, flag", BAD_TRAIN_FLAGS, ids=[f for _, f in BAD_TRAIN_FLAGS])
def test_bad_train_flags_raise_before_writing(argv, flag, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=flag.replace(".", r"\.")):
        run("train", *argv, "--output-dir", out, "--verbose", 0)
    assert not out.exists()


@pytest.mark.parametrize("argv, flag", [
    (["sample", "--num-samples", "0"], "--num-samples"),
    (["sample", "--num-samples", "4", "--output-name", "x.txt"], "--output"),
    (["sample", "--model-path-missing"], "--model-path"),
    (["evaluate", "--num-samples", "0"], "--num-samples"),
    (["evaluate", "--split", "validation"], "--split"),
    (["export", "--version", "0"], "--version"),
])
def test_bad_flags_of_other_commands_raise_before_writing(argv, flag, trained, tmp_path):
    command, rest = argv[0], argv[1:]
    model_path = tmp_path / "missing" if "--model-path-missing" in rest else trained
    rest = [a for a in rest if a != "--model-path-missing"]
    output = tmp_path / ("x.txt" if "--output-name" in rest else "out.png")
    rest = [a for a in rest if a not in ("--output-name", "x.txt")]
    extra = {"sample": ["--output", output],
             "evaluate": ["--output", tmp_path / "out.json"],
             "export": ["--base-dir", tmp_path / "served", "--name", "vae"]}[command]
    with pytest.raises(ValueError, match=flag):
        run(command, "--model-path", model_path, *rest, *extra)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_console_entry_prints_the_error_and_exits_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["kgen", "train", "vae", "--preset", "no_such_preset",
                                      "--output-dir", str(tmp_path / "run")])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("kgen.cli", run_name="__main__")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("kgen: error:") and "--preset" in err and "vae_digits" in err
    assert not (tmp_path / "run").exists()


def test_time_budget_and_plateau_options(tmp_path):
    out = tmp_path / "budget"
    run("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 50,
        "--verbose", 0, "--no-eval", "--set", "train.max_minutes=0.0001",
        "--set", "train.reduce_lr_on_plateau={factor: 0.5, patience: 1}")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1  # stopped by the wall-time budget after one epoch
    assert metrics["config"]["train"]["reduce_lr_on_plateau"] == {"factor": 0.5, "patience": 1}


class _WreckAfter(keras.callbacks.Callback):
    """Adds large noise to every weight when epoch ``epoch`` begins (so that the
    epochs from then on validate worse than the one before), and keeps each
    epoch's final weights."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.weights = epoch, []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            rng = np.random.default_rng(0)
            self.model.set_weights([w + rng.normal(0, 2, w.shape).astype(w.dtype)
                                    for w in self.model.get_weights()])

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_restore_best_saves_the_best_epochs_weights_not_the_last(tmp_path, monkeypatch):
    wreck = _WreckAfter(epoch=2)
    make = train.make_callbacks
    monkeypatch.setattr(train, "make_callbacks", lambda *a, **k: make(*a, **k) + [wreck])
    out = tmp_path / "best"
    run("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 3,
        "--verbose", 0, "--no-eval", "--set", "train.restore_best=true")
    metrics = json.loads((out / "metrics.json").read_text())
    val_elbo = metrics["history"]["val_elbo"]
    best = int(np.argmax(val_elbo))
    assert best < 2 and val_elbo[2] < val_elbo[best]  # the last epoch is not the best
    # metrics.json reports the epoch whose weights model.keras holds.
    assert metrics["saved_epoch"] == best + 1
    assert metrics["validation"]["elbo"] == val_elbo[best]
    assert metrics["train"]["loss"] == metrics["history"]["loss"][best]
    model = keras.models.load_model(out / "model.keras")
    for saved, at_best in zip(model.get_weights(), wreck.weights[best]):
        np.testing.assert_array_equal(saved, at_best)
    assert any(not np.array_equal(s, w) for s, w in zip(model.get_weights(), wreck.weights[2]))


def test_train_under_a_strategy_with_several_steps_per_execution(tmp_path, monkeypatch):
    import tensorflow as tf

    built = []

    def build_model(*args, **kwargs):
        built.append((model := build(*args, **kwargs), tf.distribute.get_strategy()))
        return model

    build = train.presets.build_model
    monkeypatch.setattr(train.presets, "build_model", build_model)
    out = tmp_path / "mirrored"
    run("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 2,
        "--verbose", 0, "--no-eval", "--set", "train.strategy=mirrored",
        "--set", "train.steps_per_execution=4")
    (model, strategy), = built
    assert isinstance(strategy, tf.distribute.MirroredStrategy)  # built in its scope
    assert model.distribute_strategy is strategy and model.steps_per_execution == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2
    assert metrics["config"]["train"]["strategy"] == "mirrored"
    assert math.isfinite(metrics["history"]["loss"][-1])
    model = keras.models.load_model(out / "model.keras")
    assert model.sample(3, seed=0).shape == (3, 8, 8, 1)


def test_checkpoints_follow_the_bound_each_model_maximises():
    from kgen.models.vae import IWAE, VAE

    small = dict(event_shape=(8, 8, 1), latent_dim=2)
    assert train.checkpoint_monitor(VAE(**small), True) == ("val_elbo", "max")
    assert train.checkpoint_monitor(IWAE(num_samples=3, **small), True) == (
        "val_iwae_bound", "max")
    assert train.checkpoint_monitor(IWAE(num_samples=3, **small), False) == ("iwae_bound", "max")


def test_a_run_stopped_inside_the_kl_warmup_saves_the_true_elbo_loss(tmp_path):
    out = tmp_path / "warm"
    run("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 2,
        "--verbose", 0, "--set", "train.kl_warmup_epochs=5", "--set", "train.restore_best=true",
        "--set", "evaluate.num_samples=2")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["history"]["kl_weight"] == [0.0, 0.2]
    # Evaluated in the same process after the best weights were restored: w = 1.
    assert metrics["eval"]["loss"] == pytest.approx(-metrics["eval"]["elbo"], rel=1e-6)
    model = keras.models.load_model(out / "model.keras")
    assert float(model.kl_weight.numpy()) == 1.0
    assert "kl_weight" not in [v.name for v in model.weights]


def test_burda_schedule_spans_the_epochs_and_is_saved_with_the_model(tmp_path):
    out = tmp_path / "burda"
    run("train", "vae", "--preset", "vae_digits", "--output-dir", out, "--epochs", 8,
        "--verbose", 0, "--no-eval", "--set", "train.learning_rate_schedule=burda")
    model = keras.models.load_model(out / "model.keras")
    steps = 15  # 1,500 digits in batches of 100
    assert int(model.optimizer.iterations) == 8 * steps
    schedule = model.optimizer._learning_rate  # restored from the .keras file
    assert isinstance(schedule, keras.optimizers.schedules.PiecewiseConstantDecay)
    assert list(schedule.boundaries) == [e * steps - 1 for e in range(1, 8)]  # a stage an epoch
    # 8 stages from the preset's 1e-2 down to 1e-3 (Burda et al.'s 1e-3 .. 1e-4, scaled).
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3, rel=1e-6)


def test_a_scheduled_run_resumes_only_with_the_same_length():
    from kgen.cli import presets, rundir

    config = presets.resolve("vae_digits", epochs=8)
    longer = presets.resolve("vae_digits", epochs=9, overrides=["train.jit_compile=true"])
    assert rundir._comparable(config) == rundir._comparable(longer)
    scheduled = ["train.learning_rate_schedule=burda"]
    config = presets.resolve("vae_digits", epochs=8, overrides=scheduled)
    longer = presets.resolve("vae_digits", epochs=9, overrides=scheduled)
    assert rundir._comparable(config) != rundir._comparable(longer)
    older = {k: dict(v) if isinstance(v, dict) else v
             for k, v in presets.resolve("vae_digits").items()}
    del older["train"]["learning_rate_schedule"]  # written before the key existed
    assert rundir._comparable(older) == rundir._comparable(presets.resolve("vae_digits"))
