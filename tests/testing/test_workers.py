"""The harness's long-lived worker processes: reused, restarted, and as strict as a
fresh process (``kgen.testing._workers``)."""

import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest

from kgen import testing
from kgen.testing import _workers, replicas, round_trip

REPO = pathlib.Path(__file__).resolve().parents[2]
MODELS = "tests.testing.replica_models"
BATCH = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")

# A worker of the protocol without TensorFlow: {"pid"}, {"print"}, {"exit"}, {"sleep"}.
ECHO = f"""
import importlib.util, json, os, sys, time
spec = importlib.util.spec_from_file_location("w", {str(REPO / "kgen/testing/_workers.py")!r})
workers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(workers)
answers = workers.protocol_stream()
for line in sys.stdin:
    message = json.loads(line)
    if message.get("exit"):
        sys.stderr.write("dying as asked\\n"); sys.stderr.flush(); os._exit(3)
    if message.get("exit_once") and not os.path.exists(message["exit_once"]):
        open(message["exit_once"], "w").close(); os._exit(4)
    time.sleep(message.get("sleep", 0))
    print("a stray print that must not become an answer")
    answers.write(json.dumps({{"ok": True, "pid": os.getpid()}}) + "\\n")
"""


@pytest.fixture
def echo():
    worker = _workers.Worker("the echo worker", [sys.executable, "-c", ECHO], dict(os.environ))
    yield worker
    worker.close()
    assert worker.pid is None


def _kill(worker):
    """Kills ``worker``'s process as a crash would; returns its pid."""
    pid = worker.pid
    os.kill(pid, signal.SIGKILL)
    worker._proc.wait()
    return pid


def test_a_worker_answers_many_requests_from_one_process(echo):
    first, second = echo.call({}, 60), echo.call({}, 60)
    assert first == {"ok": True, "pid": echo.pid} and second == first  # stray print ignored


def test_a_dead_worker_is_restarted_and_a_fresh_one_dying_reports_its_stderr(echo, tmp_path):
    echo.call({}, 60)
    pid = _kill(echo)
    assert echo.call({}, 60)["pid"] not in (pid, None)
    # A worker that served before dies during a request: it is asked again, fresh.
    pid = echo.pid
    assert echo.call({"exit_once": str(tmp_path / "died")}, 60)["pid"] != pid
    # A fresh worker dies of the request itself: the failure, with its stderr.
    reply = echo.call({"exit": True}, 60)
    assert not reply["ok"] and "exit code 3" in reply["traceback"]
    assert "dying as asked" in reply["traceback"]
    assert echo.call({}, 60)["ok"]


def test_a_worker_over_its_timeout_is_killed_and_the_next_request_restarts_it(echo):
    pid = echo.call({}, 60)["pid"]
    with pytest.raises(subprocess.TimeoutExpired):
        echo.call({"sleep": 30}, 0.5)
    assert echo.pid is None
    assert echo.call({}, 60)["pid"] != pid


def test_the_replica_worker_is_reused_and_still_refuses_a_replica_local_mean():
    testing.assert_replica_step_matches(f"{MODELS}:linear", BATCH)
    pid = replicas._WORKER.pid
    # The same failure as tests/testing/test_replica_check.py, after a passing step
    # in the same worker: no state of the first request hides the second's error.
    with pytest.raises(AssertionError, match=r"mirrored step = 2\.00 x the 1-device step"):
        testing.assert_replica_step_matches(f"{MODELS}:replica_local_mean", BATCH)
    assert replicas._WORKER.pid == pid


def test_a_failed_replica_request_reports_its_traceback_and_the_worker_goes_on():
    result = testing.assert_replica_step_matches(f"{MODELS}:linear", BATCH)
    pid = replicas._WORKER.pid
    with pytest.raises(AssertionError, match="(?s)replica step failed.*no_such_factory"):
        testing.assert_replica_step_matches(f"{MODELS}:no_such_factory", BATCH)
    again = testing.assert_replica_step_matches(f"{MODELS}:linear", BATCH)
    assert replicas._WORKER.pid == pid  # a factory not found ran no op: no restart
    # The third request as the first: a fresh Keras session (layer names) and seed.
    assert again["names"] == result["names"] and again["names"][0] == "regression_1/dense/kernel"
    for before, after in zip(result["initial"] + result["mirrored"],
                             again["initial"] + again["mirrored"]):
        np.testing.assert_array_equal(before, after)


def test_the_fresh_process_path_refuses_a_replica_local_mean_alike(monkeypatch):
    testing.assert_replica_step_matches(f"{MODELS}:linear", BATCH)
    pid = replicas._WORKER.pid
    monkeypatch.setenv(_workers.FRESH_PROCESS_ENV, "1")
    with pytest.raises(AssertionError, match=r"mirrored step = 2\.00 x the 1-device step"):
        testing.assert_replica_step_matches(f"{MODELS}:replica_local_mean", BATCH)
    assert replicas._WORKER.pid == pid  # not asked


def _affine():
    from tests.testing.test_round_trip_checks import affine

    return affine()


def test_the_saved_model_worker_is_reused_and_never_imports_kgen(tmp_path):
    from tests.testing.test_round_trip_checks import INPUTS

    testing.assert_saved_model_round_trip(_affine(), tmp_path / "a", INPUTS)
    pid = round_trip._WORKER.pid
    testing.assert_saved_model_round_trip(_affine(), tmp_path / "b", INPUTS)
    assert round_trip._WORKER.pid == pid
    reply = round_trip._WORKER.call(
        {"op": "ping", "modules": ["kgen", "kgen.testing", "tensorflow_probability",
                                   "tensorflow"]}, 60)
    assert reply["pid"] == pid
    assert reply["imported"] == ["tensorflow"]  # the check sees what is imported
    assert not pathlib.Path(reply["cwd"]).resolve().is_relative_to(REPO)
    assert not [p for p in reply["sys_path"] if p and pathlib.Path(p).resolve() == REPO]


def test_the_fresh_process_path_still_checks_the_forbidden_modules(tmp_path, monkeypatch):
    from tests.testing.test_round_trip_checks import INPUTS

    monkeypatch.setenv(_workers.FRESH_PROCESS_ENV, "1")
    monkeypatch.setattr(round_trip, "FORBIDDEN_IN_SERVING", ("kgen", "numpy"))
    with pytest.raises(AssertionError, match=r"serving imported \['numpy'\]"):
        testing.assert_saved_model_round_trip(_affine(), tmp_path, INPUTS)
