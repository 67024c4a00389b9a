"""Learning-rate schedules of the papers kgen reproduces."""

import keras

from kgen import checks

#: Burda et al.'s schedule has 8 stages; stage ``i`` lasts ``3**i`` epochs,
#: 3280 epochs in all.
BURDA_STAGES = 8
BURDA_EPOCHS = sum(3**i for i in range(BURDA_STAGES))


def burda_stage_epochs(epochs=BURDA_EPOCHS, num_stages=BURDA_STAGES):
    """Epochs per stage of the schedule of :func:`burda_learning_rate`.

    Stage ``i`` lasts ``3**i`` epochs, scaled so that the stages add up to
    ``epochs`` (each stage at least one epoch; the last takes the rounding).

    Args:
        epochs: int >= ``num_stages``, the length of the whole schedule.
        num_stages: int >= 1.

    Returns:
        A non-decreasing list of ``num_stages`` positive ints that add up to
        ``epochs``.

    Raises:
        TypeError, ValueError: naming the argument, if it is not an int in range.
    """
    num_stages = checks.positive_int("num_stages", num_stages)
    epochs = checks.positive_int("epochs", epochs, minimum=num_stages)
    total = sum(3**i for i in range(num_stages))
    stages = [max(1, round(3**i * epochs / total)) for i in range(num_stages - 1)]
    stages.append(epochs - sum(stages))
    if stages[-1] < 1:  # only when many stages share few epochs
        stages = [1] * (num_stages - 1) + [epochs - num_stages + 1]
    # With few epochs the one-epoch minimum can leave the last stage short;
    # sorting keeps the total and the lengths and makes them non-decreasing.
    return sorted(stages)


def burda_learning_rate(steps_per_epoch, epochs=BURDA_EPOCHS, initial_learning_rate=1e-3,
                        num_stages=BURDA_STAGES):
    """The stepwise learning-rate decay of Burda et al. 2016 (IWAE), sec. 5.

    Stage ``i = 0 .. num_stages - 1`` uses the learning rate
    ``initial_learning_rate * 10**(-i / 7)`` for ``3**i`` epochs: with the
    defaults, 1e-3 for one epoch down to 1e-4 for the last 2187, 3280 epochs in
    all. A shorter ``epochs`` scales every stage by the same factor; the rates
    are unchanged.

    Reference: Y. Burda, R. Grosse, R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016, arXiv:1509.00519, sec. 5 (they train with Adam,
    beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-4, batch size 20).

    Args:
        steps_per_epoch: int >= 1, optimizer steps in one epoch (batches per
            epoch of the training data).
        epochs: int >= ``num_stages``, the length of the schedule in epochs.
        initial_learning_rate: positive float, the rate of stage 0.
        num_stages: int >= 2. Stage ``num_stages - 1`` runs at
            ``initial_learning_rate * 10**(-(num_stages - 1) / 7)``.

    Returns:
        A ``keras.optimizers.schedules.PiecewiseConstantDecay`` that maps the
        optimizer's step count to the learning rate (serializable, so a
        ``.keras`` file and ``BackupAndRestore`` keep it).

    Raises:
        TypeError, ValueError: naming the argument, if it is out of range.

    Example:

    >>> lr = kgen.schedules.burda_learning_rate(steps_per_epoch=500)
    >>> model.compile(optimizer=keras.optimizers.Adam(lr, epsilon=1e-4))
    """
    steps_per_epoch = checks.positive_int("steps_per_epoch", steps_per_epoch)
    rate = checks.non_negative_float("initial_learning_rate", initial_learning_rate)
    if rate == 0:
        raise ValueError("`initial_learning_rate` must be > 0. "
                         f"Received: initial_learning_rate={initial_learning_rate!r}")
    num_stages = checks.positive_int("num_stages", num_stages, minimum=2)
    stages = burda_stage_epochs(epochs, num_stages)
    boundaries, end = [], 0
    for length in stages[:-1]:
        end += length
        boundaries.append(end * steps_per_epoch - 1)  # steps count from 0
    values = [rate * 10 ** (-i / 7) for i in range(len(stages))]
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
