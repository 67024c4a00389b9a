"""Value checks of preset keys: errors name the key and the value received."""


def integer(name, value, minimum=1):
    """``value`` if it is an int >= ``minimum``; else a ``ValueError`` naming ``name``
    (a preset key such as ``train.epochs``, or a flag such as ``--epochs``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. "
                         f"Received: {name}={value!r}")
    return value


def int_value(section, key, prefix="", minimum=1):
    """``integer`` of ``section[key]``, named ``prefix + key``."""
    return integer(prefix + key, section[key], minimum)


def positive_float(value, name):
    try:
        number = float(value)  # accepts YAML 1.1's string "1e-3"
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number > 0 or number == float("inf"):
        raise ValueError(f"`{name}` must be a number > 0. Received: {name}={value!r}")
    return number
