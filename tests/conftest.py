"""Shared pytest set-up for kgen's test suite (``pythonpath = .`` in setup.cfg
makes ``import kgen`` work from a source checkout)."""

import os

# Quiet TensorFlow's C++ start-up logs; must run before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
