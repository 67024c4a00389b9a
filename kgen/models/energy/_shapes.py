"""The visible layer's size of an energy model, from ``num_visible`` or ``event_shape``."""

import math

from kgen import checks


def visible_event_shape(num_visible, event_shape):
    """``(num_visible, event_shape)`` to pass on, before ``GenerativeModel.__init__``.

    Args:
        num_visible: int >= 1 or ``None``.
        event_shape: the data's event shape or ``None`` (then ``(num_visible,)``).

    Returns:
        ``(num_visible checked or None, event_shape)``.

    Raises:
        ValueError: naming ``num_visible`` if it is not an int >= 1, or both
            arguments if neither is given.
    """
    if num_visible is not None:
        num_visible = checks.positive_int("num_visible", num_visible)
    if event_shape is None:
        if num_visible is None:
            raise ValueError("`num_visible` or `event_shape` must be given. "
                             "Received: num_visible=None, event_shape=None")
        event_shape = (num_visible,)
    return num_visible, event_shape


def visible_size(num_visible, event_shape):
    """``prod(event_shape)``, checked against ``num_visible`` when that was given.

    Raises:
        ValueError: naming ``num_visible`` if it differs from ``prod(event_shape)``.
    """
    size = math.prod(event_shape)
    if num_visible is not None and num_visible != size:
        raise ValueError(f"`num_visible` must equal prod(event_shape)={size}. "
                         f"Received: num_visible={num_visible}, event_shape={event_shape}")
    return size
