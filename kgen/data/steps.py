"""Named preprocessing steps, so that a preset lists them by name.

A preset's ``data.preprocess`` is ``null``, one step, or a list of steps, applied
in order to the images of every batch (labels pass through)::

    preprocess: dynamic_binarize
    preprocess: [dequantize, {name: logit, alpha: 0.05}]

| step | does | random |
| --- | --- | --- |
| ``dynamic_binarize`` | pixels in [0, 1] -> Bernoulli draws (Salakhutdinov & Murray 2008) | yes |
| ``dequantize`` | pixels ``k/255`` in [0, 1] -> ``(k + u) / 256``, u ~ U[0, 1) (Theis et al. 2016) | yes |
| ``logit`` | ``logit(alpha + (1 - 2 alpha) x)``, argument ``alpha`` (Dinh et al. 2016) | no |
| ``scale`` | [0, 1] -> [-1, 1], a tanh generator's range (Radford et al. 2015) | no |
| ``levels`` | pixels ``k/255`` in [0, 1] -> the integer levels ``k`` (0..255), for flows that dequantize themselves (``num_levels: 256``) | no |
| ``flatten`` | ``[batch, H, W, C]`` -> ``[batch, H*W*C]``, for vector models (MAF) | no |

A random step draws from a stateless seed per batch: on the training split a new
one each epoch, on other splits the same each pass (so validation and test figures
are comparable across epochs). ``register_preprocessing`` adds a step
(also as a decorator); ``get_preprocessing`` returns one.
"""

import collections

import tensorflow as tf

from kgen.data import preprocessing

Step = collections.namedtuple("Step", ["fn", "random", "arguments", "check"], defaults=(None,))
_STEPS = {}
# Offsets that give each split its own stream of seeds (kept from kgen 0.1, so that
# runs with dynamic_binarize draw what they drew then).
_SEED_OFFSET = {"train_split": 0, "validation_split": 1, "eval_split": 2}


def register_preprocessing(name, fn=None, random=False, arguments=(), check=None):
    """Registers a preprocessing step under ``name``, so presets can list it.

    Args:
        name: the step's name in ``data.preprocess``, not yet registered.
        fn: ``fn(x, **kwargs)``, or ``fn(x, seed, **kwargs)`` if ``random``, mapping
            a batch of images to a batch of the same length (traced inside
            ``Dataset.map``). ``None``: return a decorator that registers its function.
        random: if True, ``fn`` takes a stateless seed (an int64 tensor of shape
            ``[2]``): a new one each epoch on the training split, a fixed one on the
            other splits.
        arguments: the keyword arguments a preset may give, as in
            ``{name: logit, alpha: 0.05}``.
        check: ``None``, or ``check(**kwargs)`` raising ``ValueError`` /
            ``TypeError`` on bad argument values; ``parse`` calls it, so a preset
            with a bad value is refused when it resolves.

    Returns:
        ``fn`` (or, with ``fn=None``, the decorator).

    Raises:
        ValueError: naming ``name`` if it is not a string or already registered.

    Example:

    >>> @register_preprocessing("invert_pixels")
    ... def invert(x):
    ...     return 1.0 - x
    >>> "invert_pixels" in preprocessing_steps()
    True
    """
    if not isinstance(name, str) or name in _STEPS:
        raise ValueError(f"`name` must be a new step name. Received: name={name!r}")
    if fn is None:
        return lambda f: register_preprocessing(name, f, random, arguments, check)
    _STEPS[name] = Step(fn, bool(random), tuple(arguments), check)
    return fn


def get_preprocessing(name):
    """Returns the registered step ``name`` as ``Step(fn, random, arguments)``.

    Raises:
        ValueError: naming ``name`` and the registered steps if it is unknown.

    Example:

    >>> get_preprocessing("logit").arguments
    ('alpha',)
    """
    if not isinstance(name, str) or name not in _STEPS:
        raise ValueError(f"`name` must be a registered preprocessing step, one of "
                         f"{preprocessing_steps()}. Received: name={name!r}")
    return _STEPS[name]


def preprocessing_steps():
    """Sorted names of the registered steps."""
    return sorted(_STEPS)


def parse(spec, where="data.preprocess"):
    """``[(name, kwargs), ...]`` of a ``data.preprocess`` value, checked.

    Raises:
        ValueError: naming ``where`` on an unknown step, an unknown argument or a
            value that is not a name, a ``{name: ..., arg: ...}`` mapping or a list.
    """
    if spec is None or spec == "none":
        return []
    items = spec if isinstance(spec, list) else [spec]
    parsed = []
    for item in items:
        if isinstance(item, str):
            name, kwargs = item, {}
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            name, kwargs = item["name"], {k: v for k, v in item.items() if k != "name"}
        else:
            raise ValueError(f"`{where}` must be null, a step name, a mapping with `name`, or "
                             f"a list of them; steps: {preprocessing_steps()}. "
                             f"Received: {where}={spec!r}")
        if name not in _STEPS:
            raise ValueError(f"`{where}` names an unknown step {name!r}; steps: "
                             f"{preprocessing_steps()}. Received: {where}={spec!r}")
        extra = sorted(set(kwargs) - set(_STEPS[name].arguments))
        if extra:
            raise ValueError(f"`{where}` step {name!r} takes arguments "
                             f"{list(_STEPS[name].arguments)}, not {extra}. "
                             f"Received: {where}={spec!r}")
        if _STEPS[name].check is not None:
            try:
                _STEPS[name].check(**kwargs)
            except (TypeError, ValueError) as e:
                raise ValueError(f"`{where}` step {name!r}: {e} "
                                 f"Received: {where}={spec!r}") from e
        parsed.append((name, kwargs))
    return parsed


def apply(ds, spec, seed, split_key, training=False):
    """Applies the steps of ``spec`` to the images of a batched data set.

    Args:
        ds: a batched ``tf.data.Dataset`` of images or ``(images, labels)``.
        spec: a ``data.preprocess`` value (see ``parse``).
        seed: int >= 0, the preset's seed.
        split_key: ``"train_split"``, ``"validation_split"`` or ``"eval_split"``.
        training: draw new random numbers each epoch.
    """
    steps = parse(spec)
    if not steps:
        return ds
    random = any(_STEPS[name].random for name, _ in steps)
    if not random:
        return ds.map(lambda *e: _map(e, steps, None), num_parallel_calls=tf.data.AUTOTUNE)
    seeds = tf.data.Dataset.random(seed=seed * 10 + _SEED_OFFSET.get(split_key, 3),
                                   rerandomize_each_iteration=training).batch(2)
    return tf.data.Dataset.zip((ds, seeds)).map(
        lambda e, s: _map(e if isinstance(e, tuple) else (e,), steps, s),
        num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _map(element, steps, seed):
    x, rest = element[0], element[1:]
    random_index = 0
    for name, kwargs in steps:
        step = _STEPS[name]
        if step.random:
            # The first random step takes the batch's seed itself (as kgen 0.1 did).
            step_seed = seed if random_index == 0 else tf.random.experimental.stateless_fold_in(
                seed, random_index)
            x = step.fn(x, step_seed, **kwargs)
            random_index += 1
        else:
            x = step.fn(x, **kwargs)
    return (x, *rest) if rest else x


def _dequantize(x, seed):
    return preprocessing.uniform_dequantize(tf.round(tf.cast(x, tf.float32) * 255.0), seed)


register_preprocessing("dynamic_binarize", lambda x, seed: preprocessing.dynamic_binarize(
    x, seed=seed), random=True)
register_preprocessing("dequantize", _dequantize, random=True)
register_preprocessing("logit", lambda x, alpha=0.05: preprocessing.logit_transform(
    x, alpha=alpha), arguments=("alpha",),
    check=lambda alpha=0.05: preprocessing._check_alpha(alpha))
register_preprocessing("scale", preprocessing.scale_to_minus_one_one)
register_preprocessing("levels", lambda x: tf.round(tf.cast(x, tf.float32) * 255.0))
register_preprocessing("flatten", lambda x: tf.reshape(x, (-1, x.shape[1:].num_elements())))
