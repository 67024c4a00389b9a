"""Value checks of preset keys: errors name the key and the value received."""


def int_value(section, key, prefix="", minimum=1):
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{prefix}{key}` must be an integer >= {minimum}. "
                         f"Received: {prefix}{key}={value!r}")
    return value


def positive_float(value, name):
    try:
        number = float(value)  # accepts YAML 1.1's string "1e-3"
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number > 0 or number == float("inf"):
        raise ValueError(f"`{name}` must be a number > 0. Received: {name}={value!r}")
    return number
