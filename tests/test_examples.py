"""The examples run as documented (shortened: 1 epoch, k = 2)."""

import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_vae_example_trains_and_draws_the_latent_manifold(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "vae_binarized_mnist.py"), "--epochs", "1",
         "--num-samples", "2", "--output-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "test NLL, k=2 (nats):" in proc.stdout
    assert list(tmp_path.glob("latent_manifold*.png"))
