"""The papers' preprocessing: dequantization, logit transform, binarization, scaling."""

import numpy as np
import pytest
import tensorflow as tf

import kgen.data
from kgen.data import (
    dynamic_binarize,
    inverse_logit_transform,
    logit_transform,
    scale_from_minus_one_one,
    scale_to_minus_one_one,
    uniform_dequantize,
)


# --- uniform dequantization -------------------------------------------------------


@pytest.mark.parametrize("dtype", [tf.uint8, tf.int32, tf.float32])
def test_dequantized_pixels_lie_in_unit_interval_and_floor_recovers_them(dtype):
    x = tf.cast(tf.tile(tf.range(256), [200]), dtype)
    y = uniform_dequantize(x, seed=0)
    assert y.dtype == tf.float32
    y = y.numpy()
    assert y.min() >= 0.0 and y.max() < 1.0
    np.testing.assert_array_equal(np.floor(256.0 * y).astype(np.int64), np.tile(np.arange(256), 200))


def test_dequantizing_255_never_rounds_up_to_one():
    # float32(255 + u) rounds to 256 for u > 1 - 2**-17: ~15 of 2M draws would hit 1.0.
    y = uniform_dequantize(tf.fill([2_000_000], tf.constant(255, tf.uint8)), seed=3).numpy()
    assert y.max() < 1.0
    assert np.all(np.floor(256.0 * y) == 255)


def test_dequantization_noise_is_uniform_within_each_level():
    y = uniform_dequantize(tf.zeros([100_000], tf.uint8), seed=1).numpy()
    u = 256.0 * y
    # Mean and variance of U[0, 1) are 1/2 and 1/12; tolerances are > 5 standard errors.
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / len(u))
    assert abs(u.var() - 1 / 12) < 0.002


def test_dequantization_is_reproducible_with_a_seed():
    x = tf.constant([[3, 200], [17, 255]], tf.uint8)
    np.testing.assert_array_equal(uniform_dequantize(x, seed=5), uniform_dequantize(x, seed=5))
    assert not np.array_equal(uniform_dequantize(x, seed=5), uniform_dequantize(x, seed=6))


# --- logit transform --------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 1e-3, 1e-6])
def test_inverse_logit_transform_round_trips_to_1e_5(alpha):
    x = tf.random.stateless_uniform([64, 28, 28, 1], seed=[0, 1])
    x = tf.concat([x, tf.zeros([1, 28, 28, 1]), tf.ones([1, 28, 28, 1])], axis=0)
    back = inverse_logit_transform(logit_transform(x, alpha=alpha), alpha=alpha)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)


def test_logit_transform_maps_half_to_zero_and_ends_to_finite_values():
    y = logit_transform(tf.constant([0.0, 0.5, 1.0]), alpha=0.05).numpy()
    np.testing.assert_allclose(y, [np.log(0.05 / 0.95), 0.0, np.log(0.95 / 0.05)], rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_logit_log_det_equals_log_det_of_autodiff_jacobian(alpha):
    x = tf.random.stateless_uniform([3, 2, 2, 1], seed=[4, 2], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, log_det = logit_transform(x, alpha=alpha, return_log_det=True)
    # Full per-example Jacobian [batch, 4, 4]: diagonal, since the map is elementwise.
    jac = tf.reshape(tape.batch_jacobian(y, x), [3, 4, 4])
    off_diagonal = jac - tf.linalg.diag(tf.linalg.diag_part(jac))
    assert np.all(off_diagonal.numpy() == 0.0)
    _, log_abs_det = tf.linalg.slogdet(jac)
    np.testing.assert_allclose(log_det.numpy(), log_abs_det.numpy(), rtol=1e-10)


def test_logit_log_det_equals_sum_of_log_elementwise_derivatives_on_images():
    x = tf.random.stateless_uniform([8, 28, 28, 1], seed=[9, 9])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, log_det = logit_transform(x, alpha=0.05, return_log_det=True)
    derivative = tape.gradient(y, x)  # elementwise map: d(sum y)/dx_i = dy_i/dx_i
    expected = tf.reduce_sum(tf.math.log(derivative), axis=[1, 2, 3])
    assert log_det.shape == (8,)
    np.testing.assert_allclose(log_det.numpy(), expected.numpy(), rtol=1e-5)


def test_inverse_log_det_is_negative_forward_log_det():
    x = tf.random.stateless_uniform([5, 10], seed=[1, 1], dtype=tf.float64)
    y, forward = logit_transform(x, alpha=0.05, return_log_det=True)
    _, inverse = inverse_logit_transform(y, alpha=0.05, return_log_det=True)
    np.testing.assert_allclose(inverse.numpy(), -forward.numpy(), rtol=1e-10)


# --- dynamic binarization ---------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_pixels():
    (x,) = list(kgen.data.load("mnist_test", "test", batch_size=10_000))
    return x


def test_binarized_pixels_are_zero_or_one_with_the_grey_level_mean(mnist_pixels):
    b = dynamic_binarize(mnist_pixels, seed=0).numpy()
    assert b.shape == (10_000, 28, 28, 1) and b.dtype == np.float32
    assert set(np.unique(b).tolist()) <= {0.0, 1.0}
    p = mnist_pixels.numpy().astype(np.float64)
    # Sum of independent Bernoullis: std of the mean is sqrt(sum p(1-p)) / n; allow 5 std.
    tolerance = 5 * np.sqrt(np.sum(p * (1 - p))) / p.size
    assert abs(b.mean() - p.mean()) < tolerance


def test_binarization_frequency_matches_each_pixel_probability():
    p = tf.reshape(tf.linspace(0.0, 1.0, 50), [1, 50])
    draws = dynamic_binarize(tf.tile(p, [4000, 1]), seed=7).numpy().mean(axis=0)
    std = np.sqrt(p.numpy()[0] * (1 - p.numpy()[0]) / 4000)
    assert np.all(np.abs(draws - p.numpy()[0]) <= 5 * std + 1e-12)


def test_binarization_is_reproducible_with_int_or_tensor_seed():
    x = tf.fill([4, 28, 28, 1], 0.5)
    np.testing.assert_array_equal(dynamic_binarize(x, seed=11), dynamic_binarize(x, seed=11))
    s = tf.constant([11, 3], tf.int64)
    np.testing.assert_array_equal(dynamic_binarize(x, seed=s), dynamic_binarize(x, seed=s))
    assert not np.array_equal(dynamic_binarize(x, seed=11), dynamic_binarize(x, seed=12))


def test_binarization_gives_each_example_its_own_draw_inside_dataset_map():
    images = tf.data.Dataset.from_tensor_slices(tf.fill([6, 8, 8, 1], 0.5))
    seeds = tf.data.Dataset.random(seed=0).batch(2)

    def run():
        ds = tf.data.Dataset.zip((images, seeds)).map(lambda x, s: dynamic_binarize(x, seed=s))
        return np.stack([b.numpy() for b in ds])

    first = run()
    np.testing.assert_array_equal(first, run())
    assert len({f.tobytes() for f in first}) == 6


# --- scaling ----------------------------------------------------------------------


def test_scale_to_minus_one_one_maps_unit_interval_and_inverts():
    x = tf.constant([0.0, 0.25, 0.5, 1.0])
    y = scale_to_minus_one_one(x)
    np.testing.assert_allclose(y.numpy(), [-1.0, -0.5, 0.0, 1.0])
    np.testing.assert_allclose(scale_from_minus_one_one(y).numpy(), x.numpy())


# --- argument checks --------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.7, 0.5, 0.0, -0.1])
def test_alpha_outside_open_half_interval_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha"):
        logit_transform(tf.zeros([1, 2]), alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        inverse_logit_transform(tf.zeros([1, 2]), alpha=alpha)


def test_non_numeric_alpha_is_refused():
    with pytest.raises(TypeError, match="alpha"):
        logit_transform(tf.zeros([1, 2]), alpha="0.05")


@pytest.mark.parametrize(
    "seed, error",
    [(-1, ValueError), (None, TypeError), (1.5, TypeError), ([1, 2, 3], ValueError)],
)
def test_bad_seed_is_refused(seed, error):
    with pytest.raises(error, match="seed"):
        dynamic_binarize(tf.zeros([2]), seed=seed)
    with pytest.raises(error, match="seed"):
        uniform_dequantize(tf.zeros([2]), seed=seed)
