"""A training step on 2 replicas equals the step on one device."""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import keras
import numpy as np

from kgen.testing import _workers

METHODS = ("train_on_batch", "fit")
_SCRIPT = "kgen.testing._replica_step"
_WORKER = None  # the process taking this process's steps, started on first use


def assert_replica_step_matches(factory, batch, compile_fn=None, learning_rate=0.1,
                                method="train_on_batch", fix_noise=True, normal_value=0.0,
                                rtol=1e-3,
                                atol=1e-6, min_step=1e-4, every_weight_moves=True,
                                timeout=180):
    """Asserts that a 2-replica ``MirroredStrategy`` step equals the 1-device step.

    TensorFlow splits the CPU into logical devices only before its first op,
    so the step runs in another interpreter (``kgen.testing._replica_step``),
    which calls ``kgen.distribute.split_cpu(2)`` once and then, for each call,
    builds the model twice from ``factory``: once in the mirrored strategy's scope, once
    outside any. Both get the same weights and seed-generator state, are
    compiled the same way, and take one step (``train_on_batch``, or ``fit``
    over the batch as one global batch) on the same global ``batch``, which
    the mirrored model splits over its 2 replicas.

    Checked, with ``d = after - before`` per weight:

    - the single-device step is not near zero: every trainable weight moves
      by more than ``min_step`` (``every_weight_moves=False``: at least one),
      so the comparison below is not vacuous and no player is left untrained;
    - the mirrored step is that step: ``|d_mirrored - d_single| <= atol +
      rtol * max|d_single|`` for each weight (non-trainable ones, such as
      ``add_state`` state, included). The tolerance is relative to the step,
      not to the weights, so a step twice too big (a replica-local mean of
      the loss) or one replica's update lost fails by far;
    - the step's logs (``loss`` and the other metrics) agree to ``rtol``.

    Noise must be fixed: replicas fold their id into the seed, so a noisy
    model draws other numbers on 2 replicas than on one. With ``fix_noise``
    (the default) the model's class is given the ``ZeroNoise`` mixin, with
    ``normal_value`` for every normal draw.

    That interpreter is a worker kept for all the calls of this process;
    each call starts from a fresh Keras session and seed 0, and re-imports
    the factory's module. With the environment variable
    ``KGEN_TESTING_FRESH_PROCESS=1``, each call gets a fresh interpreter
    instead, to check that a result does not depend on earlier calls.

    Args:
        factory: import path ``"package.module:function"`` of a function with
            no arguments returning a model (built, or with
            ``build_from_event_shape``). It runs inside the strategy's scope.
            Modules are imported with this process's ``sys.path``, e.g.
            ``"tests.models.two_player:make"``.
        batch: the global batch: an array, or a tuple ``(x, y)`` of arrays,
            whose first dimension is even.
        compile_fn: optional import path of ``compile_fn(model)`` that
            compiles the model, run inside the strategy's scope, e.g. one
            optimizer per player: ``model.compile(optimizer={"generator":
            keras.optimizers.SGD(0.1), "discriminator": ...})``. Default:
            ``model.compile(optimizer=keras.optimizers.SGD(learning_rate))``.
            Use SGD: Adam's first step is about ``learning_rate * sign(g)``,
            blind to the gradient's scale.
        learning_rate: float, the default SGD's learning rate.
        method: ``"train_on_batch"`` or ``"fit"``.
        fix_noise: bool, whether to give the model ``ZeroNoise``.
        normal_value: float, ``ZeroNoise.NORMAL_VALUE`` of the fixed noise: 0
            (the median) leaves a generator's first kernel without gradient,
            so a GAN's test gives e.g. 1.0.
        rtol, atol: tolerances of the step comparison (see above).
        min_step: float, how far the single-device step must move weights.
        every_weight_moves: bool, whether every trainable weight must move.
        timeout: seconds the step may take (the first call's include the
            worker's start, a TensorFlow import).

    Returns:
        A dict with ``names`` (weight paths), ``initial``, ``single`` and
        ``mirrored`` (lists of arrays) and ``logs``.

    Raises:
        ValueError: naming ``factory``, ``compile_fn``, ``method`` or
            ``batch`` if it is malformed.
        AssertionError: if the subprocess fails or the steps differ.

    Example:

    >>> testing.assert_replica_step_matches(
    ...     "tests.models.vae.factories:tiny_vae", testing.random_binary((8, 6)))
    """
    for name, path in (("factory", factory), ("compile_fn", compile_fn)):
        if (path is not None or name == "factory") and not _is_import_path(path):
            raise ValueError(f"`{name}` must be an import path 'package.module:function'. "
                             f"Received: {name}={path!r}")
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {list(METHODS)}. Received: method={method!r}")
    arrays = [np.asarray(a) for a in (batch if isinstance(batch, tuple) else (batch,))]
    if not arrays or any(a.ndim == 0 or len(a) != len(arrays[0]) for a in arrays) \
            or len(arrays[0]) % 2:
        raise ValueError("`batch` must be an array or a tuple of arrays of one even length "
                         "(2 replicas share it). Received: batch of shapes "
                         f"{[a.shape for a in arrays]}")
    with tempfile.TemporaryDirectory(prefix="kgen-replicas-") as work:
        work = pathlib.Path(work)
        np.savez(work / "batch.npz", **{f"arg{i}": a for i, a in enumerate(arrays)})
        request = {"factory": factory, "compile_fn": compile_fn, "method": method,
                   "learning_rate": float(learning_rate), "fix_noise": bool(fix_noise),
                   "normal_value": float(normal_value),
                   "batch": str(work / "batch.npz"), "output": str(work / "weights.npz")}
        (work / "request.json").write_text(json.dumps(request))
        result = _step(work / "request.json", timeout)
        with np.load(work / "weights.npz") as out:
            for key in ("initial", "single", "mirrored"):
                result[key] = [out[f"{key}/{i}"] for i in range(len(result["names"]))]
    assert result["replicas"] == 2, f"{result['replicas']} replicas, not 2"
    _compare(result, rtol, atol, min_step, every_weight_moves)
    return result


def sgd_per_player(model, learning_rate=0.05):
    """Compiles ``model`` with one ``keras.optimizers.SGD(learning_rate)`` per player
    (``model.players``): a ``compile_fn`` of ``assert_replica_step_matches`` for a game,
    ``compile_fn="kgen.testing.replicas:sgd_per_player"``."""
    model.compile(optimizer={player: keras.optimizers.SGD(learning_rate)
                             for player in model.players})


def _step(request_path, timeout):
    """The summary the step script returns for ``request_path``."""
    global _WORKER
    paths = [p or os.getcwd() for p in sys.path]
    if _workers.fresh_process():
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        proc = subprocess.run([sys.executable, "-m", _SCRIPT, str(request_path)],
                              env=env, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"the replica step failed:\n{proc.stderr[-3000:]}"
        return json.loads(proc.stdout.strip().splitlines()[-1])
    if _WORKER is None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        _WORKER = _workers.Worker("the replica step worker",
                                  [sys.executable, "-m", _SCRIPT, "--serve"], env,
                                  cwd=os.getcwd())
    # This process's path, directory and environment now, as a fresh process would get.
    environ = {**os.environ, "PYTHONPATH": _WORKER.env["PYTHONPATH"]}
    reply = _WORKER.call({"request": str(request_path), "sys_path": paths,
                          "cwd": os.getcwd(), "environ": environ}, timeout)
    assert reply["ok"], f"the replica step failed:\n{reply['traceback'][-3000:]}"
    return reply["result"]


def _compare(result, rtol, atol, min_step, every_weight_moves):
    names, trainable = result["names"], result["trainable"]
    d_single = [s.astype("float64") - i for s, i in zip(result["single"], result["initial"])]
    d_mirror = [m.astype("float64") - i for m, i in zip(result["mirrored"], result["initial"])]
    moved = [float(np.abs(d).max()) if d.size else 0.0 for d in d_single]
    still = [n for n, t, m in zip(names, trainable, moved) if t and m <= min_step]
    if every_weight_moves:
        assert not still, (f"the 1-device step moved these trainable weights by <= "
                           f"min_step={min_step}, so the test cannot see their step: {still}")
    assert max(moved, default=0.0) > min_step, (
        f"the 1-device step moved no weight by more than min_step={min_step}")
    problems = []
    for name, ds, dm, size in zip(names, d_single, d_mirror, moved):
        gap = float(np.abs(dm - ds).max()) if ds.size else 0.0
        if gap > atol + rtol * size:
            ratio = float(np.vdot(dm, ds) / np.vdot(ds, ds)) if size else float("nan")
            problems.append(f"{name}: max |step difference| {gap:.3g} for a step of "
                            f"{size:.3g} (mirrored step = {ratio:.2f} x the 1-device step)")
    single, mirrored = result["logs"]["single"], result["logs"]["mirrored"]
    for key in sorted(set(single) & set(mirrored)):
        if not np.isclose(mirrored[key], single[key], rtol=rtol, atol=atol):
            problems.append(f"log {key!r}: mirrored {mirrored[key]}, 1-device {single[key]}")
    assert not problems, (
        "the 2-replica step differs from the 1-device step (if the model draws noise, fix "
        "it: replicas fold their id into the seed):\n" + "\n".join(problems))


def _is_import_path(path):
    if not isinstance(path, str) or path.count(":") != 1:
        return False
    module, name = path.split(":")
    return all(p.isidentifier() for p in module.split(".")) and name.isidentifier()
