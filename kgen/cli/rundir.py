"""The output directory of ``kgen train``: its layout, resumption and metrics.json.

Layout of ``--output-dir``::

    config.yaml      the resolved preset (written before training starts)
    backup/          keras.callbacks.BackupAndRestore (removed when fit ends)
    checkpoints/     best.weights.h5, the best epoch by the model's monitor;
                     last.weights.h5 and progress.json, the state where fit ended
                     (weights, optimizers, noise position; epochs completed, and the
                     epochs and time budget that fit was given), written before
                     backup/ is removed
    samples/         samples_epoch_NNNN.png (and latent_manifold.png for 2-D latents,
                     filters_epoch_NNNN.png for RBMs, DBNs and DBMs)
    tensorboard/     keras.callbacks.TensorBoard logs and the sample images
    history.csv      one row per epoch over all (resumed) invocations
    model.keras      the final model
    metrics.json     final metrics, written last: its presence marks a finished run

What re-running ``kgen train`` on a directory does (``RunDir.check``), so that
nothing a run wrote is ever deleted without ``--overwrite``:

| the directory holds | the same config | more epochs or a larger ``max_minutes`` |
| --- | --- | --- |
| nothing, or only the start of a run (no epoch finished) | train | train |
| ``backup/`` (killed while training) | resume from the last finished epoch | resume |
| ``last.weights.h5``, no ``model.keras`` (killed saving) | save, evaluate | continue training |
| ``model.keras``, no ``metrics.json`` (killed while evaluating) | evaluate, no training | continue training |
| ``model.keras`` and ``metrics.json`` (finished) | say so, exit 0 | continue training |

"More" is measured against what the last finished fit was given (``progress.json``),
so a continuation killed before its first epoch ended is continued by the same
command. A run that stopped on its time budget is finished for the same command;
a larger ``train.max_minutes`` trains it on, with that budget counted afresh.

A different config (other than ``RESUMABLE_CHANGES``) is refused, naming
``--output-dir``; so is a directory without ``config.yaml`` that holds files of
``RUN_FILES``' names (they are not a kgen run's, and would be overwritten).
``--overwrite`` removes the run files (``RUN_FILES`` only) of a kgen run directory
and trains afresh; it never clears a directory that holds no ``config.yaml``.
"""

import contextlib
import csv
import json
import math
import os
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
        self.last_weights = self.checkpoints / "last.weights.h5"
        self.progress = self.checkpoints / "progress.json"

    def has_backup(self):
        return (self.backup / "training_metadata.json").is_file()

    def check(self, config, overwrite=False):
        """Decides how a run starts, before anything is written.

        Returns:
            One of ``"fresh"`` (train from scratch; ``--overwrite`` given: the
            caller clears the run files first), ``"start"`` (train into a
            directory that holds no finished epoch, deleting nothing),
            ``"resume"`` (``backup/`` holds an interrupted run), ``"finish"``
            (a finished fit whose model.keras was not saved: save it, then
            evaluate), ``"evaluate"`` (a trained, unevaluated model),
            ``"continue"`` (train a finished run on, for more epochs or a larger
            time budget) or ``"finished"``.

        Raises:
            ValueError: naming ``--output-dir`` if it is a file, holds a run of
                a different config, or holds run files but no ``config.yaml``;
                naming ``--overwrite`` if the directory does not exist or is not
                a kgen run directory.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"`--output-dir` must be a directory. Received: --output-dir={self.path}"
                             " (a file)")
        if overwrite:
            if not self.path.is_dir():
                raise ValueError(f"`--overwrite` replaces an existing run, and --output-dir "
                                 f"{self.path} does not exist; leave --overwrite out. "
                                 f"Received: --overwrite with --output-dir={self.path}")
            if any(self.path.iterdir()) and not self.config.is_file():
                raise ValueError(f"`--overwrite` clears only a kgen run directory, and "
                                 f"--output-dir {self.path} holds other files (no config.yaml); "
                                 f"nothing was deleted. Choose another --output-dir. "
                                 f"Received: --overwrite with --output-dir={self.path}")
            return "fresh"
        if not self.path.exists() or not any(self.path.iterdir()):
            return "fresh"
        previous = yaml.safe_load(self.config.read_text()) if self.config.is_file() else None
        if not isinstance(previous, dict):
            found = [name for name in RUN_FILES if (self.path / name).exists()]
            if found:
                raise ValueError(
                    f"`--output-dir` {self.path} holds {found} but no config.yaml: not a kgen "
                    f"run, and training would overwrite them. Choose another --output-dir. "
                    f"Received: --output-dir={self.path}")
            previous = None
        if previous is not None and _comparable(previous) != _comparable(config):
            raise ValueError(
                f"`--output-dir` {self.path} holds a run of a different config (see its "
                f"config.yaml); re-run the same command to resume or continue it, pass "
                f"--overwrite to start again, or choose another --output-dir. "
                f"Received: --output-dir={self.path}")
        if self.has_backup():
            return "resume"
        progress = self._progress()
        finished_fit = progress if progress and "train" in progress else previous
        more = (_longer(config, finished_fit)
                and self.epochs_completed() < config["train"]["epochs"])
        if not self.model.is_file():
            if self.last_weights.is_file() and self.progress.is_file():
                return "continue" if more else "finish"
            if any((self.path / name).exists() for name in ("checkpoints", "metrics.json")):
                raise ValueError(
                    f"`--output-dir` {self.path} holds checkpoints but no model.keras and no "
                    f"backup; pass --overwrite to start again or choose another --output-dir. "
                    f"Received: --output-dir={self.path}")
            return "start"
        if more:
            return "continue"
        return "finished" if self.metrics.is_file() else "evaluate"

    def epochs_completed(self):
        """Epochs a finished fit completed: ``progress.json``, else ``history.csv``."""
        progress = self._progress()
        if progress is not None:
            return int(progress["epochs_completed"])
        return len(read_history(self.history).get("epoch", []))

    def _progress(self):
        """``progress.json`` as ``{"epochs_completed", "train": {"epochs",
        "max_minutes"}}``, or ``None``; files written before ``train`` was recorded
        lack it (``_longer`` then compares with ``config.yaml``)."""
        if not self.progress.is_file():
            return None
        return json.loads(self.progress.read_text())

    def write_progress(self, epochs_completed, train):
        """Records where a finished fit ended and the length it was given (its
        ``train.epochs`` and ``train.max_minutes``), atomically."""
        progress = {"epochs_completed": int(epochs_completed),
                    "train": {"epochs": train["epochs"], "max_minutes": train["max_minutes"]}}
        with atomic_path(self.progress) as tmp:
            tmp.write_text(json.dumps(progress) + "\n")

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
RESUMABLE_CHANGES = ("epochs", "jit_compile", "steps_per_execution", "strategy", "sample_every",
                     "max_minutes")


@contextlib.contextmanager
def atomic_path(target):
    """Yields a temporary path beside ``target`` (same suffix, so Keras accepts it)
    and moves it onto ``target`` when the block ends: a kill never leaves a
    half-written ``target``."""
    target = pathlib.Path(target)
    tmp = target.with_name(f".partial.{target.name}")
    yield tmp
    os.replace(tmp, target)


def _longer(config, previous):
    """Whether ``config`` asks for more training than ``previous`` (a config, or
    ``progress.json``): more epochs or a larger time budget (``None``: no budget)."""
    if previous is None:
        return True
    new, old = config["train"], previous.get("train", {})
    budget = (lambda m: math.inf if m is None else m)
    return (new["epochs"] > old.get("epochs", new["epochs"])
            or budget(new.get("max_minutes")) > budget(old.get("max_minutes")))


def read_history(path):
    """``history.csv`` as ``{column: [values]}`` (numbers as floats, ``epoch`` as ints;
    a repeated epoch keeps its last row), or ``{}``."""
    path = pathlib.Path(path)
    if not path.is_file():
        return {}
    rows = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            epoch = _float(row.get("epoch"))
            if epoch is not None:
                rows[int(epoch)] = row
    columns = {"epoch": sorted(rows)}
    for row in rows.values():
        for key in row:
            if key != "epoch":
                columns.setdefault(key, [])
    for key in columns:
        if key != "epoch":
            columns[key] = [_float(rows[e].get(key)) for e in columns["epoch"]]
    return columns


def _comparable(config):
    """The config without ``RESUMABLE_CHANGES`` (absent in older run directories) and
    without its ``evaluate`` section, but for ``evaluate.sample_metrics.every``: scoring
    during training adds columns to ``history.csv`` (whose header a resumed run keeps)
    and feeds the best checkpoint."""
    config = json.loads(json.dumps(config))
    evaluate = config.pop("evaluate", None) or {}  # the final evaluation changes no training
    every = (evaluate.get("sample_metrics") or {}).get("every")
    config["scored_every"] = every  # None in older run directories and without scoring
    train = config.get("train", {})
    scheduled = train.get("learning_rate_schedule") is not None
    for key in RESUMABLE_CHANGES:
        if not (key == "epochs" and scheduled):
            train.pop(key, None)
    train.setdefault("learning_rate_schedule", None)  # older run directories lack it
    train.setdefault("player_optimizers", None)
    config.setdefault("data", {}).setdefault("labels", False)
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


def summarize(history, wall_time, config, preset, initial_epoch, all_epochs=None, best=None):
    """The metrics of a finished ``fit``: train / validation values and the history, of
    all invocations when ``all_epochs`` (``read_history``) is given. The values are the
    last epoch's, or with ``best=(monitor, mode)`` (``train.restore_best``) those of the
    epoch whose weights were saved, the best by ``monitor`` (``saved_epoch``, 1-based)."""
    logs = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    rows = all_epochs or {"epoch": list(history.epoch), **logs}
    last = {k: vals[-1] for k, vals in logs.items() if vals}
    if all_epochs and not last:  # no epoch ran now: the last row of earlier ones
        last = {k: v[-1] for k, v in all_epochs.items() if k != "epoch" and v}
    saved = len(rows.get("epoch", ())) or None
    if best is not None and rows.get(best[0]):
        values = rows[best[0]]
        index = (max if best[1] == "max" else min)(range(len(values)), key=values.__getitem__)
        last = {k: v[index] for k, v in rows.items() if k != "epoch" and len(v) > index}
        saved = index + 1
    return {
        "preset": preset,
        "model": config["model"],
        "epochs": config["train"]["epochs"],
        "initial_epoch": initial_epoch,
        "epochs_run": len(history.epoch),
        "saved_epoch": saved,
        "wall_time_seconds": wall_time,
        "train": {k: v for k, v in last.items() if not k.startswith("val_")},
        "validation": {k[4:]: v for k, v in last.items() if k.startswith("val_")},
        "history": rows,
    }
