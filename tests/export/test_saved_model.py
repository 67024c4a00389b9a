"""kgen.export.saved_model: TF Serving layout, loading without kgen, checks first."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen.export import saved_model

EVENT_SHAPE = (28, 28, 1)
LATENT_DIM = 4

# Runs in a fresh interpreter that cannot import kgen (no PYTHONPATH, cwd
# outside the repository): loads the SavedModel as TF Serving would, calls
# every signature once in a fixed order and saves the outputs.
LOADER = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf

    path, inputs, outputs = sys.argv[1:4]
    data = np.load(inputs)
    loaded = tf.saved_model.load(path)
    sigs = loaded.signatures
    out = {"signatures": np.array(sorted(sigs.keys()))}
    out["encode"] = sigs["encode"](x=tf.constant(data["x"]))["z"].numpy()
    out["decode"] = sigs["decode"](z=tf.constant(data["z"]))["x"].numpy()
    out["elbo"] = sigs["elbo"](x=tf.constant(data["x"]))["elbo"].numpy()
    default = sigs["serving_default"](x=tf.constant(data["x"]))
    for key, value in default.items():
        out["default_" + key] = value.numpy()
    out["sample"] = sigs["sample"](num_samples=tf.constant(3))["x"].numpy()
    np.savez(outputs, **out)
    assert "kgen" not in sys.modules, "loading imported kgen"
    assert "tensorflow_probability" not in sys.modules, "loading imported TFP"
""")


def small_vae():
    return kgen.models.vae.VAE(
        event_shape=EVENT_SHAPE,
        latent_dim=LATENT_DIM,
        encoder=kgen.networks.mlp_encoder(EVENT_SHAPE, (16,)),
        decoder=kgen.networks.mlp_decoder(LATENT_DIM, EVENT_SHAPE, (16,)),
        seed=0,
    )


def binary_batch(n, seed=0):
    return (np.random.RandomState(seed).rand(n, *EVENT_SHAPE) > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def trained():
    model = small_vae()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(binary_batch(8), batch_size=8, epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    """Exports ``trained``, loads it in a kgen-free subprocess, and computes the
    in-process reference outputs in the subprocess's call order."""
    base = tmp_path_factory.mktemp("served")
    state_before = trained.seed_generator.state.numpy()
    path = saved_model(trained, base, "vae", version=1)
    np.testing.assert_array_equal(trained.seed_generator.state.numpy(), state_before)

    x = binary_batch(5, seed=1)
    z = np.random.RandomState(2).randn(3, LATENT_DIM).astype(np.float32)
    work = tmp_path_factory.mktemp("loader")
    np.savez(work / "inputs.npz", x=x, z=z)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run(
        [sys.executable, "-c", LOADER, path, str(work / "inputs.npz"), str(work / "out.npz")],
        cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    served = dict(np.load(work / "out.npz"))

    # The signatures continue the model's random stream from the saved seed
    # state, so the same calls in the same order here draw the same noise.
    reference = {
        "encode": trained.encode(x).numpy(),
        "decode": trained.decode(z).numpy(),
        "elbo": trained.elbo(x).numpy(),
        "default_elbo": trained.elbo(x).numpy(),
        "default_reconstruction": trained.reconstruct(x).numpy(),
        "default_latent_mean": trained.encode(x).numpy(),
        "sample": trained.sample(3).numpy(),
    }
    return {"base": base, "path": path, "served": served, "reference": reference, "x": x}


def test_layout_is_tf_serving_base_name_version(exported):
    base, path = exported["base"], exported["path"]
    assert path == os.path.join(str(base), "vae", "1")
    assert os.listdir(base) == ["vae"]
    assert os.listdir(base / "vae") == ["1"]  # no temporary directories left behind
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert os.path.isdir(os.path.join(path, "variables"))


def test_signatures_load_without_kgen_or_tfp(exported):
    assert sorted(exported["served"]["signatures"]) == sorted(
        ["serving_default", "sample", "encode", "decode", "elbo"])


def test_encode_and_decode_match_the_model(exported):
    served, ref = exported["served"], exported["reference"]
    assert served["encode"].shape == (5, LATENT_DIM)
    assert served["decode"].shape == (3,) + EVENT_SHAPE
    np.testing.assert_allclose(served["encode"], ref["encode"], atol=1e-5)
    np.testing.assert_allclose(served["decode"], ref["decode"], atol=1e-5)
    np.testing.assert_allclose(served["default_latent_mean"], ref["default_latent_mean"],
                               atol=1e-5)
    np.testing.assert_allclose(served["default_reconstruction"],
                               ref["default_reconstruction"], atol=1e-5)


def test_elbo_matches_the_model_drawing_the_same_noise(exported):
    served, ref = exported["served"], exported["reference"]
    for key in ("elbo", "default_elbo"):
        assert served[key].shape == (5,)
        assert np.all(np.isfinite(served[key])) and np.all(served[key] < 0)
        # ELBOs are sums over 784 pixels (~ -550 nats); 1e-5 relative is
        # float32 round-off between the eager and the graph computation.
        np.testing.assert_allclose(served[key], ref[key], rtol=1e-5, atol=1e-3)
    # The two calls drew different noise, as successive calls should.
    assert not np.allclose(served["elbo"], served["default_elbo"])


def test_sample_is_binary_and_matches_the_model(exported):
    served, ref = exported["served"], exported["reference"]
    assert served["sample"].shape == (3,) + EVENT_SHAPE
    assert set(np.unique(served["sample"])) <= {0.0, 1.0}
    # Pixels are uniform < sigmoid(logit) tests: a pixel may flip only if its
    # uniform lies within round-off of its probability.
    assert np.mean(served["sample"] != ref["sample"]) < 1e-3


def test_existing_version_is_kept_unless_overwrite(trained, exported, tmp_path):
    base = tmp_path / "served"
    path = saved_model(trained, base, "vae", version=2)
    pb = os.path.join(path, "saved_model.pb")
    before = open(pb, "rb").read()
    with pytest.raises(FileExistsError, match="overwrite"):
        saved_model(trained, base, "vae", version=2)
    assert open(pb, "rb").read() == before
    assert os.listdir(base / "vae") == ["2"]

    path = saved_model(trained, base, "vae", version=2, overwrite=True)
    assert os.listdir(base / "vae") == ["2"]
    assert "encode" in tf.saved_model.load(path).signatures


def test_failed_write_keeps_the_old_version(trained, tmp_path, monkeypatch):
    base = tmp_path / "served"
    path = saved_model(trained, base, "vae", version=1)
    before = open(os.path.join(path, "saved_model.pb"), "rb").read()

    def fail(obj, export_dir, *args, **kwargs):  # a write that dies half-way
        with open(os.path.join(export_dir, "saved_model.pb"), "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        saved_model(trained, base, "vae", version=1, overwrite=True)
    assert os.listdir(base / "vae") == ["1"]
    assert open(os.path.join(path, "saved_model.pb"), "rb").read() == before

    with pytest.raises(OSError, match="disk full"):
        saved_model(trained, tmp_path / "fresh", "vae", version=1)
    assert not os.path.exists(tmp_path / "fresh")


class _Unbuilt(kgen.models.GenerativeModel):
    def __init__(self, **kwargs):
        super().__init__(event_shape=(3,), **kwargs)
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(x)


@pytest.mark.parametrize("kwargs, error, arg", [
    ({"version": 0}, ValueError, "version"),
    ({"version": "1"}, TypeError, "version"),
    ({"version": 1.0}, TypeError, "version"),
    ({"name": "a/b"}, ValueError, "name"),
    ({"name": ""}, ValueError, "name"),
    ({"name": ".."}, ValueError, "name"),
    ({"name": 3}, TypeError, "name"),
])
def test_bad_arguments_raise_before_writing(trained, tmp_path, kwargs, error, arg):
    base = tmp_path / "served"
    args = {"name": "vae", "version": 1, **kwargs}
    with pytest.raises(error, match=f"`{arg}`"):
        saved_model(trained, base, **args)
    assert not os.path.exists(base)


@pytest.mark.parametrize("make, error", [
    (lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]), TypeError),
    (lambda: "not a model", TypeError),
    (_Unbuilt, ValueError),
])
def test_model_must_be_a_built_generative_model(tmp_path, make, error):
    base = tmp_path / "served"
    with pytest.raises(error, match="`model`"):
        saved_model(make(), base, "m", version=1)
    assert not os.path.exists(base)

