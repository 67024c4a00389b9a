"""The original MNIST test set, read from its IDX files with NumPy.

LeCun, Cortes & Burges, "The MNIST database of handwritten digits"
(http://yann.lecun.com/exdb/mnist/). Only the 10,000-image test set is
available offline, so kgen exposes it as ``"mnist_test"``. The IDX reading
is ``kgen.data.idx``'s, shared with Fashion-MNIST.
"""

from kgen.data import _paths
from kgen.data.idx import read_idx, read_images_and_labels

__all__ = ["load_arrays", "read_idx"]

NAME = "mnist_test"
SPLITS = ("test",)
NUM_EXAMPLES = {"test": 10_000}
IMAGE_SHAPE = (28, 28, 1)
IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"


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
    return read_images_and_labels(folder, IMAGES_FILE, LABELS_FILE, NUM_EXAMPLES["test"])
