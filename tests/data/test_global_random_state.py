"""kgen.data.load leaves Python's and NumPy's global random generators alone.

Building binarized MNIST's TFDS cache draws from Python's global generator (TFDS
names its temporary folder with ``random.choice``), and Keras seeds its global
``SeedGenerator``, hence every unseeded initializer, from that generator. Before
``load`` restored it, the same seed gave other initial weights in a process that
built the cache than in one that found it.
"""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import kgen.data
from kgen.data import digits, loading

_SCRIPT = r"""
import hashlib, json, random
import numpy as np
import keras
import kgen.data
from kgen.data import binarized_mnist

prepared_before = binarized_mnist.builder().is_prepared()
keras.utils.set_random_seed(0)
ds = kgen.data.load("binarized_mnist", "test", batch_size=100)
layer = keras.layers.Dense(8)  # unseeded: Keras's global SeedGenerator
layer.build((None, 784))
weights = hashlib.sha256(layer.kernel.numpy().tobytes()).hexdigest()
print(json.dumps({"prepared_before": prepared_before, "weights": weights,
                  "first_batch_sum": float(next(iter(ds)).numpy().sum()),
                  "python": random.random(), "numpy": float(np.random.rand())}))
"""


def _fresh_process(env):
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_load_restores_the_generators_whatever_it_draws(monkeypatch):
    drawn = []
    original = digits.load_arrays

    def drawing_load_arrays(split):
        drawn.append((random.random(), np.random.rand()))  # as a cache build may
        return original(split)

    monkeypatch.setattr(digits, "load_arrays", drawing_load_arrays)
    random.seed(7)
    np.random.seed(7)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    kgen.data.load("digits", "train", batch_size=10, shuffle=True, seed=0)
    assert drawn, "the stub did not run"
    assert random.getstate() == python_state
    after = np.random.get_state()
    np.testing.assert_array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]


def test_keep_global_random_state_restores_after_an_error():
    random.seed(3)
    state = random.getstate()
    with pytest.raises(RuntimeError):
        with loading.keep_global_random_state():
            random.random()
            raise RuntimeError("reading failed")
    assert random.getstate() == state


@pytest.mark.slow
def test_a_process_that_builds_the_cache_draws_as_one_that_finds_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("KGEN_TFDS_DIR", "KGEN_MANUAL_DIR")}
    env["KGEN_CACHE_DIR"] = str(tmp_path / "cache")  # empty: the first process builds it
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    building = _fresh_process(env)
    finding = _fresh_process(env)
    assert building.pop("prepared_before") is False
    assert finding.pop("prepared_before") is True
    assert building == finding
