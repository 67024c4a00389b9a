"""The output directory of ``kgen train``: its layout, resumption and metrics.json.

Layout of ``--output-dir``::

    config.yaml      the resolved preset (written before training starts)
    backup/          keras.callbacks.BackupAndRestore (removed when fit ends)
    checkpoints/     best.weights.h5, the best epoch by validation ELBO or loss
    samples/         samples_epoch_NNNN.png (and latent_manifold.png for 2-D latents)
    tensorboard/     keras.callbacks.TensorBoard logs and the sample images
    history.csv      one row per epoch over all (resumed) invocations
    model.keras      the final model
    metrics.json     final metrics, written last: its presence marks a finished run
"""

import csv
import json
import math
import pathlib
import shutil

import yaml

RUN_FILES = ("backup", "checkpoints", "samples", "tensorboard", "history.csv",
             "model.keras", "metrics.json", "config.yaml")


class RunDir:
    """Paths of one training run's output directory."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.backup = self.path / "backup"
        self.checkpoints = self.path / "checkpoints"
        self.samples = self.path / "samples"
        self.tensorboard = self.path / "tensorboard"
        self.history = self.path / "history.csv"
        self.model = self.path / "model.keras"
        self.metrics = self.path / "metrics.json"
        self.config = self.path / "config.yaml"

    def has_backup(self):
        return (self.backup / "training_metadata.json").is_file()

    def check(self, config, overwrite=False):
        """Decides how a run starts, before anything is written.

        Returns:
            ``"resume"`` if ``backup/`` holds an interrupted run of the same
            config (``RESUMABLE_CHANGES`` aside), else ``"fresh"``.

        Raises:
            ValueError: naming ``--output-dir`` if it is a file, holds a
                finished run (``metrics.json``) and ``overwrite`` is False,
                or holds an interrupted run of a different config.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"`--output-dir` must be a directory. Received: --output-dir={self.path}"
                             " (a file)")
        if overwrite or not self.path.exists():
            return "fresh"
        if self.has_backup():
            previous = yaml.safe_load(self.config.read_text()) if self.config.is_file() else None
            if previous is not None and _comparable(previous) != _comparable(config):
                raise ValueError(
                    f"`--output-dir` {self.path} holds an interrupted run of a different config "
                    f"(see its config.yaml); re-run the same command to resume, pass --overwrite "
                    f"to start again, or choose another --output-dir. Received: --output-dir={self.path}")
            return "resume"
        if self.metrics.is_file():
            raise ValueError(
                f"`--output-dir` {self.path} holds a finished run (metrics.json). Pass --overwrite "
                f"to train again or choose another --output-dir. Received: --output-dir={self.path}")
        return "fresh"

    def clear(self):
        """Removes the files of an earlier run (only ``RUN_FILES``, nothing else)."""
        for name in RUN_FILES:
            target = self.path / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    def best_logged(self, monitor, mode):
        """The best ``monitor`` value in ``history.csv``, or ``None`` (for resumed checkpoints)."""
        if not self.history.is_file():
            return None
        with open(self.history, newline="") as f:
            values = [_float(row.get(monitor)) for row in csv.DictReader(f)]
        values = [v for v in values if v is not None and math.isfinite(v)]
        if not values:
            return None
        return max(values) if mode == "max" else min(values)

    def write_json(self, metrics):
        self.metrics.write_text(json.dumps(_jsonable(metrics), indent=2) + "\n")


# Keys a resumed run may change: the length of training and how fast it runs.
# The length may not change under a learning-rate schedule: the schedule spans it.
RESUMABLE_CHANGES = ("epochs", "jit_compile", "steps_per_execution", "strategy", "sample_every")


def _comparable(config):
    """The config without ``RESUMABLE_CHANGES`` (absent in older run directories)."""
    config = json.loads(json.dumps(config))
    train = config.get("train", {})
    scheduled = train.get("learning_rate_schedule") is not None
    for key in RESUMABLE_CHANGES:
        if not (key == "epochs" and scheduled):
            train.pop(key, None)
    train.setdefault("learning_rate_schedule", None)  # older run directories lack it
    train.setdefault("player_optimizers", None)
    return config


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _jsonable(value):
    """Plain JSON: NumPy scalars to Python numbers, NaN/Inf to ``None``."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summarize(history, wall_time, config, preset, initial_epoch):
    """The metrics of a finished ``fit``: last train / validation values and the history."""
    logs = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    last = {k: vals[-1] for k, vals in logs.items() if vals}
    return {
        "preset": preset,
        "model": config["model"],
        "epochs": config["train"]["epochs"],
        "initial_epoch": initial_epoch,
        "epochs_run": len(history.epoch),
        "wall_time_seconds": wall_time,
        "train": {k: v for k, v in last.items() if not k.startswith("val_")},
        "validation": {k[4:]: v for k, v in last.items() if k.startswith("val_")},
        "history": {"epoch": list(history.epoch), **logs},
    }
