"""Two MultiWorkerMirroredStrategy workers on loopback train one VAE in lockstep."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
TIMEOUT = 120  # seconds for both workers together


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """Runs both workers to completion; returns each one's ``.npz`` results."""
    work = tmp_path_factory.mktemp("multiworker")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    procs, logs = [], []
    try:
        for index in range(2):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3",
                   "TF_CONFIG": json.dumps(tf_config)}
            log = open(work / f"worker{index}.log", "w")
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, str(HERE / "multiworker_script.py"),
                 str(work / f"worker{index}.npz")],
                env=env, stdout=log, stderr=subprocess.STDOUT))
        for index, proc in enumerate(procs):
            try:
                proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"worker {index} did not finish within {TIMEOUT} s:\n"
                            + (work / f"worker{index}.log").read_text()[-3000:])
    finally:
        for proc in procs:  # a worker whose peer died waits forever: end it
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    for index, proc in enumerate(procs):
        assert proc.returncode == 0, (
            f"worker {index} exited with {proc.returncode}:\n"
            + (work / f"worker{index}.log").read_text()[-3000:])
    return [dict(np.load(work / f"worker{index}.npz")) for index in range(2)]


def test_each_worker_sees_two_replicas_and_a_finite_loss(workers):
    for result in workers:
        assert int(result["replicas"]) == 2
        assert np.isfinite(result["loss"]) and result["loss"] > 0


def test_workers_end_with_identical_weights_that_trained(workers):
    first, second = workers
    names = sorted(k for k in first if k.startswith("w"))
    assert names and names == sorted(k for k in second if k.startswith("w"))
    for name in names:
        np.testing.assert_allclose(first[name], second[name], atol=1e-6, err_msg=name)
    assert float(first["change"]) > 1e-3
