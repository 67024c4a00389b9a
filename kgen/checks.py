"""Argument checks shared by every kgen module.

Each check raises a ``ValueError`` or ``TypeError`` that names the argument and
the value received, in the Keras style::

    ValueError: `num_samples` must be an integer >= 1. Received: num_samples=0
"""

import numbers

import numpy as np


def positive_int(name, value, minimum=1):
    """Returns ``value`` as an ``int`` if it is an integer >= ``minimum``.

    Raises:
        TypeError: if ``value`` is not an integer (``bool`` is refused too).
        ValueError: if ``value < minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"`{name}` must be an integer >= {minimum}. "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value}"
        )
    return int(value)


def non_negative_float(name, value):
    """Returns ``value`` as a ``float`` if it is a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{name}` must be a real number >= 0. "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0. Received: {name}={value}")
    return float(value)


def event_shape(name, value):
    """Returns ``value`` as a non-empty tuple of positive ints: the shape of one
    example. Accepts an int, a tuple or list, a ``tf.TensorShape`` or an array.

    Raises:
        TypeError: if ``value`` is not a sequence of integers (a string is refused).
        ValueError: if it is empty or holds an integer < 1.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)):
        items = None
    else:
        try:
            items = tuple(value)
        except TypeError:
            items = None
    if items is None:
        raise TypeError(f"`{name}` must be a non-empty tuple of positive ints. "
                        f"Received: {name}={value!r} of type {type(value).__name__}")
    if not items:
        raise ValueError(f"`{name}` must be a non-empty tuple of positive ints. "
                         f"Received: {name}={value!r}")
    return tuple(positive_int(name, d) for d in items)


def one_of(name, value, choices):
    """Returns ``value`` if it is one of ``choices``, else raises ``ValueError``."""
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {sorted(choices)}. Received: {name}={value!r}"
        )
    return value


def seed(name, value):
    """Checks a seed: ``None`` or an integer in [0, 2**63) (TensorFlow's seeds
    are int64); returns it as a Python ``int``."""
    if value is None:
        return None
    value = positive_int(name, value, minimum=0)
    if value >= 2**63:
        raise ValueError(f"`{name}` must be an integer in [0, 2**63). Received: {name}={value}")
    return value


def data_array(name, x, event_shape, binary=False, value_range=None, integer=False):
    """Checks a concrete batch of data and returns it as a float32 NumPy array.

    Args:
        name: the argument's name, for the error message.
        x: array-like of shape ``[batch, *event_shape]``.
        event_shape: the model's event shape (tuple of ints).
        binary: if True, every value must be 0 or 1.
        value_range: optional ``(low, high)``; every value must lie inside.
        integer: if True, every value must be a whole number (pixel levels).

    Returns:
        ``np.ndarray`` of dtype float32.

    Raises:
        TypeError: if ``x`` is not numeric (e.g. strings or objects).
        ValueError: on a wrong shape, NaN/Inf, non-binary values where binary
            ones are required, non-integers where integers are, or values
            outside ``value_range``.
    """
    try:
        arr = np.asarray(x)
    except Exception as e:  # pragma: no cover - exotic inputs
        raise TypeError(f"`{name}` must be array-like. Received: {type(x).__name__}") from e
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(
            f"`{name}` must hold numbers. Received: {name} of dtype {arr.dtype}"
        )
    event_shape = tuple(event_shape)
    if arr.ndim != len(event_shape) + 1 or tuple(arr.shape[1:]) != event_shape:
        raise ValueError(
            f"`{name}` must have shape [batch, {', '.join(map(str, event_shape))}]. "
            f"Received: {name}.shape={arr.shape}"
        )
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"`{name}` must be finite. Received: {name} with "
            f"{int(np.sum(~np.isfinite(arr)))} NaN/Inf values"
        )
    if binary and not np.all((arr == 0) | (arr == 1)):
        bad = arr[(arr != 0) & (arr != 1)]
        raise ValueError(
            f"`{name}` must be binary (0 or 1) for a Bernoulli likelihood. "
            f"Received: {name} with {bad.size} non-binary values, e.g. {bad.flat[0]:g}"
        )
    if integer and not np.all(arr == np.round(arr)):
        raise ValueError(
            f"`{name}` must hold whole-number pixel levels for a discretized likelihood. "
            f"Received: {name} with values such as {arr[arr != np.round(arr)].flat[0]:g}"
        )
    if value_range is not None:
        low, high = value_range
        if arr.size and (arr.min() < low or arr.max() > high):
            raise ValueError(
                f"`{name}` must lie in [{low}, {high}]. "
                f"Received: {name} in [{arr.min():g}, {arr.max():g}]"
            )
    return arr
