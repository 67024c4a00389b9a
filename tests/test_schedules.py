"""kgen.schedules: Burda et al.'s stepwise learning-rate decay."""

import keras
import numpy as np
import pytest

from kgen import schedules


def test_full_schedule_is_burdas():
    assert schedules.burda_stage_epochs() == [3**i for i in range(8)]
    lr = schedules.burda_learning_rate(steps_per_epoch=2500)  # batch 20 on 50k images
    first_steps = np.cumsum([0] + [3**i * 2500 for i in range(8)])
    rates = [float(lr(int(s))) for s in first_steps[:-1]]
    np.testing.assert_allclose(rates, [1e-3 * 10 ** (-i / 7) for i in range(8)], rtol=1e-6)
    assert float(lr(10**9)) == pytest.approx(1e-4)  # the last rate stays after the end


@pytest.mark.parametrize("epochs", [8, 9, 10, 11, 12, 15, 20, 30, 100, 2000, 3280, 10_000])
def test_compressed_stages_keep_the_proportions_and_the_length(epochs):
    stages = schedules.burda_stage_epochs(epochs)
    assert sum(stages) == epochs and len(stages) == 8 and min(stages) >= 1
    assert stages == sorted(stages)
    if epochs >= 3280:
        ratios = np.array(stages[1:]) / np.array(stages[:-1])
        np.testing.assert_allclose(ratios, 3, rtol=0.2)


def test_stage_changes_on_the_first_step_of_an_epoch():
    steps = 7
    lr = schedules.burda_learning_rate(steps, epochs=16, initial_learning_rate=0.5)
    stages = schedules.burda_stage_epochs(16)
    step = 0
    for i, length in enumerate(stages):
        expected = 0.5 * 10 ** (-i / 7)
        for s in (step, step + length * steps - 1):  # the first and the last step of stage i
            assert float(lr(s)) == pytest.approx(expected, rel=1e-6)
        step += length * steps


def test_schedule_serializes():
    lr = schedules.burda_learning_rate(5, epochs=20)
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(lr))
    assert [float(again(s)) for s in range(0, 100, 3)] == [float(lr(s)) for s in range(0, 100, 3)]


@pytest.mark.parametrize("kwargs, name", [
    ({"steps_per_epoch": 0}, "steps_per_epoch"),
    ({"steps_per_epoch": 1.5}, "steps_per_epoch"),
    ({"steps_per_epoch": 10, "epochs": 7}, "epochs"),
    ({"steps_per_epoch": 10, "initial_learning_rate": 0.0}, "initial_learning_rate"),
    ({"steps_per_epoch": 10, "initial_learning_rate": -1.0}, "initial_learning_rate"),
    ({"steps_per_epoch": 10, "num_stages": 1}, "num_stages"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        schedules.burda_learning_rate(**kwargs)


def test_an_optimizer_steps_with_the_stage_rate_of_each_epoch():
    # loss = w with a constant gradient of 1: each SGD step lowers w by the rate it used.
    steps, epochs = 3, 8
    lr = schedules.burda_learning_rate(steps, epochs=epochs, initial_learning_rate=0.1)
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss=lambda y, p: keras.ops.mean(p))
    kernel = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: kernel.append(float(model.weights[0].numpy()[0, 0])))
    x = np.ones((steps, 1), np.float32)
    model.fit(x, x, batch_size=1, epochs=epochs, shuffle=False, verbose=0, callbacks=[record])
    used = -np.diff([0.0] + kernel)
    expected = np.repeat([0.1 * 10 ** (-i / 7) for i in range(8)], steps)  # a stage an epoch
    np.testing.assert_allclose(used, expected, rtol=1e-5)
