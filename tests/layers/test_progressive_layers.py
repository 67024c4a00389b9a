"""Progressive GAN's layers: pixel norm's formula, minibatch std-dev against NumPy, the
equalized layers' runtime scale, configs and bad input."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import layers, testing


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_pixel_norm_divides_by_the_root_mean_square_over_channels():
    x = _x((3, 4, 5, 6))
    expected = x / np.sqrt(np.mean(x.astype(np.float64) ** 2, -1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(layers.PixelNormalization()(x).numpy(), expected, rtol=2e-6)
    assert layers.PixelNormalization().epsilon == 1e-8
    np.testing.assert_allclose(layers.PixelNormalization(epsilon=1.0)(np.zeros((1, 2))), 0)


def _minibatch_std_reference(x, group):
    """Float64 NumPy: contiguous groups of `group` examples."""
    x = x.astype(np.float64)
    stats = [np.sqrt(x[k:k + group].var(axis=0) + 1e-8).mean()
             for k in range(0, len(x), group)]
    channel = np.repeat(stats, group)[:, None, None, None] * np.ones(x.shape[:3] + (1,))
    return np.concatenate([x, channel], -1)


@pytest.mark.parametrize("batch, group_size, group", [(8, 4, 4), (6, 4, 3), (5, 4, 1),
                                                      (3, 4, 3), (8, 1, 1)])
def test_minibatch_std_equals_the_numpy_reference(batch, group_size, group):
    x = _x((batch, 3, 3, 5), seed=batch)
    layer = layers.MinibatchStdDev(group_size=group_size)
    out = layer(x).numpy()
    assert out.shape == (batch, 3, 3, 6)
    np.testing.assert_allclose(out, _minibatch_std_reference(x, group), rtol=1e-5, atol=1e-6)
    assert int(layer.group(batch)) == group


def test_minibatch_std_groups_are_contiguous_so_replica_halves_agree():
    x = _x((8, 2, 2, 3))
    layer = layers.MinibatchStdDev(group_size=2)
    whole = layer(x).numpy()
    halves = np.concatenate([layer(x[:4]).numpy(), layer(x[4:]).numpy()])
    np.testing.assert_allclose(halves, whole, rtol=1e-6)
    # The statistic differs between groups, so mixing them up would be seen.
    assert len(np.unique(np.round(whole[:, 0, 0, -1], 5))) == 4


def test_equalized_dense_applies_the_n01_kernel_scaled_by_hes_constant():
    layer = layers.EqualizedDense(7, seed=0)
    x = _x((4, 20))
    y = layer(x).numpy()
    kernel = layer.kernel.numpy()
    assert layer.scale == pytest.approx(math.sqrt(2.0 / 20))
    np.testing.assert_allclose(layer.effective_kernel.numpy(), kernel * math.sqrt(2.0 / 20),
                               rtol=1e-6)
    dense = keras.layers.Dense(7)
    dense.build((None, 20))
    dense.set_weights([kernel * layer.scale, layer.bias.numpy()])
    np.testing.assert_allclose(y, dense(x).numpy(), rtol=1e-5, atol=1e-6)
    big = layers.EqualizedDense(2000, seed=1)
    big.build((None, 50))
    assert abs(big.kernel.numpy().std() - 1.0) < 0.02  # N(0, 1), not He-scaled
    assert abs(big.kernel.numpy().mean()) < 0.02


def test_equalized_conv_equals_conv2d_with_the_scaled_kernel():
    for padding in ("same", "valid"):
        layer = layers.EqualizedConv2D(5, 3, padding=padding, gain=1.0,
                                       activation="leaky_relu", seed=2)
        x = _x((2, 6, 6, 4))
        y = layer(x).numpy()
        assert layer.fan_in == 3 * 3 * 4 and layer.scale == pytest.approx(1 / 6)
        conv = keras.layers.Conv2D(5, 3, padding=padding, activation="leaky_relu")
        conv.build((None, 6, 6, 4))
        conv.set_weights([layer.kernel.numpy() / 6, layer.bias.numpy()])
        np.testing.assert_allclose(y, conv(x).numpy(), rtol=1e-5, atol=1e-6)
        assert y.shape == layer.compute_output_shape((2, 6, 6, 4))


def test_the_gradient_reaches_the_unscaled_kernel_times_the_constant():
    layer = layers.EqualizedDense(1, use_bias=False, seed=0)
    x = tf.constant(_x((3, 8)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x))
    grad = tape.gradient(loss, layer.kernel).numpy()
    np.testing.assert_allclose(grad[:, 0], x.numpy().sum(0) * layer.scale, rtol=1e-5)


def test_layers_round_trip_through_keras_files(tmp_path):
    inputs = keras.Input((4, 4, 2))
    h = layers.EqualizedConv2D(3, 3, seed=0)(inputs)
    h = layers.MinibatchStdDev(group_size=2)(layers.PixelNormalization()(h))
    out = layers.EqualizedDense(2, gain=1.0, seed=1)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, out)
    x = _x((4, 4, 4, 2))
    testing.assert_keras_round_trip(model, tmp_path, lambda m: m(x))
    for layer in model.layers[1:]:
        testing.assert_config_round_trip(layer)


def test_bad_arguments_are_named():
    testing.assert_raises_naming(ValueError, "group_size", layers.MinibatchStdDev, 0)
    testing.assert_raises_naming(ValueError, "epsilon", layers.PixelNormalization, -1.0)
    testing.assert_raises_naming(ValueError, "gain", layers.EqualizedDense, 3, gain=0)
    testing.assert_raises_naming(ValueError, "units", layers.EqualizedDense, 0)
    testing.assert_raises_naming(ValueError, "padding", layers.EqualizedConv2D, 3,
                                 padding="causal")
    testing.assert_raises_naming(ValueError, "inputs", layers.MinibatchStdDev(), _x((2, 3)))
