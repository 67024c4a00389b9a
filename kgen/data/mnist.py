"""The original MNIST test set, read from its IDX files with NumPy.

LeCun, Cortes & Burges, "The MNIST database of handwritten digits"
(http://yann.lecun.com/exdb/mnist/). Only the 10,000-image test set is
available offline, so kgen exposes it as ``"mnist_test"``.

IDX format: a big-endian header (two zero bytes, a dtype code, the number of
dimensions ``n``, then ``n`` uint32 sizes) followed by the raw array.
"""

import gzip
import pathlib

import numpy as np

from kgen.data import _paths

NAME = "mnist_test"
SPLITS = ("test",)
NUM_EXAMPLES = {"test": 10_000}
IMAGE_SHAPE = (28, 28, 1)
IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"

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


def load_arrays(manual_dir=None):
    """Returns the MNIST test images and labels as NumPy arrays.

    Args:
        manual_dir: folder with ``t10k-images-idx3-ubyte.gz`` and
            ``t10k-labels-idx1-ubyte.gz``, or ``None`` for
            ``$KGEN_DATA_DIR/mnist`` or ``shared/data/mnist`` beside the project.

    Returns:
        ``(images, labels)``: float32 array of shape ``(10000, 28, 28, 1)``
        with values in [0, 1] (uint8 pixels divided by 255), and an int64
        array of shape ``(10000,)`` with values in 0..9.

    Raises:
        FileNotFoundError: if the folder or files are missing.
        ValueError: if the files are not the expected IDX arrays.
    """
    folder = _paths.raw_data_dir("mnist", explicit=manual_dir)
    images = read_idx(folder / IMAGES_FILE)
    labels = read_idx(folder / LABELS_FILE)
    if images.shape != (10_000, 28, 28) or labels.shape != (10_000,):
        raise ValueError(
            f"Expected 10000 images of 28x28 and 10000 labels in '{folder}'. "
            f"Received: images.shape={images.shape}, labels.shape={labels.shape}"
        )
    images = (images.astype(np.float32) / 255.0)[..., None]
    return images, labels.astype(np.int64)
