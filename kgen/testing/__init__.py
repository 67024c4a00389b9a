"""The shared test harness: checks every kgen model must pass.

Each family's tests call these instead of writing their own copies::

    from kgen import testing
    testing.assert_keras_round_trip(model, tmp_path, lambda m: m.elbo(x, seed=0))
"""

import json
import re

import keras
import numpy as np
import tensorflow as tf


def assert_keras_round_trip(model, tmp_path, fn, atol=1e-6):
    """Saves ``model`` as ``.keras``, loads it with ``safe_mode=True`` and
    asserts ``fn(model) == fn(loaded)`` (to ``atol``) and equal configs.

    Returns:
        The loaded model.
    """
    path = str(tmp_path / f"{model.name}.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    for kind in ("weights", "trainable_weights", "non_trainable_weights"):
        assert len(getattr(loaded, kind)) == len(getattr(model, kind)), kind
    if hasattr(model, "seed_generator"):
        np.testing.assert_array_equal(np.asarray(loaded.seed_generator.state),
                                      np.asarray(model.seed_generator.state))
    assert _plain(loaded.get_config()) == _plain(model.get_config())
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.asarray(fn(model)), np.asarray(fn(loaded)), atol=atol)
    return loaded


def assert_config_round_trip(model):
    """``type(model).from_config(model.get_config())`` has the same config."""
    clone = type(model).from_config(model.get_config())
    assert _plain(clone.get_config()) == _plain(model.get_config())
    return clone


def assert_raises_naming(error, argument, fn, *args, **kwargs):
    """Asserts ``fn(*args, **kwargs)`` raises ``error`` whose message names
    ``argument`` (as the Keras style writes it: `argument` or argument=)."""
    try:
        fn(*args, **kwargs)
    except error as e:
        message = str(e)
    else:
        raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise {error.__name__}")
    assert re.search(rf"`{re.escape(argument)}`|{re.escape(argument)}=", message), message
    return message


def random_binary(shape, seed=0, p=0.3):
    """Random {0, 1} float32 array, for shape tests (not for results)."""
    return (np.random.default_rng(seed).random(shape) < p).astype("float32")


def _plain(config):
    """A config as JSON sees it (tuples and lists are the same on disk)."""
    return json.loads(json.dumps(config))


class ZeroNoise:
    """Mixin that fixes a model's noise: Gaussian draws are 0 (``z`` = posterior
    mean) and uniform draws are 0.5 (the median, inside every support).

    Noise is the one thing that legitimately differs between two correct
    runs (XLA's Philox and the TF CPU kernel's draw different numbers from
    the same seed; replicas split a batch differently). Fixing it lets a
    test compare the arithmetic exactly: ``class Model(testing.ZeroNoise, VAE): pass``.
    """

    def standard_normal(self, shape, seed=None):
        return tf.zeros(shape)

    def uniform(self, shape, seed=None):
        return tf.fill(shape, 0.5)
