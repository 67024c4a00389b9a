"""InceptionV3 pool3 features (FID, KID, precision/recall) and class probabilities
(Inception Score).

InceptionV3 is the network of Szegedy et al., "Rethinking the Inception Architecture
for Computer Vision" (2016, https://arxiv.org/abs/1512.00567). The FID of Heusel et
al. (2017, https://arxiv.org/abs/1706.08500, sec. 3) and KID, precision/recall after
it use the 2048 activations of its last pooling layer ("pool3": the global average
of the final 8x8x2048 map), computed on 299x299 RGB images. The Inception Score
(Salimans et al. 2016, https://arxiv.org/abs/1606.03498) uses its ImageNet softmax.

What the numbers can be compared with. Keras's ImageNet weights
(``keras.applications.InceptionV3``) are not the 2015 TensorFlow graph
(``inception-2015-12-05``, 1008 classes) that the reference FID and IS code loads;
features from the two differ, so a FID or IS computed here ranks models and is
comparable with other runs of this code, but matches published values only
approximately. For those exact numbers, pass weights converted from that graph as
``weights=path`` (a weights file of the same architecture).
"""

import os

import keras

from kgen.features import extractor as _extractor
from kgen.features import preprocessing

FEATURE_DIM = 2048
NUM_CLASSES = 1000
POOL_LAYER = "avg_pool"
PREDICTIONS_LAYER = "predictions"


def _inception_preprocess(levels):
    if levels.shape[-1] not in (1, 3):
        raise ValueError(f"`images` must have 1 (gray) or 3 (RGB) channels for "
                         f"InceptionV3. Received: images.shape={tuple(levels.shape)}")
    return preprocessing.inception_input(levels)


def _check_weights(weights):
    if weights is None or weights == "imagenet":
        return weights
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"`weights` must be None, 'imagenet' or the path of a weights "
                         f"file. Received: weights={weights!r}")
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise ValueError(f"`weights` must be None, 'imagenet' or the path of an existing "
                         f"weights file. Received: weights={path!r} (no such file)")
    return path


def inception_network(weights=None, include_top=False):
    """Builds Keras's InceptionV3 for 299x299x3 inputs in [-1, 1].

    Args:
        weights: ``None`` (random weights, seeded by Keras's global seed),
            ``"imagenet"`` (Keras downloads them once into ``~/.keras/models``:
            needs the network), or the path of a weights file for this
            architecture (``.h5`` or ``.weights.h5``; without the top layers when
            ``include_top=False``).
        include_top: if True, the whole classifier (``avg_pool`` then the
            1000-way softmax ``predictions``); else the network up to pool3
            (``pooling="avg"``, output ``[N, 2048]``).

    Returns:
        ``keras.Model``.

    Raises:
        ValueError: if ``weights`` is neither ``None``, ``"imagenet"`` nor an
            existing file.
    """
    weights = _check_weights(weights)
    if include_top:
        return keras.applications.InceptionV3(include_top=True, weights=weights)
    return keras.applications.InceptionV3(include_top=False, pooling="avg",
                                          weights=weights,
                                          input_shape=(preprocessing.INCEPTION_SIZE,) * 2
                                          + (3,))


def inception_v3(weights=None, *, include_top=False, data_range=(0, 1), batch_size=32,
                 name="inception_v3"):
    """InceptionV3 as a feature extractor: pool3 features, and with
    ``include_top=True`` the ImageNet class probabilities too.

    The pipeline of the FID reference: images (any size, 1 or 3 channels) are
    checked against ``data_range``, quantized to uint8 levels (round half up,
    clip), resized to 299x299 with an explicit anti-aliased bilinear filter
    (``kgen.features.preprocessing.resize_for_inception`` explains why), gray is
    copied to RGB, and the levels are scaled to [-1, 1] (``x / 127.5 - 1``).

    The Inception Score needs the classifier head: with the default
    ``include_top=False`` the extractor has features only, and ``probabilities``
    raises ``ValueError``. With ``include_top=True`` one pass gives both
    (``features_and_probabilities``), the features taken from ``avg_pool``, the
    same pool3 vector.

    Args:
        weights: ``None`` (random weights: for tests, not for metrics),
            ``"imagenet"`` (Keras's download, only when online), or the path of a
            weights file (see ``inception_network``).
        include_top: also build the 1000-way softmax head (its weights file holds
            the top, too).
        data_range: ``(low, high)``: the pixel range of the images you will pass,
            e.g. ``(0, 1)``, ``(-1, 1)`` or ``(0, 255)``.
        batch_size: images per network call (InceptionV3 at 299x299 holds large
            activations: lower it when memory is short).
        name: the extractor's name.

    Returns:
        ``kgen.features.FeatureExtractor`` with ``feature_dim=2048`` and
        ``num_classes`` 1000 (``include_top=True``) or ``None``.

    Raises:
        ValueError: on bad ``weights`` or ``data_range``; later, from the
            extractor's methods, on images with other than 1 or 3 channels or
            outside ``data_range``.

    Example:

    >>> import numpy as np, kgen.features
    >>> extractor = kgen.features.inception_v3(weights=None)  # random: a test
    >>> extractor.features(np.zeros((2, 32, 32, 3))).shape
    TensorShape([2, 2048])
    """
    network = inception_network(weights, include_top)
    layers = ({"features_layer": POOL_LAYER, "probabilities_layer": PREDICTIONS_LAYER}
              if include_top else {})
    return _extractor.FeatureExtractor(
        network, data_range=data_range, preprocess=_inception_preprocess,
        image_shape=(None, None, None), batch_size=batch_size, name=name, **layers)
