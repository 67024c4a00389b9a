"""Round trips through files: ``.keras`` in-process, SavedModel in a process without kgen."""

import inspect
import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import tensorflow as tf

from kgen.testing import _workers
from kgen.testing.basics import _plain

_LOADER = pathlib.Path(__file__).with_name("_serving_loader.py")
_WORKER = None  # the loader process serving this process's checks, started on first use
# Modules that serving must not need: the loader process fails if one was imported.
FORBIDDEN_IN_SERVING = ("kgen", "tensorflow_probability")


def assert_keras_round_trip(model, tmp_path, fn, atol=1e-6):
    """Saves ``model`` as ``.keras``, loads it with ``safe_mode=True`` and checks it.

    Checked: the same class and config (compared as JSON); the same number of
    weights, trainable and non-trainable, and of variables (so a weight that
    is not saved, or one too many, is caught, not hidden by ``zip``); every
    weight equal; the seed generator's state (seed and position) equal, if
    the model has one; and ``fn(model) == fn(loaded)`` to ``atol``.

    Args:
        model: a built Keras model.
        tmp_path: a directory (path-like) to write the file in.
        fn: ``fn(model) -> array``, e.g. ``lambda m: m.elbo(x, seed=0)``.
        atol: absolute tolerance of the ``fn`` comparison.

    Returns:
        The loaded model.

    Raises:
        AssertionError: naming the first difference.
    """
    path = str(pathlib.Path(tmp_path) / f"{model.name}.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert type(loaded) is type(model), f"loaded a {type(loaded).__name__}"
    assert _plain(loaded.get_config()) == _plain(model.get_config()), "configs differ"
    for kind in ("weights", "trainable_weights", "non_trainable_weights", "variables"):
        before, after = getattr(model, kind), getattr(loaded, kind)
        assert len(before) == len(after), (
            f"{len(before)} {kind} saved, {len(after)} loaded: "
            f"{[v.path for v in before]} vs {[v.path for v in after]}")
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a),
                                      keras.ops.convert_to_numpy(b), err_msg=a.path)
    generator = getattr(model, "seed_generator", None)
    if generator is not None:
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(generator.state),
            keras.ops.convert_to_numpy(loaded.seed_generator.state),
            err_msg="seed_generator state (the noise stream's seed and position)")
    np.testing.assert_allclose(np.asarray(fn(model)), np.asarray(fn(loaded)), atol=atol)
    return loaded


def assert_saved_model_round_trip(model, tmp_path, inputs, atol=1e-5, rtol=1e-5,
                                  timeout=120):
    """Exports ``model`` and serves every signature in a process that never imports kgen.

    The model is written with ``kgen.export.saved_model`` and loaded with plain
    ``tf.saved_model.load`` in another interpreter without ``PYTHONPATH``,
    whose working directory is outside the repository, as TF Serving would
    load it. That process calls **every** serving signature once, in sorted
    name order, with ``inputs``, and fails if ``kgen`` or
    ``tensorflow_probability`` is in its ``sys.modules``. It is a loader
    worker kept for all the calls of this process (each loads its SavedModel
    afresh; a worker that got a forbidden module exits); with the
    environment variable ``KGEN_TESTING_FRESH_PROCESS=1``, a fresh
    interpreter per call. The same signatures of the
    model (``model.serving_signatures()``) are then called in-process, in
    the same order and from the same seed-generator state, so signatures
    that draw noise draw the same numbers; each output must match to
    ``atol`` / ``rtol``. The model's seed generator is left where it was.

    Args:
        model: a built ``kgen.models.GenerativeModel``.
        tmp_path: a directory (path-like) to export and work in.
        inputs: ``{signature name: {input name: numpy array}}`` with one entry
            for every signature (``{}`` for one without inputs). Arrays are
            cast to the signature's dtypes.
        atol, rtol: tolerances of the output comparison.
        timeout: seconds the loading may take (the first call's include the
            loader's start, a TensorFlow import).

    Returns:
        ``{signature name: {output name: numpy array}}``, the served outputs,
        for further checks against the model's own methods.

    Raises:
        ValueError: naming ``inputs`` if it misses a signature, names one the
            model does not have, or misses or adds an input of one.
        AssertionError: if the exported signatures are not the model's, the
            loading process fails or imported kgen, or an output differs.

    Example:

    >>> served = testing.assert_saved_model_round_trip(model, tmp_path, {
    ...     "serving_default": {"x": x}, "encode": {"x": x}, "decode": {"z": z},
    ...     "elbo": {"x": x}, "sample": {"num_samples": np.int32(3)}})
    """
    from kgen import export

    signatures = model.serving_signatures()
    inputs = _check_inputs(signatures, inputs)
    work = (pathlib.Path(tmp_path) / "saved_model_round_trip").absolute()  # for the loader
    work.mkdir(parents=True, exist_ok=True)
    generator = getattr(model, "seed_generator", None)
    state = None if generator is None else keras.ops.convert_to_numpy(generator.state)
    path = export.saved_model(model, work / "export", "model", version=1, overwrite=True)
    arrays = {f"{s}|{k}": np.asarray(v) for s, kw in inputs.items() for k, v in kw.items()}
    np.savez(work / "inputs.npz", **arrays)
    (work / "request.json").write_text(json.dumps({
        "path": path, "inputs": str(work / "inputs.npz"), "outputs": str(work / "out.npz"),
        "signatures": sorted(inputs), "forbidden": list(FORBIDDEN_IN_SERVING)}))
    error = _serve(work, timeout)
    assert error is None, f"loading without kgen failed:\n{error}"
    served = {}
    with np.load(work / "out.npz") as out:
        for key in out.files:
            sig, name = key.split("|", 1)
            served.setdefault(sig, {})[name] = out[key]
    try:
        local = {name: _call(signatures[name], inputs[name]) for name in sorted(inputs)}
    finally:
        if state is not None:
            generator.state.assign(state)
    problems = []
    for name in sorted(inputs):
        if sorted(served.get(name, {})) != sorted(local[name]):
            problems.append(f"{name}: served outputs {sorted(served.get(name, {}))}, "
                            f"in-process {sorted(local[name])}")
            continue
        for key, expected in local[name].items():
            got = served[name][key]
            if got.shape != expected.shape or not np.allclose(got, expected, atol=atol,
                                                              rtol=rtol):
                gap = (np.abs(got.astype("float64") - expected).max()
                       if got.shape == expected.shape else "shapes differ")
                problems.append(f"{name}[{key!r}]: served {got.shape}, in-process "
                                f"{expected.shape}, max |difference| {gap}")
    assert not problems, "served outputs differ from the model's:\n" + "\n".join(problems)
    return served


def _serve(work, timeout):
    """Serves ``work/request.json`` without kgen; ``None``, or what went wrong."""
    global _WORKER
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # -c, not the file's path: its folder (inside kgen) must not be on sys.path.
    code = _LOADER.read_text()
    if _workers.fresh_process():
        proc = subprocess.run([sys.executable, "-c", code, str(work / "request.json")],
                              cwd=work, env=env, capture_output=True, text=True,
                              timeout=timeout)
        return None if proc.returncode == 0 else proc.stderr[-3000:]
    if _WORKER is None:  # its working directory: a fresh one, outside the repository
        _WORKER = _workers.Worker("the SavedModel loader",
                                  [sys.executable, "-c", code, "--serve"], env)
    reply = _WORKER.call({"request": str(work / "request.json")}, timeout)
    return None if reply["ok"] else reply["traceback"][-3000:]


def _check_inputs(signatures, inputs):
    """``inputs`` as ``{signature: {input: array}}`` after checking it covers
    every signature and every input of each."""
    if not isinstance(inputs, dict):
        raise ValueError(f"`inputs` must be a dict: signature name -> {{input: array}}. "
                         f"Received: inputs={inputs!r}")
    missing, extra = sorted(set(signatures) - set(inputs)), sorted(set(inputs) - set(signatures))
    if missing or extra:
        raise ValueError(
            f"`inputs` must give inputs for every serving signature {sorted(signatures)}, "
            f"and for no other ({{}} for one without inputs), so that none goes untested. "
            f"Received: inputs with keys {sorted(inputs)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (unknown {extra})" if extra else ""))
    result = {}
    for name in sorted(signatures):
        wanted = [spec.name for spec in _specs(signatures[name])]
        given = inputs[name]
        if not isinstance(given, dict) or sorted(given) != sorted(wanted):
            raise ValueError(f"`inputs` must map each signature's inputs to arrays: "
                             f"{name!r} takes {wanted}. Received: inputs[{name!r}]={given!r}")
        result[name] = {spec.name: np.asarray(given[spec.name], spec.dtype.as_numpy_dtype)
                        for spec in _specs(signatures[name])}
    return result


def _specs(fn):
    """The input ``tf.TensorSpec``s of a serving ``tf.function``, each named as the
    SavedModel signature names it (the spec's name, else the argument's)."""
    params = list(inspect.signature(fn.python_function).parameters)
    return [spec if spec.name else tf.TensorSpec(spec.shape, spec.dtype, name=param)
            for spec, param in zip(fn.input_signature, params)]


def _call(fn, kwargs):
    """Calls a serving ``tf.function`` (positional specs) with named inputs."""
    outputs = fn(*[tf.constant(kwargs[spec.name], spec.dtype) for spec in _specs(fn)])
    if not isinstance(outputs, dict):  # a SavedModel names a lone output so
        outputs = {"output_0": outputs}
    return {k: keras.ops.convert_to_numpy(v) for k, v in outputs.items()}
