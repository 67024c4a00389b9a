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

    The mean is kept in float64. Put it before ``BackupAndRestore`` in the
    callback list: it is then saved before the backup, so a kill between the
    two leaves the mean ahead, and the re-run epoch is not added twice. An
    epoch missing from the mean (a kill in the other order) is listed in
    ``missing_epochs``.

    Args:
        from_epoch: int >= 1, the first epoch (1-based, counting the whole
            run) whose end-of-epoch weights enter the mean.
        path: optional ``.npz`` file that holds the mean between the
            invocations of a resumable run, with the weights' shapes.

    Raises:
        ValueError: if ``from_epoch`` is not an int >= 1, or if the saved mean
            belongs to weights of other shapes than the model's.
    """

    def __init__(self, from_epoch, path=None):
        super().__init__()
        if isinstance(from_epoch, bool) or not isinstance(from_epoch, int) or from_epoch < 1:
            raise ValueError(f"`from_epoch` must be an int >= 1. Received: {from_epoch!r}")
        self.from_epoch, self.path = from_epoch, path
        self.mean, self.count, self.through_epoch = None, 0, 0
        self.layout, self.missing_epochs, self._started = None, [], False
        if path is not None and pathlib.Path(path).is_file():
            with np.load(path) as saved:
                meta = json.loads(str(saved["meta"]))
                # Files of commit c0d77ac kept only the number of weights.
                self.layout = meta.get("layout")
                count = len(self.layout) if self.layout else meta["num_weights"]
                self.mean = [saved[f"w{i}"] for i in range(count)]
                self.count, self.through_epoch = meta["count"], meta["through_epoch"]

    def _model_layout(self):
        # Shapes only: paths carry the model's auto-name ("vae_1/..."), which
        # depends on what else the process built.
        return [list(w.shape) for w in self.model.weights]

    def on_epoch_begin(self, epoch, logs=None):
        if self._started:
            return
        self._started = True
        if self.layout is not None and self.layout != self._model_layout():
            raise ValueError(f"`path` {self.path} holds the mean of weights of shapes "
                             f"{self.layout}, the model has {self._model_layout()}; use "
                             f"another --run-dir.")
        # `epoch` epochs are done; those from from_epoch on should be in the mean.
        first = max(self.from_epoch, self.through_epoch + 1)
        if self.count and first <= epoch:
            self.missing_epochs.extend(range(first, epoch + 1))

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.from_epoch or epoch + 1 <= self.through_epoch:
            return
        weights = self.model.get_weights()
        self.layout = self._model_layout()
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
        meta = {"layout": self.layout, "count": self.count,
                "through_epoch": self.through_epoch}
        tmp = str(self.path) + ".tmp.npz"
        np.savez(tmp, meta=json.dumps(meta), **{f"w{i}": m for i, m in enumerate(self.mean)})
        os.replace(tmp, self.path)  # atomic: a kill leaves the old or the new

    def weights(self):
        """The mean, for ``set_weights``.

        Returns:
            A list of arrays in the dtypes of the model's weights, or ``None``
            before ``from_epoch``.
        """
        if self.mean is None:
            return None
        return [m.astype(w.dtype) for m, w in zip(self.mean, self.model.weights)]
