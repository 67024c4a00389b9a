"""Feature extractors for sample-quality metrics (FID, KID, precision/recall, IS).

One interface, ``FeatureExtractor``: ``features(images)`` gives ``[N, feature_dim]``
float32 features, ``probabilities(images)`` ``[N, num_classes]`` class
probabilities where the network has a softmax head; ``data_range``,
``feature_dim``, ``num_classes`` and ``name`` describe it. Every extractor checks
the images against their declared pixel range and quantizes them to the 256 levels
of an image file before its network (``kgen.features.preprocessing``).

- ``classifier("fashion_mnist")`` / ``classifier("mnist")``: kgen's own small CNNs,
  shipped in the package and trained on real data (offline; 128-d features,
  10 classes; ``kgen.features.classifiers``).
- ``inception_v3(weights=...)``: InceptionV3 pool3 (2048-d; Szegedy et al. 2016,
  Heusel et al. 2017), from a weights file, Keras's ImageNet download, or random
  weights for tests; ``include_top=True`` adds the softmax for the Inception Score.
- ``from_model(model, features_layer=...)``: any other Keras model.
- ``get_extractor(name_or_model)``: any of these from a name, a ``.keras`` path, a
  model or an extractor (what presets and metrics take).

Example:

>>> import kgen.data, kgen.features
>>> extractor = kgen.features.get_extractor("fashion_mnist")
>>> test = kgen.data.load("fashion_mnist", "test", batch_size=500)
>>> extractor.features(test).shape
TensorShape([10000, 128])
"""

import os

import keras

from kgen.features import preprocessing
from kgen.features.classifiers import NAMES as CLASSIFIER_NAMES
from kgen.features.classifiers import classifier
from kgen.features.extractor import FeatureExtractor, from_model
from kgen.features.inception import inception_v3

__all__ = [
    "CLASSIFIER_NAMES",
    "FeatureExtractor",
    "classifier",
    "from_model",
    "get_extractor",
    "inception_v3",
    "preprocessing",
]


def get_extractor(name_or_model, **kwargs):
    """Returns a ``FeatureExtractor`` from a name, a path, a model or an extractor.

    Args:
        name_or_model: ``"fashion_mnist"`` or ``"mnist"`` (kgen's classifiers),
            ``"inception_v3"``, the path of a ``.keras`` model file (loaded with
            ``safe_mode=True``), a ``keras.Model``, or a ``FeatureExtractor``
            (returned as it is; then no ``kwargs``).
        **kwargs: passed to ``classifier``, ``inception_v3`` or ``from_model``
            (e.g. ``data_range=(-1, 1)``, ``weights=path``,
            ``features_layer="pool"``).

    Returns:
        ``FeatureExtractor``.

    Raises:
        ValueError: if ``name_or_model`` is none of these, or ``kwargs`` are given
            with an extractor.

    Example:

    >>> get_extractor("mnist", data_range=(-1, 1)).data_range
    (-1.0, 1.0)
    """
    if isinstance(name_or_model, FeatureExtractor):
        if kwargs:
            raise ValueError(f"A FeatureExtractor takes no further arguments. Received: "
                             f"{sorted(kwargs)}")
        return name_or_model
    if isinstance(name_or_model, keras.Model):
        return from_model(name_or_model, **kwargs)
    if isinstance(name_or_model, (str, os.PathLike)):
        name = os.fspath(name_or_model)
        if name in CLASSIFIER_NAMES:
            return classifier(name, **kwargs)
        if name == "inception_v3":
            return inception_v3(**kwargs)
        if name.endswith(".keras") and os.path.isfile(name):
            model = keras.saving.load_model(name, compile=False, safe_mode=True)
            return from_model(model, **kwargs)
    raise ValueError(
        f"`name_or_model` must be one of {list(CLASSIFIER_NAMES) + ['inception_v3']}, "
        f"the path of a .keras file, a keras.Model or a FeatureExtractor. Received: "
        f"name_or_model={name_or_model!r}")
