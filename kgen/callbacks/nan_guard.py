"""``NaNGuard``: stop on a non-finite loss and keep the last good weights."""

import keras
import numpy as np


class NaNGuard(keras.callbacks.Callback):
    """Stops training on a NaN or infinite loss and restores the last good weights.

    The losses watched are ``loss`` and every ``*_loss`` of the logs (each
    player's, e.g. ``d_loss`` and ``g_loss``); every optimizer of the model
    (one per player) is restored with the weights.

    Like ``keras.callbacks.TerminateOnNaN``, but the model does not end with
    the NaN weights that the bad step wrote: the callback snapshots the
    weights (``model.get_weights()``) and the optimizer's variables at the
    start of the first epoch and at the end of every epoch whose loss is
    finite.
    After a batch whose ``loss`` is NaN or infinite, and at the end of an
    epoch whose ``loss`` is, it restores the snapshot, sets
    ``model.stop_training = True`` and records where it happened. Restoring
    the optimizer too (its moments may hold NaN as well) lets a later
    ``fit`` continue from the snapshot.

    The first snapshot is taken when the first epoch begins, after every
    callback's ``on_train_begin``, so it holds the weights that
    ``keras.callbacks.BackupAndRestore`` restores in a resumed run. List
    ``NaNGuard`` before ``BackupAndRestore`` so that an epoch whose end
    shows a non-finite loss is restored before it is backed up.

    Attributes:
        stopped_at: ``(epoch, batch)`` of the non-finite loss (0-based;
            ``batch`` is ``None`` when only the epoch's logs showed it), or
            ``None`` if training ended normally.
        snapshot_epoch: the number of epochs finished when the current
            snapshot was taken (0 = before training).

    Example:

    >>> guard = NaNGuard()
    >>> model.fit(train, epochs=10, callbacks=[guard])
    >>> guard.stopped_at         # None, or e.g. (3, 117)
    """

    def __init__(self):
        super().__init__()
        self.stopped_at = None
        self.snapshot_epoch = None
        self._weights = None
        self._optimizer_variables = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.stopped_at = None
        self.snapshot_epoch = None
        self._weights = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._weights is None:
            self._snapshot(epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self.stopped_at is None and not _finite_loss(logs):
            self._stop(self._epoch, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_at is not None:
            return
        if not _finite_loss(logs):
            self._stop(epoch, None)
        else:
            self._snapshot(epoch + 1)

    def _snapshot(self, epochs_done):
        self._weights = self.model.get_weights()
        self._optimizer_variables = [[np.array(v) for v in o.variables]
                                     for o in _optimizers(self.model)]
        self.snapshot_epoch = epochs_done

    def _stop(self, epoch, batch):
        self.model.set_weights(self._weights)
        optimizers = _optimizers(self.model)
        if self._optimizer_variables is not None and len(optimizers) == len(
                self._optimizer_variables):
            for optimizer, values in zip(optimizers, self._optimizer_variables):
                if len(optimizer.variables) == len(values):
                    for variable, value in zip(optimizer.variables, values):
                        variable.assign(value)
        self.model.stop_training = True
        self.stopped_at = (epoch, batch)
        where = f"epoch {epoch}" + ("" if batch is None else f", batch {batch}")
        print(f"NaNGuard: non-finite loss at {where}; restored the weights of the end "
              f"of epoch {self.snapshot_epoch} and stopped training.")


def _optimizers(model):
    """Every optimizer of ``model``: one per player for a game (``d_loss`` and
    ``g_loss`` of a GAN), else ``model.optimizer``."""
    by_name = getattr(model, "optimizers_by_name", None)
    if by_name is not None:
        return list(by_name().values())
    optimizer = getattr(model, "optimizer", None)
    return [] if optimizer is None else [optimizer]


def _finite_loss(logs):
    """False if ``logs`` holds a NaN or infinite ``loss`` or ``*_loss`` (a
    player's loss, e.g. ``d_loss``)."""
    if not logs:
        return True
    for key in logs:
        if key != "loss" and not key.endswith("_loss"):
            continue
        try:
            if not np.all(np.isfinite(np.asarray(logs[key], dtype=np.float64))):
                return False
        except (TypeError, ValueError):
            continue
    return True
