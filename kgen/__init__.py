"""kgen: deep generative models on TensorFlow 2 / Keras 3.

Every model is a ``keras.Model`` subclass with its own ``train_step``, so
``compile`` / ``fit`` / ``evaluate`` / callbacks work as in any Keras program.
See ``kgen.models`` for the model contract, ``kgen.data`` for data sets.
"""

__version__ = "0.1.0"

from kgen import layers  # noqa: F401  (registers serializable layers)
from kgen import models  # noqa: F401
from kgen.models import GenerativeModel  # noqa: F401
