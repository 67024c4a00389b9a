"""Small checks and fixtures: errors that name their argument, config round trips,
random binary data and fixed noise."""

import json
import re

import numpy as np
import tensorflow as tf


class RaisesNaming:
    """Context manager of ``assert_raises_naming``: the body must raise ``error``
    whose message names ``argument``.

    After the block, ``message`` holds the error's message. An exception of
    another type passes through unchanged, as with ``pytest.raises``.
    """

    def __init__(self, error, argument):
        self.error, self.argument, self.message = error, argument, None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            raise AssertionError(f"Expected {_name(self.error)} naming `{self.argument}`; "
                                 "nothing was raised")
        if not issubclass(kind, self.error):
            return False  # not ours: let it propagate
        self.message = str(value)
        pattern = rf"`{re.escape(self.argument)}`|{re.escape(self.argument)}="
        if not re.search(pattern, self.message):
            raise AssertionError(f"{_name(kind)} does not name `{self.argument}` "
                                 f"(as `{self.argument}` or {self.argument}=): "
                                 f"{self.message}") from value
        return True  # the expected error: swallowed


def assert_raises_naming(error, argument, fn=None, *args, **kwargs):
    """Asserts that ``fn(*args, **kwargs)`` raises ``error`` naming ``argument``.

    The message must name the argument as kgen's errors do: `` `argument` ``
    or ``argument=``. Works without pytest: as a call, or, with ``fn``
    omitted, as a context manager.

    Args:
        error: the exception class (or tuple of classes) expected.
        argument: str, the argument the message must name.
        fn: the callable to call; ``None`` for the context-manager form.
        *args, **kwargs: passed to ``fn``.

    Returns:
        The error's message (call form), or a ``RaisesNaming`` context
        manager whose ``message`` is set after the block.

    Raises:
        AssertionError: if nothing is raised or the message does not name
            ``argument``. An error of another type propagates unchanged.

    Example:

    >>> assert_raises_naming(ValueError, "num_samples", model.sample, 0)
    >>> with assert_raises_naming(ValueError, "x"):
    ...     model.fit(bad_data)
    """
    check = RaisesNaming(error, argument)
    if fn is None:
        return check
    with check:
        fn(*args, **kwargs)
    return check.message


def assert_config_round_trip(model):
    """Asserts ``type(model).from_config(model.get_config())`` has the same config.

    Configs are compared as JSON sees them (tuples come back as lists).

    Returns:
        The clone.
    """
    clone = type(model).from_config(model.get_config())
    assert _plain(clone.get_config()) == _plain(model.get_config()), (
        f"{type(model).__name__}.from_config(get_config()) has another config")
    return clone


def random_binary(shape, seed=0, p=0.3):
    """Random {0, 1} float32 array of ``shape`` with P(1) = ``p``, for shape tests
    (not for results)."""
    return (np.random.default_rng(seed).random(shape) < p).astype("float32")


class ZeroNoise:
    """Mixin that fixes a model's noise: every draw is its distribution's median.

    ``standard_normal`` returns zeros (so a VAE's ``z`` is the posterior mean)
    and ``uniform`` returns 0.5: in the support of U[0, 1), deterministic, and
    the median, so that a draw made from it by an inverse CDF is the target
    distribution's median too (a logistic's location, a Bernoulli(p) draw
    ``u < p`` that is 1 exactly when p > 0.5, the midpoint of a WGAN-GP
    interpolation, the centre of a dequantization bin). Draws that sort
    uniforms (a random permutation) see ties and so keep their order.

    Noise is the one thing that legitimately differs between two correct runs
    (XLA's Philox and the TF CPU kernel's draw different numbers from one
    seed; replicas fold their id into the seed). Fixing it lets a test
    compare the arithmetic exactly. Seeds are ignored and the model's seed
    generator does not advance.

    The class attributes ``NORMAL_VALUE`` and ``UNIFORM_VALUE`` hold the two
    values; a subclass may change them. A zero ``z`` leaves the first kernel
    of a generator ``g(z)`` without gradient, so a test of a GAN's step may
    want ``NORMAL_VALUE = 1.0``.

    Example:

    >>> class FixedVAE(testing.ZeroNoise, kgen.models.vae.VAE):
    ...     pass
    """

    NORMAL_VALUE = 0.0
    UNIFORM_VALUE = 0.5

    def standard_normal(self, shape, seed=None):
        return tf.fill(shape, tf.constant(self.NORMAL_VALUE, tf.float32))

    def uniform(self, shape, seed=None):
        return tf.fill(shape, tf.constant(self.UNIFORM_VALUE, tf.float32))


def _plain(config):
    """A config as JSON sees it (tuples and lists are the same on disk)."""
    return json.loads(json.dumps(config))


def _name(error):
    if isinstance(error, tuple):
        return " or ".join(e.__name__ for e in error)
    return error.__name__
