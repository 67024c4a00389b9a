"""kgen: deep generative models on TensorFlow 2 / Keras 3.

Every model is a ``keras.Model`` subclass with its own ``train_step``, so
``compile`` / ``fit`` / ``evaluate`` / callbacks work as in any Keras program.

- ``kgen.data``: named data sets as ``tf.data.Dataset`` and the papers' preprocessing
- ``kgen.layers``, ``kgen.networks``: building blocks and standard architectures
- ``kgen.likelihoods``, ``kgen.bijectors``: observation models and MADE-driven TFP
  bijectors shared by the families
- ``kgen.models``: the model families (``kgen.models.get(name)``, ``available()``)
- ``kgen.features``: feature extractors for sample metrics (kgen's own classifiers,
  InceptionV3, any Keras model)
- ``kgen.metrics``, ``kgen.callbacks``, ``kgen.export``, ``kgen.distribute``,
  ``kgen.schedules`` (the papers' learning-rate schedules)
"""

__version__ = "0.1.0"

from kgen import bijectors  # noqa: F401
from kgen import callbacks  # noqa: F401
from kgen import data  # noqa: F401
from kgen import distribute  # noqa: F401
from kgen import export  # noqa: F401
from kgen import features  # noqa: F401
from kgen import layers  # noqa: F401
from kgen import likelihoods  # noqa: F401
from kgen import metrics  # noqa: F401
from kgen import models  # noqa: F401
from kgen import networks  # noqa: F401
from kgen import schedules  # noqa: F401
from kgen.models import GenerativeModel  # noqa: F401
