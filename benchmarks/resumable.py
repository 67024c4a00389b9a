"""A benchmark run that spans several invocations (sessions): ``--run-dir``.

The directory holds ``args.json`` (the command's settings, which a resumed
run must repeat), ``backup/`` (``keras.callbacks.BackupAndRestore``: weights,
optimizer state and epoch, kept when an invocation stops on its time budget),
``best.weights.h5`` (the best validation epoch so far) and ``state.json``
(the learning curve, the best value and epoch, the minutes and dates of each
invocation, the SHA-256 of the ``--init-from`` file). Re-running the same
command continues the run; only the time budget and the evaluation settings
may change between invocations.
"""

import json
import math
import os
import pathlib
import time

import keras

# Settings that may differ between the invocations of one run.
FREE = ("minutes", "num_samples", "run_dir", "tag", "curve_every")


class RunState:
    """The persistent state of one resumable run in ``run_dir``."""

    def __init__(self, run_dir, settings):
        self.path = pathlib.Path(run_dir)
        self.path.mkdir(parents=True, exist_ok=True)
        fixed = {k: v for k, v in settings.items() if k not in FREE}
        args_file = self.path / "args.json"
        if args_file.is_file():
            before = json.loads(args_file.read_text())
            # A flag added after the run began is absent from its args.json: its
            # default (None) is what that run used.
            changed = sorted(k for k in set(before) | set(fixed)
                             if before.get(k) != fixed.get(k))
            if changed:
                raise ValueError(f"`--run-dir` {self.path} holds a run with other settings "
                                 f"{changed}; repeat its command (args.json) or choose another "
                                 f"--run-dir. Received: --run-dir={self.path}")
        else:
            args_file.write_text(json.dumps(fixed, indent=1) + "\n")
        state_file = self.path / "state.json"
        self.state = (json.loads(state_file.read_text()) if state_file.is_file() else
                      {"curve": [], "best": None, "best_epoch": 0, "invocations": []})
        self.state["invocations"].append(
            {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "minutes": 0.0})
        self.best_weights = self.path / "best.weights.h5"

    @property
    def best(self):
        return math.inf if self.state["best"] is None else self.state["best"]

    def pin_init(self, record):
        """Records the ``--init-from`` file's SHA-256 on the first invocation;
        later ones must start from the same file (the weights then come from
        the backup, but the run's record names the file)."""
        before = self.state.get("init_from")
        if before is not None and before["sha256"] != record["sha256"]:
            raise ValueError(f"`--init-from` {record['file']} is not the file this run started "
                             f"from (SHA-256 {before['sha256'][:12]}..., now "
                             f"{record['sha256'][:12]}...). Received: --init-from="
                             f"{record['file']}")
        self.state["init_from"] = record
        self.write()

    def backup(self):
        """``BackupAndRestore`` that keeps its files when ``fit`` ends."""
        return keras.callbacks.BackupAndRestore(str(self.path / "backup"),
                                                delete_checkpoint=False)

    def record(self, curve, best, best_epoch, model, improved, invocation_minutes):
        """Saves the state after an epoch (and the weights if ``improved``)."""
        if improved:
            model.save_weights(str(self.best_weights))
        self.state.update(curve=curve, best=best, best_epoch=best_epoch)
        self.state["invocations"][-1]["minutes"] = round(invocation_minutes, 2)
        self.write()

    def write(self):
        tmp = self.path / "state.json.tmp"
        tmp.write_text(json.dumps(self.state) + "\n")
        os.replace(tmp, self.path / "state.json")  # atomic: a kill leaves the old or the new

    def total_minutes(self):
        return sum(i["minutes"] for i in self.state["invocations"])
