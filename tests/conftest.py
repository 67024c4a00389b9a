"""Shared pytest set-up for kgen's test suite (``pythonpath = .`` in setup.cfg
makes ``import kgen`` work from a source checkout)."""

import os

import pytest

# Quiet TensorFlow's C++ start-up logs; must run before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same Python, NumPy, TensorFlow and Keras seeds,
    so initial weights (unseeded initializers) and results are reproducible."""
    import keras

    keras.utils.set_random_seed(0)
