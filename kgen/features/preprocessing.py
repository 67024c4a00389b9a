"""The preprocessing every kgen feature extractor applies before its network.

The order follows the FID reference (Heusel et al. 2017, arXiv:1706.08500, and its
TensorFlow code, which takes uint8 images) and the resizing study of Parmar et al.
(2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation",
arXiv:2104.11222):

1. ``check_range``: the images must lie in their declared ``data_range``.
2. ``quantize``: map them to the 256 pixel levels, as an image file would hold them
   (round half up, clip to [0, 255]). Real images (uint8 on disk) and generated
   images (floats) then reach the network on the same grid: a generator is not
   rewarded or punished for sub-level detail that no saved image can carry.
3. For InceptionV3 only, ``inception_input``: resize to 299x299 with an explicit,
   anti-aliased bilinear filter, copy a gray channel to three, and scale to [-1, 1]
   as Inception expects (Szegedy et al. 2016, arXiv:1512.00567).
"""

import numpy as np
import tensorflow as tf

INCEPTION_SIZE = 299
NUM_LEVELS = 256
# A float image computed as, say, ``(x + 1) / 2`` may overshoot its bound by a few
# ulps. Values within this fraction of the range's width of a bound are accepted
# (they quantize to the bound's level anyway).
RANGE_TOLERANCE = 1e-6


def check_data_range(data_range):
    """Returns ``data_range`` as a ``(low, high)`` pair of floats.

    Raises:
        ValueError: if it is not two finite numbers with ``low < high``.
    """
    try:
        if isinstance(data_range, (str, bytes)):
            raise TypeError
        low, high = (float(v) for v in data_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"`data_range` must be a pair (low, high), e.g. (0, 1), (-1, 1) or (0, 255). "
            f"Received: data_range={data_range!r}"
        ) from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"`data_range` must be two finite numbers with low < high. "
            f"Received: data_range={data_range!r}"
        )
    return low, high


def _bounds(data_range):
    low, high = data_range
    slack = RANGE_TOLERANCE * (high - low)
    return low - slack, high + slack


def check_range(images, data_range, name="images"):
    """Checks that every pixel lies in ``data_range``.

    Concrete inputs (NumPy arrays, eager tensors) are checked in Python and raise a
    ``ValueError``. A symbolic tensor (inside ``tf.function`` or ``Dataset.map``)
    gets a graph assertion instead, which raises ``tf.errors.InvalidArgumentError``
    when it runs; both messages name the argument.

    Args:
        images: array or tensor of any shape.
        data_range: ``(low, high)`` floats (see ``check_data_range``).
        name: the argument's name, for the message.

    Returns:
        ``images`` as a float32 tensor, with the graph assertion attached when
        symbolic.

    Raises:
        ValueError: if a concrete pixel is NaN or outside the range.
    """
    low, high = _bounds(data_range)
    if isinstance(images, np.ndarray) or tf.executing_eagerly():
        arr = np.asarray(images, dtype=np.float32)
        ok = (arr >= low) & (arr <= high)  # False for NaN too
        if not np.all(ok):
            bad = arr[~ok].flat[0]
            raise ValueError(
                f"`{name}` must lie in data_range={tuple(data_range)}. Received: {name} "
                f"with {int(np.sum(~ok))} values outside it (or NaN), e.g. {bad:g}; "
                f"min {np.nanmin(arr):g}, max {np.nanmax(arr):g}"
            )
        return tf.convert_to_tensor(arr)
    x = tf.cast(images, tf.float32)
    message = f"`{name}` must lie in data_range={tuple(data_range)} (and not be NaN)"
    inside = tf.reduce_all((x >= low) & (x <= high))
    with tf.control_dependencies([tf.debugging.Assert(inside, [message])]):
        return tf.identity(x)


def quantize(images, data_range):
    """Maps images in ``data_range`` to the 256 pixel levels 0..255.

    ``level = clip(floor((x - low) * 255 / (high - low) + 0.5), 0, 255)``: rounding
    half up, as writing an image file does (``np.uint8(x * 255 + 0.5)``). An image
    already on the grid (``uint8 / 255``, or integers for ``data_range=(0, 255)``)
    keeps its levels exactly.

    Args:
        images: float tensor ``[...]`` with values in ``data_range``.
        data_range: ``(low, high)`` floats.

    Returns:
        float32 tensor of the same shape holding whole numbers in [0, 255].
    """
    low, high = data_range
    x = tf.cast(images, tf.float32)
    levels = tf.floor((x - low) * ((NUM_LEVELS - 1) / (high - low)) + 0.5)
    return tf.clip_by_value(levels, 0.0, NUM_LEVELS - 1.0)


def dequantize_levels(levels, data_range):
    """Maps pixel levels 0..255 back to ``data_range`` (the inverse of ``quantize``
    on the grid)."""
    low, high = data_range
    return low + levels * ((high - low) / (NUM_LEVELS - 1))


def resize_for_inception(levels, size=INCEPTION_SIZE):
    """Resizes ``[N, H, W, C]`` pixel levels to ``size x size`` for InceptionV3.

    ``tf.image.resize(method="bilinear", antialias=True)``, explicitly, because the
    default resize of a framework is where FID implementations have silently
    differed (Parmar et al. 2022): a plain bilinear resize, used for downsampling
    (e.g. 1024x1024 or 512x512 faces to 299x299), samples only 2x2 source pixels
    per output pixel and aliases, so the FID then depends on high frequencies that
    the images do not visibly have. With ``antialias=True`` TensorFlow widens the
    triangle filter by the downsampling factor, which is what PIL's
    ``Image.resize(BILINEAR)`` does (the test checks the two agree). When
    upsampling (28x28 or 32x32 to 299x299) the anti-aliased filter equals plain
    bilinear interpolation with half-pixel centres. The result is not rounded again:
    Inception gets the interpolated levels as floats.

    Args:
        levels: float32 tensor ``[N, H, W, C]``, values in [0, 255].
        size: output height and width.

    Returns:
        float32 tensor ``[N, size, size, C]``, values in [0, 255].
    """
    return tf.image.resize(levels, [size, size], method="bilinear", antialias=True)


def to_rgb(images):
    """Copies a single gray channel to three; three channels pass unchanged."""
    if images.shape[-1] == 1:
        return tf.tile(images, [1, 1, 1, 3])
    return images


def inception_input(levels, size=INCEPTION_SIZE):
    """The InceptionV3 input for ``[N, H, W, 1 or 3]`` pixel levels in [0, 255].

    Resizes (``resize_for_inception``), copies gray to RGB, and scales to [-1, 1] by
    ``level / 127.5 - 1`` (``keras.applications.inception_v3.preprocess_input``).
    Resizing each channel before copying it equals copying then resizing (the
    filter acts on each channel alone) and costs a third.

    Returns:
        float32 tensor ``[N, size, size, 3]`` in [-1, 1].
    """
    resized = resize_for_inception(levels, size)
    return to_rgb(resized) / 127.5 - 1.0
