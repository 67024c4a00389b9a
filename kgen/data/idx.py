"""IDX files (the MNIST family's format), read with NumPy.

IDX format: a big-endian header (two zero bytes, a dtype code, the number of
dimensions ``n``, then ``n`` uint32 sizes) followed by the raw array. MNIST
(``kgen.data.mnist``) and Fashion-MNIST (``kgen.data.fashion_mnist``) ship
their images and labels in it.
"""

import gzip
import pathlib

import numpy as np

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Reads a (possibly gzipped) IDX file into a NumPy array.

    Args:
        path: path of an ``.idx`` or ``.idx.gz`` file.

    Returns:
        ``np.ndarray`` with the shape and dtype the header declares.

    Raises:
        ValueError: if the header is malformed or the payload has the wrong size.

    Example:

    >>> labels = read_idx("shared/data/mnist/t10k-labels-idx1-ubyte.gz")
    >>> labels.shape, labels.dtype
    ((10000,), dtype('uint8'))
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"'{path}' is not an IDX file (bad magic number).")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"'{path}' holds {len(data) - header} payload bytes; its header "
            f"declares shape {shape} ({expected} bytes)."
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def read_images_and_labels(folder, images_file, labels_file, num_examples, indices=None):
    """Reads a pair of IDX files of 28x28 uint8 images and their labels.

    Args:
        folder: the folder holding both files.
        images_file: file name of the images (``[n, 28, 28]`` uint8).
        labels_file: file name of the labels (``[n]`` uint8).
        num_examples: the expected ``n``.
        indices: ``None`` for all examples, or an integer array selecting
            ``m`` of them (selected before the conversion to float32).

    Returns:
        ``(images, labels)``: float32 array of shape ``(m, 28, 28, 1)`` with
        values in [0, 1] (uint8 pixels divided by 255), and an int64 array of
        shape ``(m,)``; ``m = n`` if ``indices`` is ``None``.

    Raises:
        FileNotFoundError: if a file is missing.
        ValueError: if the files are not IDX arrays of the expected shapes.
    """
    folder = pathlib.Path(folder)
    images = read_idx(folder / images_file)
    labels = read_idx(folder / labels_file)
    if images.shape != (num_examples, 28, 28) or labels.shape != (num_examples,):
        raise ValueError(
            f"Expected {num_examples} images of 28x28 and {num_examples} labels in "
            f"'{folder}'. Received: images.shape={images.shape}, "
            f"labels.shape={labels.shape}"
        )
    if indices is not None:
        images, labels = images[indices], labels[indices]
    images = (images.astype(np.float32) / 255.0)[..., None]
    return images, labels.astype(np.int64)
