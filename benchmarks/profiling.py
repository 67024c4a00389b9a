"""Where an epoch's time goes, for the speed benchmarks' JSONs: the Python side
(``cProfile``: Keras's per-step work, callbacks, the data adapter) and the total
time spent waiting on TensorFlow's compiled functions."""

import cProfile
import pstats
import time


def python_profile(fn, arg, top=12):
    """Runs ``fn(arg)`` once under ``cProfile``.

    Returns:
        ``{"seconds": wall time under the profiler, "tf_execute_seconds": time
        inside TensorFlow's function-call entry point (the compiled work and its
        wait), "top": [{"function", "calls", "tottime", "cumtime"}, ...]}`` with
        the ``top`` functions by own time (``tottime``), seconds.
    """
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    fn(arg)
    profiler.disable()
    seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    rows, tf_execute = [], 0.0
    for (path, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():
        label = f"{'/'.join(path.split('/')[-2:])}:{line}({name})"
        rows.append({"function": label, "calls": calls, "tottime": round(tottime, 4),
                     "cumtime": round(cumtime, 4)})
        if name == "quick_execute":
            tf_execute += cumtime  # TensorFlow's entry point into a compiled function
    rows.sort(key=lambda r: -r["tottime"])
    return {"seconds": round(seconds, 3), "tf_execute_seconds": round(tf_execute, 3),
            "top": rows[:top]}


__all__ = ["python_profile"]
