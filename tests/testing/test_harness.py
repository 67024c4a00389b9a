"""kgen.testing works without pytest, and its basic checks fail when they should."""

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
            "lambda: (_ for _ in ()).throw(ValueError('`n` bad')))\n"
            "with t.assert_raises_naming(ValueError, 'n'):\n"
            "    raise ValueError('n=3')\n"
            "t.assert_normalized_by_enumeration(lambda x: x[:, 0] * 0 - 0.6931471805599453, 1)")
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


def _raise(error):
    raise error


def test_assert_raises_naming_as_a_context_manager_keeps_the_message():
    with testing.assert_raises_naming(ValueError, "num_samples") as check:
        _raise(ValueError("`num_samples` must be >= 1. Received: num_samples=0"))
    assert check.message.startswith("`num_samples` must be")
    with testing.assert_raises_naming((TypeError, ValueError), "x"):
        _raise(TypeError("Received: x=None"))


def test_assert_raises_naming_context_fails_on_no_error_or_a_message_without_the_name():
    for body in (lambda: None, lambda: _raise(ValueError("`other` is bad"))):
        try:
            with testing.assert_raises_naming(ValueError, "x"):
                body()
        except AssertionError:
            continue
        raise AssertionError("the context manager passed a body it should fail")


def test_an_error_of_another_type_passes_through_unchanged():
    error = KeyError("x")
    for form in ("call", "context"):
        try:
            if form == "call":
                testing.assert_raises_naming(ValueError, "x", _raise, error)
            else:
                with testing.assert_raises_naming(ValueError, "x"):
                    _raise(error)
        except KeyError as e:
            assert e is error
        else:
            raise AssertionError(f"{form}: the KeyError was swallowed")


def test_zero_noise_fixes_normal_and_uniform_draws():
    class Fixed(testing.ZeroNoise, GenerativeModel):
        pass

    model = Fixed(event_shape=(2,), seed=0)
    np.testing.assert_array_equal(model.standard_normal((3, 2)), np.zeros((3, 2)))
    np.testing.assert_array_equal(model.uniform((3, 2)), np.full((3, 2), 0.5))
    assert isinstance(model.uniform(tf.constant([2])), tf.Tensor)
    state = model.seed_generator.state.numpy()
    model.standard_normal((2,)), model.uniform((2,))
    np.testing.assert_array_equal(model.seed_generator.state.numpy(), state)


def test_zero_noise_values_can_be_changed_by_a_subclass():
    class Ones(testing.ZeroNoise, GenerativeModel):
        NORMAL_VALUE = 1.0

    np.testing.assert_array_equal(Ones(event_shape=(2,)).standard_normal((2,)), [1.0, 1.0])
