"""Keras serialization names of kgen's classes: one rule, and the release-0.1 aliases.

The rule (also in ``kgen.models.registry`` and ``docs/design_notes.md``): a kgen class is
registered as ``"<package>>ClassName"``, where the package comes from the module that
defines the class:

- a model family's module ``kgen.models.<family>.*`` gives ``"kgen.<family>"``
  (``kgen.vae>VAE``, ``kgen.vae>IAFPosterior``, ``kgen.baselines>BernoulliMixture``);
- any other kgen subpackage ``kgen.<subpackage>.*`` gives ``"kgen.<subpackage>"``
  (``kgen.layers>MADE``, ``kgen.likelihoods>BernoulliLikelihood``,
  ``kgen.bijectors>...``).

So two classes of the same name in different packages (a ``MADE`` layer and a future
``MADE`` model) have different names, and a second class registered under a name already
taken (same package, same class name) raises ``ValueError`` when its module is imported,
rather than silently replacing the first, as ``keras.saving.register_keras_serializable``
would. A class that moves to another package changes its registered name: add its old
name to ``LEGACY_NAMES`` (as for the likelihoods, ``kgen.vae>...`` before they moved to
``kgen.likelihoods``).

Release 0.1 registered every class under the one package ``"kgen"`` (``kgen>VAE``,
``kgen>MADE``, ...). ``LEGACY_NAMES`` maps each of those names, and every name a moved
class had, to the class's current name; registering the class also makes its old names
load-only aliases (Keras finds the class under them, and saves the class under its
current name only), so ``.keras`` files written by release 0.1 still load, with
``safe_mode=True``. New classes get no alias.

This module imports only Keras (no other kgen module), so that every kgen package
(layers, networks, models) can use it without an import cycle.
"""

import keras

# Old registered names -> the names the classes have now. Release 0.1 (kgen 0.1.0)
# registered every class in the package "kgen"; the likelihoods were "kgen.vae>..."
# from the per-package rule until they moved to kgen.likelihoods.
LEGACY_NAMES = {
    "kgen>BernoulliLikelihood": "kgen.likelihoods>BernoulliLikelihood",
    "kgen>BernoulliMixture": "kgen.baselines>BernoulliMixture",
    "kgen>DiscretizedLogisticLikelihood": "kgen.likelihoods>DiscretizedLogisticLikelihood",
    "kgen>GaussianLikelihood": "kgen.likelihoods>GaussianLikelihood",
    "kgen>GaussianPosterior": "kgen.vae>GaussianPosterior",
    "kgen>IAFPosterior": "kgen.vae>IAFPosterior",
    "kgen>IWAE": "kgen.vae>IWAE",
    "kgen>MADE": "kgen.layers>MADE",
    "kgen>MaskedDense": "kgen.layers>MaskedDense",
    "kgen>VAE": "kgen.vae>VAE",
    # moved from kgen.models.vae to kgen.likelihoods
    "kgen.vae>BernoulliLikelihood": "kgen.likelihoods>BernoulliLikelihood",
    "kgen.vae>DiscretizedLogisticLikelihood": "kgen.likelihoods>DiscretizedLogisticLikelihood",
    "kgen.vae>GaussianLikelihood": "kgen.likelihoods>GaussianLikelihood",
}


def package_of(module):
    """The serialization package of a class defined in ``module``.

    Args:
        module: a module name, e.g. ``"kgen.models.vae.iaf"`` or ``"kgen.layers.made"``.

    Returns:
        ``"kgen.<family>"`` for ``kgen.models.<family>.*``, ``"kgen.<subpackage>"`` for
        any other ``kgen.<subpackage>.*``.

    Raises:
        ValueError: if ``module`` is not inside a kgen subpackage (a model family for
            ``kgen.models``).

    Example:

    >>> package_of("kgen.models.vae.iaf")
    'kgen.vae'
    >>> package_of("kgen.layers.made")
    'kgen.layers'
    """
    parts = str(module).split(".")
    if parts[0] != "kgen" or len(parts) < 3 or (parts[1] == "models" and len(parts) < 4):
        raise ValueError(
            "`module` must be a module of a kgen subpackage (kgen.<subpackage>.<module>, "
            "or kgen.models.<family>.<module> for a model); classes defined elsewhere "
            f"pass `package` explicitly. Received: module={module!r}")
    return "kgen." + (parts[2] if parts[1] == "models" else parts[1])


def registered_name(cls, package=None):
    """The name ``cls`` is (or would be) registered under: ``"<package>>ClassName"``,
    with ``package`` derived by ``package_of(cls.__module__)`` when not given."""
    return f"{package or package_of(cls.__module__)}>{cls.__name__}"


def register_serializable(cls=None, *, package=None):
    """Class decorator: registers a kgen class as a Keras serializable object.

    The name follows the module rule (see this module's docstring); a class named in
    ``LEGACY_NAMES`` is also found under its release-0.1 name when a file is loaded.

    Args:
        cls: the class (when used as a bare decorator).
        package: optional package string, for classes defined outside kgen (e.g. in
            tests); default: derived from ``cls.__module__``.

    Returns:
        ``cls``, registered.

    Raises:
        ValueError: if the name (or one of its legacy aliases) is already registered to
            another class, or if ``package`` is needed and missing.

    Example:

    >>> @register_serializable          # in kgen/layers/made.py
    ... class MADE(keras.layers.Layer): ...
    >>> keras.saving.get_registered_name(MADE)
    'kgen.layers>MADE'
    """
    if cls is None:
        return lambda c: register_serializable(c, package=package)
    name = registered_name(cls, package)
    objects = keras.saving.get_custom_objects()
    aliases = [old for old, new in LEGACY_NAMES.items() if new == name]
    for key in [name] + aliases:
        existing = objects.get(key)
        if existing is not None and existing is not cls:
            raise ValueError(
                f"`{cls.__module__}.{cls.__qualname__}` cannot be registered as {key!r}: "
                f"that name is already registered to "
                f"`{existing.__module__}.{existing.__qualname__}`. Rename one of the "
                "classes or move it to another package.")
    cls = keras.saving.register_keras_serializable(package=name.split(">")[0])(cls)
    for old in aliases:
        objects[old] = cls  # load-only: Keras saves `cls` under `name`
    return cls
