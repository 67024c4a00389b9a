"""kgen's own small image classifiers, whose features serve FID, KID, precision/recall
and Inception-Score-style metrics offline.

Two networks ship with the package (``kgen/features/weights/``), trained by
``benchmarks/train_feature_classifiers.py`` (``kgen.features.train``) on real data:

| name | trained on | accuracy measured on |
| --- | --- | --- |
| ``fashion_mnist`` | Fashion-MNIST ``train``, 55,000 images | the 10,000 test images |
| ``mnist`` | 8,000 of the 10,000 MNIST test images | the other 2,000 |

Fashion-MNIST is Xiao et al. (2017, arXiv:1708.07747); the accuracies are recorded in
``benchmarks/results/feature_classifiers.json`` (0.918 and 0.987 for the shipped files).
Only the MNIST test set is labelled here, so the digit classifier is trained on a
fixed, seeded 8,000 of it (``mnist_split``); a digit model's samples should be
compared against the other 2,000, which the classifier never saw.

The network (``classifier_network``) is a plain Keras ``Sequential`` of built-in
layers, so its ``.keras`` file loads with ``safe_mode=True`` and no kgen class:
three 3x3 convolutions (32, 64, 128 filters, ReLU, each followed by 2x2 max
pooling), a 128-unit ReLU dense layer named ``"features"`` (the penultimate layer,
whose activations are the metric features) and a 10-way softmax named
``"probabilities"``. It takes 28x28x1 images in [0, 1].
"""

import os

import keras
import numpy as np

from kgen import checks
from kgen.features import extractor as _extractor

NAMES = ("fashion_mnist", "mnist")
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
FEATURES_LAYER = "features"
PROBABILITIES_LAYER = "probabilities"
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
MNIST_SPLIT_SEED = 0
MNIST_TRAIN_SIZE = 8_000
MNIST_SIZE = 10_000


def classifier_network(feature_dim=128, dropout=0.25, name="classifier"):
    """Builds the (untrained) classifier network.

    Args:
        feature_dim: units of the penultimate ``"features"`` layer.
        dropout: dropout rate before the two dense layers (active in training only).
        name: the model's name.

    Returns:
        ``keras.Sequential`` mapping ``[N, 28, 28, 1]`` images in [0, 1] to
        ``[N, 10]`` class probabilities.
    """
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(128, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(feature_dim, activation="relu", name=FEATURES_LAYER),
            layers.Dropout(dropout),
            layers.Dense(NUM_CLASSES, activation="softmax", name=PROBABILITIES_LAYER),
        ],
        name=name,
    )


def mnist_split():
    """The indices into the 10,000 MNIST test images that train and test the digit
    classifier.

    ``np.random.RandomState(MNIST_SPLIT_SEED).permutation(10000)``: its first 8,000
    indices train the classifier, the last 2,000 measure it. ``RandomState``'s
    stream is frozen by NumPy (NEP 19), so the split is the same everywhere.

    Returns:
        ``(train, held_out)``: sorted int64 arrays of 8,000 and 2,000 distinct
        indices in ``[0, 10000)``.

    Example:

    >>> train, held_out = mnist_split()
    >>> len(train), len(held_out)
    (8000, 2000)
    """
    perm = np.random.RandomState(MNIST_SPLIT_SEED).permutation(MNIST_SIZE)
    return np.sort(perm[:MNIST_TRAIN_SIZE]), np.sort(perm[MNIST_TRAIN_SIZE:])


def weights_path(name):
    """The path of the shipped ``.keras`` file of classifier ``name``.

    Raises:
        ValueError: if ``name`` is not one of ``NAMES``.
    """
    checks.one_of("name", name, NAMES)
    return os.path.join(WEIGHTS_DIR, f"{name}_classifier.keras")


def load_network(name):
    """Loads the shipped network of classifier ``name`` with ``safe_mode=True``.

    Returns:
        the uncompiled ``keras.Sequential`` (images in [0, 1] to probabilities).

    Raises:
        ValueError: if ``name`` is unknown.
        FileNotFoundError: if the weights file is missing (a broken install).
    """
    path = weights_path(name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"The weights of the `{name}` classifier are missing: {path}. Reinstall kgen, "
            f"or run benchmarks/train_feature_classifiers.py to rebuild them."
        )
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def classifier(name, *, data_range=(0, 1), batch_size=500):
    """kgen's shipped classifier ``name`` as a feature extractor.

    Images are checked against ``data_range``, quantized to the 256 pixel levels,
    divided by 255 and passed to the network; ``features`` are the 128 ReLU
    activations of its penultimate layer (for FID, KID, precision/recall) and
    ``probabilities`` its softmax over the 10 classes (for the Inception Score).

    Args:
        name: ``"fashion_mnist"`` or ``"mnist"``.
        data_range: ``(low, high)``, the pixel range of the images you will pass,
            e.g. ``(0, 1)`` (kgen's data sets), ``(-1, 1)`` (a tanh generator) or
            ``(0, 255)``.
        batch_size: images per network call.

    Returns:
        ``kgen.features.FeatureExtractor`` with ``feature_dim=128``,
        ``num_classes=10`` and ``input_shape=(28, 28, 1)``.

    Raises:
        ValueError: if ``name`` is unknown or ``data_range`` malformed.

    Example:

    >>> import kgen.data, kgen.features
    >>> extractor = kgen.features.classifier("fashion_mnist")
    >>> images = next(iter(kgen.data.load("fashion_mnist", "test", batch_size=100)))
    >>> extractor.features(images).shape
    TensorShape([100, 128])
    """
    checks.one_of("name", name, NAMES)
    return _extractor.FeatureExtractor(
        load_network(name),
        features_layer=FEATURES_LAYER,
        probabilities_layer=PROBABILITIES_LAYER,
        data_range=data_range,
        input_range=(0.0, 1.0),
        batch_size=batch_size,
        name=f"{name}_classifier",
    )
