"""Name -> model class registry behind ``kgen.models.get`` and ``kgen list``."""

import keras

_MODELS = {}


def register(name):
    """Class decorator: registers a model under ``name`` and as a Keras
    serializable object of package ``"kgen"``."""

    def wrap(cls):
        if name in _MODELS:
            raise ValueError(f"model name {name!r} is already registered to {_MODELS[name]}")
        cls = keras.saving.register_keras_serializable(package="kgen")(cls)
        _MODELS[name] = cls
        return cls

    return wrap


def get(name):
    """Returns the model class registered under ``name``.

    Raises:
        ValueError: if ``name`` is unknown; the message lists the known names.
    """
    if name not in _MODELS:
        raise ValueError(f"Unknown model {name!r}. Available models: {available()}")
    return _MODELS[name]


def available():
    """Sorted list of registered model names."""
    return sorted(_MODELS)
