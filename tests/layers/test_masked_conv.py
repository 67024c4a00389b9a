"""MaskedConv2D: masks "A" / "B" and colour groups from the Jacobian, applied in call."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import testing
from kgen.layers import MaskedConv2D
from kgen.layers.masked_conv import conv_mask


def _net(channels, kernel_size, types, extra=2, seed=0):
    rng = np.random.default_rng(seed)
    layers = [MaskedConv2D(6 if i < len(types) - 1 else channels * extra, kernel_size, t,
                           num_colours=channels) for i, t in enumerate(types)]
    h = x = keras.Input((4, 4, channels))
    for layer in layers:
        h = layer(h)
        layer.kernel.assign(rng.normal(size=layer.kernel.shape).astype("float32"))
        layer.bias.assign(rng.normal(size=layer.bias.shape).astype("float32"))
    model = keras.Model(x, h)
    return lambda v: tf.reshape(model(tf.cast(v, tf.float32)), (-1, 4, 4, channels, extra))


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("kernel_size", [3, 5])
def test_a_then_b_is_autoregressive_in_raster_and_colour_order(channels, kernel_size):
    x = np.random.default_rng(1).normal(size=(3, 4, 4, channels)).astype("float32")
    testing.assert_autoregressive(_net(channels, kernel_size, "ABB"), x)


@pytest.mark.parametrize("channels", [1, 3])
def test_b_first_sees_its_own_sub_pixel(channels):
    x = np.random.default_rng(1).normal(size=(3, 4, 4, channels)).astype("float32")
    with pytest.raises(AssertionError, match="not autoregressive"):
        testing.assert_autoregressive(_net(channels, 3, "BB"), x)


def test_mask_a_hides_the_centre_colour_and_later_colours():
    mask = conv_mask(3, 3, 3, "A", num_colours=3)
    np.testing.assert_array_equal(mask[1, 1], np.tril(np.ones((3, 3)), -1).T)
    np.testing.assert_array_equal(conv_mask(3, 3, 3, "B", num_colours=3)[1, 1],
                                  np.triu(np.ones((3, 3))))
    assert mask[0].all() and mask[1, 0].all() and not mask[1, 2].any() and not mask[2].any()


def test_the_mask_is_applied_in_call_not_written_into_the_kernel():
    layer = MaskedConv2D(2, 3, "A")
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 1)).astype("float32")
    layer(x)
    layer.kernel.assign(np.ones(layer.kernel.shape, "float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) ** 2)
    grad = tape.gradient(loss, layer.kernel).numpy()
    assert np.all(layer.kernel.numpy() == 1.0)  # the weight itself is never masked
    assert np.all(grad[layer.mask == 0] == 0) and np.any(grad[layer.mask == 1] != 0)
    expected = tf.nn.conv2d(x, layer.mask, 1, "SAME").numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_config_round_trip_keeps_the_mask():
    layer = MaskedConv2D(4, 5, "A", num_colours=2, name="m")
    clone = MaskedConv2D.from_config(layer.get_config())
    x = np.zeros((1, 6, 6, 2), "float32")
    layer(x), clone(x)
    np.testing.assert_array_equal(layer.mask, clone.mask)


def test_bad_arguments_raise_naming_them():
    testing.assert_raises_naming(ValueError, "mask_type", MaskedConv2D, 4, 3, "C")
    testing.assert_raises_naming(ValueError, "kernel_size", MaskedConv2D, 4, 4, "A")
    testing.assert_raises_naming(ValueError, "mask_type", MaskedConv2D, 4, 1, "A")
    testing.assert_raises_naming(TypeError, "filters", MaskedConv2D, 2.0, 3)
