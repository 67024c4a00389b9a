"""`.keras` files written by kgen 0.1.0 (registered names ``kgen>ClassName``) still load
with ``safe_mode=True`` and give the outputs that release computed.

The fixtures and the script that wrote them are in ``tests/fixtures/release_0_1``.
"""

import json
import os
import re
import zipfile

import keras
import numpy as np
import pytest

import kgen  # noqa: F401  (registers kgen's serializable classes)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "release_0_1")
MODELS = ("vae", "vae_iaf")


def _registered_names(path):
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json").decode()
    json.loads(config)
    return set(re.findall(r'"registered_name": "([^"]+)"', config))


@pytest.fixture(scope="module")
def expected():
    with np.load(os.path.join(FIXTURES, "expected.npz")) as data:
        return dict(data)


@pytest.mark.parametrize("name", MODELS)
def test_fixture_holds_the_release_0_1_registered_names(name):
    names = _registered_names(os.path.join(FIXTURES, f"{name}.keras"))
    assert "kgen>VAE" in names and "kgen>BernoulliLikelihood" in names
    assert ("kgen>IAFPosterior" in names) == (name == "vae_iaf")
    assert not any(n.startswith("kgen.") for n in names)


@pytest.mark.parametrize("name", MODELS)
def test_release_0_1_file_loads_safely_and_gives_the_stored_outputs(name, expected):
    model = keras.models.load_model(os.path.join(FIXTURES, f"{name}.keras"), safe_mode=True)
    assert type(model) is kgen.models.vae.VAE
    x, z = expected["x"], expected["z"]
    got = {"encode": model.encode(x), "decode": model.decode(z),
           "elbo": model.elbo(x, seed=0), "sample": model.sample(4, seed=0)}
    for key, value in got.items():
        want = expected[f"{name}_{key}"]
        np.testing.assert_allclose(keras.ops.convert_to_numpy(value), want, rtol=1e-6,
                                   atol=1e-6, err_msg=f"{name}: {key}")


def test_release_0_1_iaf_file_keeps_its_posterior():
    model = keras.models.load_model(os.path.join(FIXTURES, "vae_iaf.keras"), safe_mode=True)
    posterior = model.posterior
    assert type(posterior) is kgen.models.vae.IAFPosterior
    assert (posterior.num_flows, posterior.hidden_units, posterior.context_units) == (2, (8,), 2)
