"""Helpers shared by the benchmarks: machine description and JSON results."""

import json
import os
import platform
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


# The code that runs is the code at start-up: record its commit then, not at the end.
COMMIT_AT_START = None


def write_result(name, result):
    """Writes ``benchmarks/results/<name>.json`` with the command and machine."""
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", f"{name}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    result = {
        "command": " ".join(["python"] + sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": COMMIT_AT_START,
        "machine": machine(),
        **result,
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {out}")
    return out


COMMIT_AT_START = git_commit()
