"""A two-player step (one optimizer per player) on 2 replicas equals the 1-device step."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


@pytest.fixture(scope="module")
def result():
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(HERE / "players_script.py"), str(REPO)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {k: [np.asarray(w) for w in v] if isinstance(v, list) else v for k, v in out.items()}


def test_two_replicas_take_the_single_device_step_for_both_players(result):
    assert result["replicas"] == 2
    for m, s in zip(result["mirrored"], result["single"], strict=True):
        np.testing.assert_allclose(m, s, rtol=1e-5, atol=1e-6)


def test_the_comparison_would_catch_a_replica_local_mean(result):
    # A replica-local mean sums two replicas' gradients (steps twice too big); the
    # tolerance above must tell that apart, and the step must be far from zero.
    gap = max(float(np.abs(w - s).max()) for w, s in zip(result["wrong"], result["single"]))
    step = max(float(np.abs(s - i).max()) for s, i in zip(result["single"], result["initial"]))
    assert gap > 1e-3 and step > 1e-3
