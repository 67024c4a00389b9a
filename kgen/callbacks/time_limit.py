"""``TimeLimit``: stop training after a wall-time budget."""

import time

import keras

from kgen import checks


class TimeLimit(keras.callbacks.Callback):
    """Stops ``fit`` once ``minutes`` of wall time have passed, within the epoch.

    The budget counts from ``on_train_begin`` of this ``fit`` call (a resumed
    run gets a fresh budget). It is checked after every batch (every
    ``steps_per_execution`` steps) and at every epoch end: past it, the epoch
    ends early, validation, checkpoints and schedules see that shortened epoch
    as usual, and ``fit`` returns. With long epochs (a PixelRNN's 10 minutes,
    a Gated PixelCNN's 20 on a busy CPU) a check at epoch ends only would
    overrun a budget by up to an epoch. The epoch at which it stopped is in
    ``stopped_epoch`` (``None`` if the budget was not reached).

    Args:
        minutes: float > 0, the wall-time budget in minutes.

    Raises:
        ValueError: if ``minutes`` is not a positive number.
    """

    def __init__(self, minutes):
        super().__init__()
        if not checks.non_negative_float("minutes", minutes) > 0:
            raise ValueError(f"`minutes` must be > 0. Received: minutes={minutes}")
        self.minutes = float(minutes)
        self.stopped_epoch = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._deadline = time.time() + 60.0 * self.minutes

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()

    def _check(self):
        if time.time() >= self._deadline:
            self.stopped_epoch = self._epoch
            self.model.stop_training = True
