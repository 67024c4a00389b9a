"""Greedy training in one ``fit``: a stage of epochs per layer, switched at epoch starts.

A DBN's ``layer_epochs`` and a DBM's ``pretraining_epochs`` give stage i its
number of epochs; the stage after the listed ones (a DBN's top RBM, a DBM's
joint training) runs for the rest of the ``fit``. ``fit(x, epochs=E)`` is then
the whole greedy procedure, so ``kgen train`` (one ``fit`` call), its callbacks,
``BackupAndRestore`` and ``TimeLimit`` apply unchanged: the stage is a function
of the epoch, so a resumed or continued fit finds its stage from the epoch it
restarts at.

``StageSchedule`` (the model's ``fit`` adds it) calls ``enter(stage)`` at the
start of an epoch whose stage differs from the model's; ``enter`` selects the
layer (dropping the train function) and initializes it from data if needed; the
callback then builds the train function again (``fit`` looks it up at every
step), which retraces once per stage.
"""

import keras

from kgen import checks


def check_stage_epochs(name, value, count):
    """Checks ``value``: None, or a sequence of ``count`` ints >= 0; returns a tuple or None.

    Raises:
        ValueError / TypeError: naming ``name``.
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != count:
        raise ValueError(f"`{name}` must be None or a sequence of {count} ints >= 0 (epochs "
                         f"per stage). Received: {name}={value!r}")
    return tuple(checks.positive_int(name, e, minimum=0) for e in value)


def stage_at(epoch, stage_epochs):
    """The stage of 0-based ``epoch``: i while the first i + 1 stages' epochs are not
    spent, ``len(stage_epochs)`` (the open last stage) after them."""
    end = 0
    for stage, epochs in enumerate(stage_epochs):
        end += epochs
        if epoch < end:
            return stage
    return len(stage_epochs)


class StageSchedule(keras.callbacks.Callback):
    """Enters the stage of each epoch at its start (``stage_at``).

    Args:
        stage_epochs: tuple of ints, the epochs of each listed stage.
        current: callable returning the model's current stage.
        enter: callable ``enter(stage)`` that makes ``stage`` current.
    """

    def __init__(self, stage_epochs, current, enter):
        super().__init__()
        self.stage_epochs, self.current, self.enter = stage_epochs, current, enter

    def on_epoch_begin(self, epoch, logs=None):
        stage = stage_at(epoch, self.stage_epochs)
        if stage != self.current():
            self.enter(stage)
            self.model.make_train_function(force=True)


def add_schedule(kwargs, schedule):
    """``fit``'s keyword arguments with ``schedule`` first among the callbacks."""
    callbacks = kwargs.get("callbacks")
    if isinstance(callbacks, keras.callbacks.CallbackList):
        callbacks = list(callbacks.callbacks)
    return {**kwargs, "callbacks": [schedule] + list(callbacks or [])}


__all__ = ["StageSchedule", "add_schedule", "check_stage_epochs", "stage_at"]
