"""``TimeLimit``: stop training after a wall-time budget."""

import time

import keras

from kgen import checks


class TimeLimit(keras.callbacks.Callback):
    """Stops ``fit`` at the end of the first epoch that ends past ``minutes``.

    The budget counts from ``on_train_begin`` of this ``fit`` call (a resumed
    run gets a fresh budget). The epoch at which it stopped is in
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

    def on_train_begin(self, logs=None):
        self._deadline = time.time() + 60.0 * self.minutes

    def on_epoch_end(self, epoch, logs=None):
        if time.time() >= self._deadline:
            self.stopped_epoch = epoch
            self.model.stop_training = True
