"""SavedModel export in the directory layout TF Serving watches."""

import os
import shutil
import tempfile
import uuid

import keras
import tensorflow as tf

from kgen import checks
from kgen.models.base import GenerativeModel


def saved_model(model, base_dir, name, version=1, overwrite=False):
    """Writes a model's serving signatures as a SavedModel for TF Serving.

    The SavedModel holds one signature per entry of
    ``model.serving_signatures()`` (for a VAE: ``serving_default``,
    ``sample``, ``encode``, ``decode``, ``elbo``) and the variables they
    read. The signatures are plain TensorFlow graphs: loading them needs
    neither kgen nor TensorFlow Probability, as in TF Serving. It is written
    in TF Serving's layout, one numbered directory per version of a model::

        <base_dir>/
            <name>/
                1/
                    saved_model.pb
                    variables/
                2/
                    ...

    TF Serving started with ``--model_name=<name>
    --model_base_path=<base_dir>/<name>`` serves the highest version. The
    export is written to a hidden temporary directory beside the target and
    renamed into place, so a server never sees a half-written version and a
    failed export leaves an existing version intact.

    A model built in a ``tf.distribute`` strategy's scope is exported
    through a plain copy (same config and variable values), since
    TensorFlow cannot save these signatures over distributed variables; call
    this outside ``strategy.scope()``.

    Signatures that draw noise (a VAE's ``sample``, ``elbo``, and
    ``serving_default`` through its ``elbo`` output) use the model's seed
    generator state, which is saved with the variables and advances with each
    call: identical requests give fresh draws (a one-sample ELBO differs from
    call to call; ``encode``, ``decode`` and ``reconstruction`` do not).

    Args:
        model: a built ``kgen.models.GenerativeModel``.
        base_dir: str or path-like, the directory of all served models.
        name: str, the model's name: a non-empty directory name without path
            separators.
        version: int >= 1, the version number (the directory name).
        overwrite: if True, replace an existing version; if False, refuse to.

    Returns:
        The path of the written version directory, a str.

    Raises:
        TypeError: if ``model`` is not a kgen ``GenerativeModel``, or
            ``name`` / ``version`` have the wrong type.
        ValueError: if ``model`` is not built, or built in a strategy whose
            scope is still active, if its ``serving_signatures()``
            are not ``tf.function``s with input signatures including
            ``serving_default``, if ``name`` is empty or contains a path
            separator, or if ``version < 1``.
        FileExistsError: if the version exists (as a non-empty directory or
            a file) and ``overwrite`` is False.

    All checks run before anything is written.

    Example:

    >>> path = kgen.export.saved_model(model, "savedmodels", "vae_mnist", version=1)
    >>> # in any process, without kgen:
    >>> loaded = tf.saved_model.load(path)
    >>> loaded.signatures["encode"](x=tf.zeros((2, 28, 28, 1)))["z"]       # [2, 50]
    >>> loaded.signatures["sample"](num_samples=tf.constant(16))["x"]       # [16, 28, 28, 1]
    >>> loaded.signatures["serving_default"](x=images)["reconstruction"]

    Signatures take keyword arguments named as in the model's input
    signatures and return dicts. ``saved_model_cli show --dir <path> --all``
    lists every signature with its inputs' and outputs' names, dtypes and
    shapes; ``saved_model_cli run`` calls one from the shell.
    """
    _check_model(model)
    if not isinstance(base_dir, (str, os.PathLike)):
        raise TypeError(
            "`base_dir` must be a str or path-like. "
            f"Received: base_dir={base_dir!r} of type {type(base_dir).__name__}"
        )
    _check_name(name)
    version = checks.positive_int("version", version)
    model_dir = os.path.join(os.fspath(base_dir), name)
    target = os.path.join(model_dir, str(version))
    if os.path.lexists(target) and not overwrite and not _is_empty_dir(target):
        raise FileExistsError(
            f"Version {version} of model {name!r} already exists at {target}. Pass "
            f"overwrite=True to replace it, or choose a new version. "
            f"Received: version={version}, overwrite={overwrite}"
        )

    model = _undistributed(model)
    signatures = _check_signatures(model)
    archive = keras.export.ExportArchive()
    archive.track(model)
    for sig_name, fn in signatures.items():
        archive.add_endpoint(sig_name, fn)

    created = [d for d in (os.fspath(base_dir), model_dir) if not os.path.isdir(d)]
    os.makedirs(model_dir, exist_ok=True)
    # Not mkdtemp: its 0700 mode would hide the version from a server run as
    # another user. A hidden, non-numeric name is ignored by TF Serving.
    tmp = os.path.join(model_dir, f".tmp-{version}-{uuid.uuid4().hex}")
    try:
        os.mkdir(tmp)
        archive.write_out(tmp, verbose=False)
        _replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for d in reversed(created):  # undo directories this call made, if still empty
            if _is_empty_dir(d):
                os.rmdir(d)
        raise
    return target


def _check_model(model):
    if not isinstance(model, GenerativeModel):
        raise TypeError(
            "`model` must be a kgen.models.GenerativeModel. "
            f"Received: model={model!r} of type {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            "`model` must be built before export: call it on a batch or "
            f"`model.build_from_event_shape()`. Received: unbuilt model {model.name!r}"
        )


def _check_signatures(model):
    """Returns ``model.serving_signatures()`` after checking them."""
    signatures = model.serving_signatures()
    if not isinstance(signatures, dict) or "serving_default" not in signatures:
        raise ValueError(
            "`model.serving_signatures()` must return a dict with a 'serving_default' "
            f"entry. Received: {type(model).__name__}.serving_signatures() with keys "
            f"{sorted(signatures) if isinstance(signatures, dict) else type(signatures)}"
        )
    for sig_name, fn in signatures.items():
        if getattr(fn, "input_signature", None) is None:
            raise ValueError(
                f"Every serving signature must be a tf.function with an input_signature. "
                f"Received: {type(model).__name__}.serving_signatures()[{sig_name!r}]={fn!r}"
            )
    return signatures


def _undistributed(model):
    """Returns ``model``, or a copy with plain variables if it has distributed ones.

    ``ExportArchive`` traces the signatures before ``tf.saved_model.save``
    runs, and TensorFlow refuses to save a function traced outside its save
    context that reads distributed (e.g. mirrored) variables. A model built in
    ``strategy.scope()`` is therefore copied, outside any scope, through its
    config, and every variable (weights, seed generator state) is copied over.
    """
    if not any(isinstance(getattr(v, "value", v), tf.distribute.DistributedValues)
               for v in model.variables):
        return model
    if tf.distribute.has_strategy():
        raise ValueError(
            "`model` was built under a tf.distribute strategy: export it outside "
            f"`strategy.scope()`. Received: model {model.name!r} inside the scope of "
            f"{tf.distribute.get_strategy()!r}"
        )
    copy = type(model).from_config(model.get_config())
    if not copy.built:
        copy.build_from_event_shape()
    shapes = [tuple(v.shape) for v in model.variables]
    if [tuple(v.shape) for v in copy.variables] != shapes:
        raise ValueError(
            f"Cannot export {type(model).__name__} built under a tf.distribute strategy: "
            "a copy from its config has different variables. Received: model "
            f"variables {[v.path for v in model.variables]}, copy variables "
            f"{[v.path for v in copy.variables]}"
        )
    for source, target in zip(model.variables, copy.variables):
        target.assign(source.numpy())
    return copy


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(
            f"`name` must be a str. Received: name={name!r} of type {type(name).__name__}"
        )
    separators = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
    if not name.strip() or name in (".", "..") or any(s in name for s in separators):
        raise ValueError(
            "`name` must be a non-empty directory name without path separators, "
            f"e.g. 'vae_mnist'. Received: name={name!r}"
        )


def _is_empty_dir(path):
    return os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path)


def _replace(src, target):
    """Renames directory ``src`` to ``target``, replacing what is there.

    An old ``target`` is first moved aside (on the same file system, so
    renames are atomic) and deleted only after ``src`` took its place; if the
    second rename fails the old version is put back.
    """
    if not os.path.lexists(target):
        os.rename(src, target)
        return
    old = tempfile.mkdtemp(prefix=f".old-{os.path.basename(target)}-",
                           dir=os.path.dirname(target))
    aside = os.path.join(old, "v")
    os.rename(target, aside)
    try:
        os.rename(src, target)
    except BaseException:
        os.rename(aside, target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
