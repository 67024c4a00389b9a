"""The shared harness works without pytest and checks what it says."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import tensorflow as tf

from kgen import testing
from kgen.models.base import GenerativeModel

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_kgen_testing_imports_without_pytest():
    code = ("import sys; sys.modules['pytest'] = None; import kgen.testing as t; "
            "t.assert_raises_naming(ValueError, 'n', "
            "lambda: (_ for _ in ()).throw(ValueError('`n` bad')))")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_assert_raises_naming_fails_when_nothing_is_raised_or_the_name_is_missing():
    for fn in (lambda: None, lambda: (_ for _ in ()).throw(ValueError("no name here"))):
        try:
            testing.assert_raises_naming(ValueError, "argument", fn)
        except AssertionError:
            continue
        raise AssertionError("the check passed a function it should fail")


def test_zero_noise_fixes_normal_and_uniform_draws():
    class Fixed(testing.ZeroNoise, GenerativeModel):
        pass

    model = Fixed(event_shape=(2,), seed=0)
    np.testing.assert_array_equal(model.standard_normal((3, 2)), np.zeros((3, 2)))
    np.testing.assert_array_equal(model.uniform((3, 2)), np.full((3, 2), 0.5))
    assert isinstance(model.uniform(tf.constant([2])), tf.Tensor)
