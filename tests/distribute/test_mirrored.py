"""MirroredStrategy over 2 logical CPUs gives the single-device training step."""

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
    proc = subprocess.run([sys.executable, str(HERE / "mirrored_script.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("initial", "mirrored", "single", "wrong", "warm_mirrored", "warm_single"):
        out[key] = [np.asarray(w) for w in out[key]]
    return out


def max_diff(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


def test_two_replicas_are_used(result):
    assert result["replicas"] == 2
    assert result["auto"] == "MirroredStrategy"


def test_mirrored_step_equals_single_device_step(result):
    for name, m, s in zip(result["names"], result["mirrored"], result["single"]):
        np.testing.assert_allclose(m, s, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(result["mirrored_loss"], result["single_loss"], rtol=1e-6)


def test_kl_warmup_weight_reaches_every_replica(result):
    for name, m, s in zip(result["names"], result["warm_mirrored"], result["warm_single"]):
        np.testing.assert_allclose(m, s, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(result["warm_mirrored_loss"], result["warm_single_loss"], rtol=1e-6)
    assert max_diff(result["warm_single"], result["single"]) > 1e-4  # the weight was used


def test_the_step_changed_the_weights(result):
    assert max_diff(result["single"], result["initial"]) > 1e-3


def test_replica_local_mean_would_give_a_different_step(result):
    # With reduce_mean each replica's loss is the mean over its 4 examples and
    # the gradients of 2 replicas are summed: the step is twice too large.
    assert max_diff(result["wrong"], result["single"]) > 1e-3
    step_single = [s - i for s, i in zip(result["single"], result["initial"])]
    step_wrong = [w - i for w, i in zip(result["wrong"], result["initial"])]
    for s, w in zip(step_single, step_wrong):
        np.testing.assert_allclose(w, 2 * s, atol=1e-5)


def test_two_optimizers_give_the_single_device_step_after_build_optimizer(result):
    initial, mirrored, single = (
        [np.asarray(w) for w in result[f"two_optimizer_{key}"]]
        for key in ("initial", "mirrored", "single"))
    for m, s in zip(mirrored, single):  # each optimizer's update, as on one device
        np.testing.assert_allclose(m, s, atol=1e-6)
    for m, i in zip(mirrored, initial):  # every layer moved: both optimizers applied
        assert np.abs(m - i).max() > 1e-3


def test_model_trained_under_the_strategy_exports(result):
    assert result["export_encode_error"] < 1e-5


def test_export_inside_the_strategy_scope_is_refused(result):
    assert "outside `strategy.scope()`" in result.get("export_in_scope_error", "")


def test_replicas_draw_different_noise(result):
    first, second = result["replica_noise"]
    assert np.abs(np.subtract(first, second)).max() > 1e-3
