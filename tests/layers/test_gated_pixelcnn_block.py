"""GatedPixelCNNBlock: the stacks' masks, the shifted vertical link, gates, conditioning."""

import numpy as np
import tensorflow as tf

from kgen import testing
from kgen.layers import GatedPixelCNNBlock
from kgen.layers.gated_pixelcnn import horizontal_mask, shift_down


def _randomized(block, inputs, seed=0):
    block(inputs)
    rng = np.random.default_rng(seed)
    for w in block.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    return block


def test_the_horizontal_mask_sees_the_left_and_the_centre_by_colour():
    mask = horizontal_mask(5, 3, 3, "A", num_colours=3)
    assert mask.shape == (1, 3, 3, 6)
    assert mask[0, :2].all()  # columns j - 2, j - 1
    np.testing.assert_array_equal(mask[0, 2, :, :3], np.triu(np.ones((3, 3)), 1))
    np.testing.assert_array_equal(mask[0, 2, :, 3:], mask[0, 2, :, :3])  # tanh and gate
    assert not horizontal_mask(3, 1, 4, "A")[0, 1].any()
    assert horizontal_mask(3, 4, 4, "B")[0, 1].all()


def test_the_vertical_stack_sees_rows_up_to_its_own_and_reaches_h_shifted_down():
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 1)).astype("float32")
    block = _randomized(GatedPixelCNNBlock(3, 3, "A"), [x, x])

    def vertical_only(v):  # the vertical input alone, the horizontal input fixed
        return block([v, tf.cast(x, v.dtype)])
    v = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(v)
        v_out, h_out = vertical_only(v)
        v_centre, h_centre = tf.reduce_sum(v_out[:, 2, 2]), tf.reduce_sum(h_out[:, 2, 2])
    seen_v = np.abs(tape.gradient(v_centre, v).numpy()).max((0, 3)) > 0
    seen_h = np.abs(tape.gradient(h_centre, v).numpy()).max((0, 3)) > 0
    expected = np.zeros((5, 5), bool)
    expected[1:3, 1:4] = True  # v at (2, 2): rows 1, 2 (up to its own), columns 1 ... 3
    np.testing.assert_array_equal(seen_v, expected)
    # h at (2, 2) gets v of row 1, which saw rows 0 and 1: nothing of its own row
    np.testing.assert_array_equal(seen_h, np.roll(expected, -1, axis=0))
    np.testing.assert_array_equal(shift_down(x)[:, 1:], x[:, :-1])


def test_the_mask_is_applied_in_call_not_written_into_the_kernel():
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 1)).astype("float32")
    block = GatedPixelCNNBlock(2, 3, "A")
    block([x, x])
    block.horizontal_kernel.assign(np.ones(block.horizontal_kernel.shape, "float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(block([x, x])[1] ** 2)
    grad = tape.gradient(loss, block.horizontal_kernel).numpy()
    assert np.all(block.horizontal_kernel.numpy() == 1.0)
    mask = block.horizontal_mask
    assert np.all(grad[mask == 0] == 0) and np.any(grad[mask == 1] != 0)


def test_the_condition_shifts_every_gate_and_the_residual_adds_the_input():
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32")
    y = np.eye(2, dtype="float32")
    block = _randomized(GatedPixelCNNBlock(3, 3, "B", condition_dim=2), [x, x, y])
    v0, h0 = (t.numpy() for t in block([x, x, y]))
    v1, h1 = (t.numpy() for t in block([x, x, y[::-1]]))
    assert np.abs(v0 - v1).min() > 0 and np.abs(h0 - h1).min() > 0
    last = _randomized(GatedPixelCNNBlock(3, 3, "B", vertical_output=False), [x, x])
    assert not any("vertical_condition" in w.path for w in last.weights)
    pre_zero = last.horizontal_output(x, np.zeros((2, 4, 4, 6), "float32")).numpy()
    expected = x + last.output_bias.numpy() + (0.0 * x) @ last.output_kernel.numpy()
    np.testing.assert_allclose(pre_zero, expected, rtol=1e-6)  # tanh(0) = 0: h_out = h + b


def test_config_round_trip_and_bad_arguments():
    block = GatedPixelCNNBlock(4, 5, "A", num_colours=2, condition_dim=3,
                               vertical_output=False, name="g")
    clone = GatedPixelCNNBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()
    testing.assert_raises_naming(ValueError, "mask_type", GatedPixelCNNBlock, 4, 3, "C")
    testing.assert_raises_naming(ValueError, "kernel_size", GatedPixelCNNBlock, 4, 4)
    testing.assert_raises_naming(TypeError, "filters", GatedPixelCNNBlock, 2.0, 3)
    x = np.zeros((1, 4, 4, 3), "float32")
    with testing.assert_raises_naming(ValueError, "filters"):
        GatedPixelCNNBlock(4, 3, "B")([x, x])
    with testing.assert_raises_naming(ValueError, "inputs"):
        GatedPixelCNNBlock(3, 3, "B", condition_dim=2)([x, x])
