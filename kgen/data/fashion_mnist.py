"""Fashion-MNIST, read from its IDX files with NumPy.

Xiao, Rasul & Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms" (https://arxiv.org/abs/1708.07747):
Zalando's 28x28 grayscale article images in 10 classes (0 T-shirt/top,
1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag,
9 ankle boot), 60,000 train and 10,000 test images, in the same IDX layout as
MNIST. The files are read directly rather than through TFDS, whose registered
checksums are those of the upstream ``.gz`` wrappers (see the data folder's
README).

Splits:

- ``train_full``: the 60,000 training images, in file order.
- ``validation``: 5,000 of them, ``train``: the other 55,000. The slice is
  ``np.random.RandomState(VALIDATION_SEED).permutation(60000)``: its first
  5,000 indices are the validation images, the rest the training images,
  each kept in file order. ``RandomState``'s stream is frozen by NumPy
  (NEP 19), so the slice is the same on every machine and NumPy version.
- ``test``: the 10,000 test images.
"""

import numpy as np

from kgen.data import _paths
from kgen.data.idx import read_images_and_labels

NAME = "fashion_mnist"
SPLITS = ("train", "validation", "train_full", "test")
NUM_EXAMPLES = {"train": 55_000, "validation": 5_000, "train_full": 60_000, "test": 10_000}
IMAGE_SHAPE = (28, 28, 1)
FILES = {
    "train_full": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
VALIDATION_SEED = 0
VALIDATION_SIZE = 5_000


def validation_indices():
    """Returns the indices into ``train_full`` of the ``train`` and ``validation`` splits.

    Returns:
        ``(train, validation)``: sorted int64 arrays of 55,000 and 5,000
        distinct indices in ``[0, 60000)``, together a partition of it.

    Example:

    >>> train, validation = validation_indices()
    >>> len(train), len(validation)
    (55000, 5000)
    """
    perm = np.random.RandomState(VALIDATION_SEED).permutation(NUM_EXAMPLES["train_full"])
    return np.sort(perm[VALIDATION_SIZE:]), np.sort(perm[:VALIDATION_SIZE])


def load_arrays(split, manual_dir=None):
    """Returns one split's images and labels as NumPy arrays.

    Args:
        split: one of ``SPLITS``.
        manual_dir: folder with the four IDX ``.gz`` files, or ``None`` for
            ``$KGEN_DATA_DIR/fashion_mnist`` or ``shared/data/fashion_mnist``
            beside the project.

    Returns:
        ``(images, labels)``: float32 array of shape ``(n, 28, 28, 1)`` with
        values in [0, 1] (uint8 pixels divided by 255), and an int64 array of
        shape ``(n,)`` with values in 0..9, ``n = NUM_EXAMPLES[split]``.

    Raises:
        ValueError: if ``split`` is unknown or the files are not the expected
            IDX arrays.
        FileNotFoundError: if the folder or files are missing.

    Example:

    >>> x, y = load_arrays("validation")
    >>> x.shape, y.shape
    ((5000, 28, 28, 1), (5000,))
    """
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {list(SPLITS)}. Received: split={split!r}")
    source = "test" if split == "test" else "train_full"
    indices = None
    if split in ("train", "validation"):
        train, validation = validation_indices()
        indices = train if split == "train" else validation
    folder = _paths.raw_data_dir(NAME, explicit=manual_dir)
    return read_images_and_labels(
        folder, *FILES[source], NUM_EXAMPLES[source], indices=indices
    )
