"""Helpers shared by the benchmarks: machine description, JSON results, in-memory data
and the round-robin timing of the speed benchmarks."""

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time


def machine():
    """What the benchmark ran on: CPU model, cores, memory, versions."""
    import keras
    import tensorflow as tf
    import tensorflow_probability as tfp

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1) if mem else None,
        "gpu": bool(tf.config.list_physical_devices("GPU")),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tensorflow_probability": tfp.__version__,
    }


def git_commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"],
                                       text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def binarized_mnist(split, num_examples=None):
    """The first ``num_examples`` (all if None) binarized MNIST images of ``split``,
    ``[N, 28, 28, 1]`` float32, in file order."""
    import kgen.data
    import numpy as np

    return np.concatenate([b.numpy() for b in kgen.data.load(
        "binarized_mnist", split, batch_size=10000)])[:num_examples]


def in_memory(x, batch_size):
    """``x`` as a batched, cached, prefetched ``tf.data.Dataset`` (file order)."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(x).batch(batch_size).cache().prefetch(2)


def plain_adam_epoch(loss_fn, variables, jit):
    """The reference loop of a speed benchmark: one epoch, ``epoch(ds)``, of a
    hand-written ``tf.function`` step (``jit_compile=jit``) that takes the gradient of
    ``loss_fn(x)`` for ``variables`` with ``tf.GradientTape`` and applies Adam 1e-3 (no
    Keras ``fit``, no metrics); ``epoch`` returns the last batch's loss."""
    import keras
    import tensorflow as tf

    opt = keras.optimizers.Adam(1e-3)
    opt.build(variables)

    @tf.function(jit_compile=jit)
    def step(x):
        with tf.GradientTape() as tape:
            loss = loss_fn(x)
        opt.apply(tape.gradient(loss, variables), variables)
        return loss

    def epoch(ds):
        for x in ds:
            loss = step(x)
        return float(loss)

    return epoch


def fit_epoch(model, jit, steps_per_execution):
    """One epoch of ``model.fit(ds)`` with Adam 1e-3, ``epoch(ds)``: the last loss."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit,
                  steps_per_execution=steps_per_execution)
    return lambda ds: model.fit(ds, epochs=1, verbose=0).history["loss"][-1]


def round_robin(fns, arg, rounds, warm_up=True, print_rounds=True):
    """Seconds of each timed call ``fns[name](arg)``, ``{name: [rounds floats]}``.

    After one warm-up call of each (tracing, compilation), ``rounds`` rounds call each
    in turn, starting one later each round, so that the host's load drifts over all
    alike and none is always first. Prints each round's seconds if ``print_rounds``.
    """
    if warm_up:
        for fn in fns.values():
            fn(arg)
    names = list(fns)
    seconds = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            fns[name](arg)
            seconds[name].append(time.perf_counter() - start)
        if print_rounds:
            print(f"round {r + 1}: " + ", ".join(f"{n} {s[-1]:.2f}s" for n, s in seconds.items()),
                  flush=True)
    return seconds


def rates(seconds, count, unit="examples", flops=None, times_key="epoch_seconds"):
    """``{name: {"<unit>_per_second", "best_<unit>_per_second"[, "gflops"], times_key}}``:
    ``count`` over the median and the best of each name's ``seconds`` (1 decimal), the
    GFLOP/s of the median for ``flops`` per item, and the seconds (3 decimals)."""
    runs = {}
    for name, times in seconds.items():
        median, best = statistics.median(times), min(times)
        runs[name] = {f"{unit}_per_second": round(count / median, 1),
                      f"best_{unit}_per_second": round(count / best, 1)}
        if flops is not None:
            runs[name]["gflops"] = round(count * flops / median / 1e9, 2)
        runs[name][times_key] = [round(t, 3) for t in times]
    return runs


def add_ratios(runs, reference, to, unit="examples", line=None):
    """Adds ``ratio_to_<to>`` and ``best_ratio_to_<to>`` to each run: its median and best
    ``<unit>_per_second`` over those of the run ``reference(name)`` (3 decimals); prints
    ``line.format(name=, rate=, best=, ratio=)`` for each run if ``line`` is given."""
    for name, run in runs.items():
        ref = runs[reference(name)]
        run[f"ratio_to_{to}"] = round(run[f"{unit}_per_second"] / ref[f"{unit}_per_second"], 3)
        run[f"best_ratio_to_{to}"] = round(
            run[f"best_{unit}_per_second"] / ref[f"best_{unit}_per_second"], 3)
        if line is not None:
            print(line.format(name=name, rate=run[f"{unit}_per_second"],
                              best=run[f"best_{unit}_per_second"], ratio=run[f"ratio_to_{to}"]),
                  flush=True)
    return runs


def same_jit_plain(name):
    """The reference run of ``name``: ``plain_xla`` for an XLA run, else ``plain``."""
    return "plain_xla" if "xla" in name else "plain"


def profile_epochs(fns, names, arg):
    """``{name: python_profile(fns[name], arg)}`` for each of ``names``, in order (an
    epoch profiled trains on), each printed with its seconds in TensorFlow's execute."""
    from benchmarks.profiling import python_profile

    profiles = {}
    for name in names:
        profiles[name] = python_profile(fns[name], arg)
        print(f"profile {name}: {profiles[name]['seconds']} s, of which "
              f"{profiles[name]['tf_execute_seconds']} s in TensorFlow's execute", flush=True)
    return profiles


# The code that runs is the code at start-up: record its commit then, not at the end.
COMMIT_AT_START = None


def finite_or_null(obj):
    """``obj`` with every non-finite float (inf, nan) replaced by ``None``, through dicts,
    lists and tuples: standard JSON has no Infinity or NaN (``null`` stands for "not
    defined", e.g. a reverse KL with no high-quality sample)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_null(v) for v in obj]
    return obj


def write_result(name, result, path=None):
    """Writes ``benchmarks/results/<name>.json`` (or ``path``) with the command and
    machine, as standard JSON (non-finite floats as ``null``, ``finite_or_null``)."""
    out = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                               f"{name}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    result = {
        "command": " ".join(["python"] + sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": COMMIT_AT_START,
        "machine": machine(),
        **result,
    }
    with open(out, "w") as f:
        json.dump(finite_or_null(result), f, indent=2, allow_nan=False)
    print(f"wrote {out}")
    return out


COMMIT_AT_START = git_commit()
