"""The pipeline before every network: range check, uint8 quantization, resize to
299x299, gray to RGB, Inception scaling; each against an independent computation."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen.features import preprocessing

RANGES = [(0, 1), (-1, 1), (0, 255)]


def levels_reference(x, data_range):
    """float64 NumPy: round half up onto 0..255, clipped."""
    low, high = data_range
    u = (np.asarray(x, np.float64) - low) / (high - low) * 255.0
    return np.clip(np.floor(u + 0.5), 0, 255)


@pytest.mark.parametrize("data_range", RANGES)
def test_images_on_the_pixel_grid_keep_their_levels_exactly(data_range):
    low, high = data_range
    levels = np.arange(256, dtype=np.float32)
    images = (low + levels / 255.0 * (high - low)).astype(np.float32)
    got = preprocessing.quantize(images, data_range).numpy()
    np.testing.assert_array_equal(got, levels)


@pytest.mark.parametrize("data_range", RANGES)
def test_quantization_equals_float64_round_half_up(data_range):
    low, high = data_range
    rng = np.random.default_rng(0)
    x = rng.uniform(low, high, size=5000).astype(np.float32)
    u = (x.astype(np.float64) - low) / (high - low) * 255.0
    away = np.abs(u - np.floor(u) - 0.5) > 1e-3  # not within float error of a tie
    got = preprocessing.quantize(x, data_range).numpy()
    np.testing.assert_array_equal(got[away], levels_reference(x, data_range)[away])
    assert away.mean() > 0.99


def test_halves_round_up_and_bounds_clip():
    x = np.array([0.5, 1.5, 254.5, 0.0, 255.0], np.float32)
    np.testing.assert_array_equal(preprocessing.quantize(x, (0, 255)).numpy(),
                                  [1, 2, 255, 0, 255])


@pytest.mark.parametrize("bad", [1.01, -0.01, np.nan, np.inf])
def test_pixels_outside_the_declared_range_raise_naming_images(bad):
    x = np.full((2, 4, 4, 1), 0.5, np.float32)
    x[1, 2, 3, 0] = bad
    with pytest.raises(ValueError, match="`images` must lie in data_range"):
        preprocessing.check_range(x, (0.0, 1.0))


def test_a_few_ulps_past_a_bound_are_accepted():
    x = np.array([np.nextafter(np.float32(1), np.float32(2))], np.float32)
    preprocessing.check_range(x, (-1.0, 1.0))


def test_inside_a_graph_the_range_check_is_an_assertion_naming_images():
    check = tf.function(lambda x: preprocessing.check_range(x, (0.0, 1.0)))
    check(tf.fill([2, 3], 0.5))
    with pytest.raises(tf.errors.InvalidArgumentError, match="`images` must lie"):
        check(tf.fill([2, 3], 2.0))


@pytest.mark.parametrize("data_range", [(1, 0), (0,), "01", (0, np.inf), None])
def test_a_malformed_data_range_raises_naming_it(data_range):
    with pytest.raises(ValueError, match="`data_range`"):
        preprocessing.check_data_range(data_range)


@pytest.mark.parametrize("shape", [(28, 28), (32, 32), (600, 500)])
def test_a_constant_image_stays_constant_after_resizing(shape):
    levels = tf.fill([1, *shape, 1], 137.0)
    resized = preprocessing.resize_for_inception(levels).numpy()
    assert resized.shape == (1, 299, 299, 1)
    np.testing.assert_allclose(resized, 137.0, atol=1e-3)


@pytest.mark.parametrize("shape", [(28, 28), (64, 40), (600, 500), (1024, 1024), (299, 299)])
def test_resize_equals_pil_antialiased_bilinear(shape):
    img = np.random.default_rng(1).integers(0, 256, shape).astype(np.float32)
    reference = np.asarray(Image.fromarray(img, mode="F").resize((299, 299),
                                                                 Image.BILINEAR))
    got = preprocessing.resize_for_inception(tf.constant(img[None, :, :, None]))
    np.testing.assert_allclose(got[0, :, :, 0].numpy(), reference, atol=1e-2)


def test_without_antialiasing_downsampling_would_differ_from_pil():
    """The reason the resize is explicit: plain bilinear aliases when shrinking."""
    img = np.random.default_rng(2).integers(0, 256, (1024, 1024)).astype(np.float32)
    reference = np.asarray(Image.fromarray(img, mode="F").resize((299, 299),
                                                                 Image.BILINEAR))
    plain = tf.image.resize(img[None, :, :, None], [299, 299], method="bilinear")
    assert np.abs(plain[0, :, :, 0].numpy() - reference).mean() > 10


def test_inception_input_copies_gray_to_rgb_and_scales_to_minus_one_one():
    levels = tf.constant(np.tile([0.0, 255.0], 8 * 4).reshape(1, 8, 8, 1), tf.float32)
    x = preprocessing.inception_input(levels, size=8).numpy()  # same size: no resize
    assert x.shape == (1, 8, 8, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    np.testing.assert_allclose(x[..., 1], levels.numpy()[..., 0] / 127.5 - 1.0, atol=1e-7)
    assert x.min() == -1.0 and x.max() == 1.0


def test_resizing_each_gray_channel_then_copying_equals_copying_then_resizing():
    levels = tf.constant(np.random.default_rng(3).integers(0, 256, (2, 20, 30, 1)),
                         tf.float32)
    ours = preprocessing.inception_input(levels).numpy()
    theirs = preprocessing.resize_for_inception(tf.tile(levels, [1, 1, 1, 3])) / 127.5 - 1
    np.testing.assert_array_equal(ours, theirs.numpy())
