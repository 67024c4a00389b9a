"""scikit-learn's 8x8 handwritten digits (the UCI "optdigits" test set).

Alpaydin & Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
Learning Repository (1998). 1,797 real images, each an 8x8 grid of counts
0..16; the data ship inside scikit-learn, so nothing is downloaded.
"""

import numpy as np

NAME = "digits"
SPLITS = ("train", "test")
NUM_EXAMPLES = {"train": 1500, "test": 297}
IMAGE_SHAPE = (8, 8, 1)


def load_arrays(split):
    """Returns one split of the digits as NumPy arrays.

    The split is deterministic: ``"train"`` is the first 1500 images in
    scikit-learn's order, ``"test"`` the last 297.

    Args:
        split: ``"train"`` or ``"test"`` (checked by the caller).

    Returns:
        ``(images, labels)``: float32 array of shape ``(n, 8, 8, 1)`` with
        values in [0, 1] (counts divided by 16), and an int64 array of shape
        ``(n,)`` with values in 0..9.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images.astype(np.float32) / 16.0)[..., None]
    labels = bunch.target.astype(np.int64)
    cut = NUM_EXAMPLES["train"]
    if split == "train":
        return images[:cut], labels[:cut]
    return images[cut:], labels[cut:]
