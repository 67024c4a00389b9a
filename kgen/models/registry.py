"""Name -> model class registry behind ``kgen.models.get`` and ``kgen list``.

Serialization names (one rule for every kgen class, models, layers, networks and
likelihoods alike; implemented in ``kgen.serialization``): a class is registered with
Keras as ``"<package>>ClassName"``, the package given by the module that defines it:

- ``kgen.models.<family>.*`` -> ``"kgen.<family>"``: ``kgen.vae>VAE``, ``kgen.vae>IWAE``,
  ``kgen.vae>IAFPosterior``, ``kgen.vae>BernoulliLikelihood`` (while the likelihoods
  live in ``kgen/models/vae``), ``kgen.baselines>BernoulliMixture``;
- any other ``kgen.<subpackage>.*`` -> ``"kgen.<subpackage>"``: ``kgen.layers>MADE``,
  ``kgen.layers>MaskedDense``.

``register(name)`` below applies it to models (``@register("vae")`` on ``VAE`` in
``kgen/models/vae/vae.py`` gives ``kgen.vae>VAE``); other classes use
``@kgen.serialization.register_serializable``. Classes of the same name in different
packages coexist; a second class under a taken name (same package and class name) raises
``ValueError`` at import. Release 0.1 registered everything as ``kgen>ClassName``; those
names stay load-only aliases (``kgen.serialization.LEGACY_NAMES``), so its ``.keras``
files still load.
"""

from kgen.serialization import register_serializable

_MODELS = {}


def register(name):
    """Class decorator: registers a model under ``name`` and as a Keras serializable
    object named by the module rule (``kgen.models.<family>.*`` -> ``"kgen.<family>"``).

    Args:
        name: the model's name in ``kgen.models.get`` and presets, e.g. ``"vae"``.

    Returns:
        The decorator.

    Raises:
        ValueError: at import, if ``name`` or the class's serialization name is taken.
    """

    def wrap(cls):
        if name in _MODELS:
            raise ValueError(f"model name {name!r} is already registered to {_MODELS[name]}")
        cls = register_serializable(cls)
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
