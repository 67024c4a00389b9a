"""kgen's data layer: named data sets, 2-D toy densities and the papers' preprocessing.

- ``load(name, split, ...)`` returns a ``tf.data.Dataset`` of float32 tensors;
  ``available()`` lists the names. Everything works offline: binarized MNIST
  goes through TFDS's ``manual_dir``; MNIST test, Fashion-MNIST and the 8x8
  digits are read from local files.
- ``sample_toy(name, num_examples, seed)`` draws the standard 2-D toy densities
  as NumPy arrays.
- ``dynamic_binarize``, ``uniform_dequantize``, ``logit_transform`` /
  ``inverse_logit_transform`` and ``scale_to_minus_one_one`` /
  ``scale_from_minus_one_one`` work on tensors, inside ``Dataset.map`` too.
- ``register_preprocessing`` / ``get_preprocessing`` / ``preprocessing_steps``:
  the named steps (``kgen.data.steps``) that a preset's ``data.preprocess`` lists,
  e.g. ``[dequantize, {name: logit, alpha: 0.05}]``.

Example:

>>> import kgen.data
>>> ds = kgen.data.load("binarized_mnist", "train", batch_size=128, shuffle=True, seed=0)
>>> # model.fit(ds, epochs=10)
"""

from kgen.data.loading import available, load
from kgen.data.preprocessing import (
    dynamic_binarize,
    inverse_logit_transform,
    logit_transform,
    scale_from_minus_one_one,
    scale_to_minus_one_one,
    uniform_dequantize,
)
from kgen.data.steps import get_preprocessing, preprocessing_steps, register_preprocessing
from kgen.data.toy import sample_toy

__all__ = [
    "available",
    "dynamic_binarize",
    "get_preprocessing",
    "inverse_logit_transform",
    "load",
    "logit_transform",
    "preprocessing_steps",
    "register_preprocessing",
    "sample_toy",
    "scale_from_minus_one_one",
    "scale_to_minus_one_one",
    "uniform_dequantize",
]
