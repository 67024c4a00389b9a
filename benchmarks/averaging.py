"""Stochastic weight averaging for the NLL benchmark (``--average-from-epoch``).

The uniform mean of the weights at the end of each epoch from a given epoch
on (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better
Generalization", arXiv:1803.05407, Algorithm 1, with one snapshot an epoch
and a constant learning rate). After training, the benchmark keeps the mean
or the best epoch's weights, whichever has the better validation NLL.
"""

import json
import os
import pathlib

import keras
import numpy as np


class WeightAverage(keras.callbacks.Callback):
    """Keeps the running mean of the model's weights from ``from_epoch`` on.

    Args:
        from_epoch: int >= 1, the first epoch (1-based, counting the whole
            run) whose end-of-epoch weights enter the mean.
        path: optional ``.npz`` file that holds the mean between the
            invocations of a resumable run; an epoch already in the mean (one
            run again after a resume) is not added twice.
    """

    def __init__(self, from_epoch, path=None):
        super().__init__()
        if isinstance(from_epoch, bool) or not isinstance(from_epoch, int) or from_epoch < 1:
            raise ValueError(f"`from_epoch` must be an int >= 1. Received: {from_epoch!r}")
        self.from_epoch, self.path = from_epoch, path
        self.mean, self.count, self.through_epoch = None, 0, 0
        if path is not None and pathlib.Path(path).is_file():
            with np.load(path) as saved:
                meta = json.loads(str(saved["meta"]))
                self.mean = [saved[f"w{i}"] for i in range(meta["num_weights"])]
                self.count, self.through_epoch = meta["count"], meta["through_epoch"]

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.from_epoch or epoch + 1 <= self.through_epoch:
            return
        weights = self.model.get_weights()
        self.count += 1
        if self.mean is None:
            self.mean = [w.astype(np.float64) for w in weights]
        else:
            for m, w in zip(self.mean, weights):
                m += (w - m) / self.count
        self.through_epoch = epoch + 1
        if self.path is not None:
            self._save()

    def _save(self):
        meta = {"num_weights": len(self.mean), "count": self.count,
                "through_epoch": self.through_epoch}
        tmp = str(self.path) + ".tmp.npz"
        np.savez(tmp, meta=json.dumps(meta), **{f"w{i}": m for i, m in enumerate(self.mean)})
        os.replace(tmp, self.path)  # atomic: a kill leaves the old or the new

    def weights(self):
        """The mean, as float32 arrays for ``set_weights`` (``None`` before
        ``from_epoch``)."""
        return None if self.mean is None else [m.astype(np.float32) for m in self.mean]
