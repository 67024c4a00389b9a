"""Options shared by the BigGAN layers: bool flags and fresh initializer copies."""

import keras


def checked_bools(**flags):
    """Returns the values of ``flags`` if all are bools; else ``TypeError`` naming one."""
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"`{name}` must be a bool. Received: {name}={value!r}")
    return tuple(flags.values())


def copies(initializer, count):
    """``count`` new initializers from ``initializer``'s config; a seeded one gets the
    seeds ``seed, seed + 1, ...``, so that the kernels are not drawn equal (one seeded
    Keras initializer reused by several kernels repeats its values)."""
    config = keras.initializers.serialize(initializer)
    seed = config.get("config", {}).get("seed")
    out = []
    for i in range(count):
        copy = keras.initializers.get(config)
        if isinstance(seed, int):
            copy.seed = seed + i
        out.append(copy)
    return out
