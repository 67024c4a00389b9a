"""Image helpers shared by the sample-writing callbacks and the CLI."""

import math
import os

import numpy as np


def as_image_batch(images, name="images"):
    """Returns ``images`` as a float32 NumPy batch ``[n, h, w, c]`` clipped to [0, 1].

    Accepts ``[n, h, w]`` (a channel axis is added) and ``[n, h, w, c]`` with
    ``c`` in {1, 3}.

    Raises:
        ValueError: if the batch is not a batch of grey or RGB images.
    """
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3) or arr.shape[0] < 1:
        raise ValueError(
            f"`{name}` must be a batch of images of shape [n, height, width, 1 or 3]. "
            f"Received: {name}.shape={np.shape(images)}"
        )
    return np.clip(np.nan_to_num(arr, nan=0.0), 0.0, 1.0)


def tile(images, columns=None, padding=0, pad_value=0.5):
    """Tiles a batch of images into one grid image.

    Args:
        images: ``[n, h, w]`` or ``[n, h, w, c]`` with values in [0, 1]
            (values outside are clipped).
        columns: images per row; default ``ceil(sqrt(n))``, a square grid.
        padding: int >= 0, pixels of border around every image (small
            images such as 8x8 digits read better with 1).
        pad_value: the grey level of the border, in [0, 1].

    Returns:
        float32 array ``[rows * (h + 2p), columns * (w + 2p), c]`` with
        ``p = padding``; empty cells are black.
    """
    arr = as_image_batch(images)
    if padding:
        arr = np.pad(arr, ((0, 0), (padding, padding), (padding, padding), (0, 0)),
                     constant_values=pad_value)
    n, h, w, c = arr.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    padded = np.zeros((rows * columns, h, w, c), np.float32)
    padded[:n] = arr
    grid = padded.reshape(rows, columns, h, w, c).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * h, columns * w, c)


def save_png(path, grid):
    """Writes a ``[h, w, c]`` image with values in [0, 1] as an 8-bit PNG."""
    from PIL import Image

    pixels = np.round(np.clip(grid, 0.0, 1.0) * 255.0).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


class SummaryImageWriter:
    """Lazily opens a ``tf.summary`` file writer and writes image summaries."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self._writer = None

    def write(self, name, grid, step):
        import tensorflow as tf

        if self.log_dir is None:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            tf.summary.image(name, grid[None], step=int(step), max_outputs=1)
        self._writer.flush()

    def close(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def to_unit_range(images, model):
    """Rescales a model's outputs to [0, 1] by the model's ``data_range`` (e.g.
    0..255 for a VAE with a discretized logistic, -1..1 for a tanh generator);
    data already in [0, 1], or of a model without a declared range, is returned
    as is."""
    data_range = getattr(model, "data_range", None)
    if not data_range:
        return images
    low, high = data_range
    return (np.asarray(images, np.float32) - low) / (high - low)
