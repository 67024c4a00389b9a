"""`kgen train` of the DBN and DBM presets: greedy stages in one fit, the bound with
AIS log Z in metrics.json, `kgen evaluate`, filters as PNG; on tiny sizes via --set."""

import json

import keras
import numpy as np
import pytest

import kgen.metrics
from kgen import testing
from kgen.callbacks.filter_grid import filter_images
from kgen.cli import datasets, main, presets
from kgen.models.energy import DBM, DBN

# The presets on 8x8 digits with tiny layers (log Z and the DBN bound exact), AIS
# with 1,000 betas; what stays is the presets' schedule, optimizer and evaluation.
TINY = ["data.name=digits", "data.preprocess=dynamic_binarize", "data.validation_split=test",
        "data.batch_size=100", "train.epochs=3", "train.jit_compile=false",
        "train.steps_per_execution=1", "train.sample_every=3", "model_args.num_chains=50",
        "evaluate.batch_size=297", "evaluate.log_partition.betas=null",
        "evaluate.log_partition.num_betas=1000"]
SETTINGS = {
    "dbn": TINY + ["model_args.hidden_units=[10,8]", "model_args.layer_epochs=[2]",
                   "evaluate.log_partition.also=[reverse_ais,exact]",
                   "evaluate.log_partition.burn_in=10"],
    "dbm": TINY + ["model_args.hidden_units=[8,6]", "model_args.pretraining_epochs=[1,1]",
                   "evaluate.log_partition.also=[exact]"],
}


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module", params=["dbn", "dbm"])
def trained(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name) / "run"
    run("train", name, "--preset", f"{name}_binarized_mnist", "--output-dir", out,
        "--verbose", 0, "--set", *SETTINGS[name])
    return name, out


def _test_images(config):
    data = datasets.load_split(config["data"], "eval_split", config["seed"], batch_size=297)
    return np.concatenate([np.asarray(x) for x in data])


def test_presets_build_the_papers_models():
    dbn = presets.build_model(presets.resolve("dbn_binarized_mnist"), (28, 28, 1))
    assert isinstance(dbn, DBN) and dbn.hidden_units == (500, 500) and dbn.persistent
    assert len(dbn.layer_epochs) == 1 and dbn.layer_epochs[0] < presets.resolve(
        "dbn_binarized_mnist")["train"]["epochs"]
    config = presets.resolve("dbm_binarized_mnist")
    dbm = presets.build_model(config, (28, 28, 1))
    assert isinstance(dbm, DBM) and dbm.hidden_units == (500, 500)
    assert sum(dbm.pretraining_epochs) < config["train"]["epochs"]
    for name in ("dbn", "dbm"):
        config = presets.resolve(f"{name}_binarized_mnist")
        assert config["train"]["max_minutes"] == 45
        assert config["evaluate"]["log_partition"]["betas"] == "salakhutdinov_murray_2008"


def test_greedy_stages_train_one_layer_each_in_order(trained):
    name, out = trained
    history = [line.split(",") for line in (out / "history.csv").read_text().splitlines()]
    assert [row[0] for row in history[1:]] == ["0", "1", "2"]
    model = keras.models.load_model(out / "model.keras")
    # The last stage is the top RBM (DBN) or joint training (DBM); model.keras says so.
    assert (model.active_layer == 1) if name == "dbn" else (model.pretraining_layer is None)
    # Every layer was initialized from data on entering its stage.
    layers = model.rbms if name == "dbn" else [model]
    assert all(float(layer.initialized) == 1.0 for layer in layers)
    for kind in ("samples", "filters"):
        assert (out / "samples" / f"{kind}_epoch_0003.png").is_file()
        assert list((out / "tensorboard" / kind).glob("events.out.tfevents.*"))


def test_the_reported_nll_is_the_bound_with_the_ais_log_z(trained, tmp_path):
    name, out = trained
    metrics = json.loads((out / "metrics.json").read_text())
    nll, estimates = metrics["nll"], metrics["prepare_evaluation"]["log_partition"]
    assert nll["method"] == "lower_bound" and not nll["exact"] and nll["num_examples"] == 297
    record = nll["log_partition"]
    assert record["method"] == "ais" and record["num_betas"] == 1000
    assert abs(record["log_z"] - estimates["exact"]["log_z"]) < 0.05
    model = keras.models.load_model(out / "model.keras")
    assert model.log_partition["log_z"] == record["log_z"]  # model.keras keeps it
    x = _test_images(metrics["config"])
    if name == "dbn":  # the top RBM's log Z; the bound is exact (10 units below the top)
        assert nll["num_samples"] is None
        exact = kgen.metrics.exact_log_partition(model.top)["log_z"]
        assert abs(estimates["reverse_ais"]["log_z"] - exact) < 0.05
    else:
        assert set(estimates) == {"ais", "exact"}
        exact = model.exact_log_partition()["log_z"]
    np.testing.assert_allclose(estimates["exact"]["log_z"], exact, rtol=1e-12)
    np.testing.assert_allclose(nll["nll"], -np.mean(model.lower_bound(x)), rtol=1e-5)
    # kgen evaluate reports the same bound with the stored log Z, estimating nothing.
    run("evaluate", "--model-path", out, "--verbose", 0, "--output", tmp_path / "nll.json",
        "--batch-size", 297)
    result = json.loads((tmp_path / "nll.json").read_text())
    assert "prepare_evaluation" not in result and result["method"] == "lower_bound"
    np.testing.assert_allclose(result["nll"], nll["nll"], rtol=1e-5)


def test_a_continued_fit_finds_its_stage_from_the_epoch():
    x = testing.random_binary((64, 6), seed=4, p=0.4)
    model = DBN(num_visible=6, hidden_units=(4, 3), persistent=True, num_chains=8,
                layer_epochs=[2], seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
    top = [np.array(w) for w in model.top.weights]
    model.fit(x, batch_size=16, epochs=2, verbose=0)
    assert model.active_layer == 0
    for before, after in zip(top, model.top.weights):
        np.testing.assert_array_equal(before, np.array(after))
    fresh = DBN.from_config(model.get_config())  # as a resumed run rebuilds it
    fresh.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
    fresh.set_weights(model.get_weights())
    bottom = [np.array(w) for w in fresh.rbms[0].weights]
    fresh.fit(x, batch_size=16, epochs=3, initial_epoch=2, verbose=0)
    assert fresh.active_layer == 1 and float(fresh.top.initialized) == 1.0
    for before, after in zip(bottom, fresh.rbms[0].weights):
        np.testing.assert_array_equal(before, np.array(after))
    assert not np.array_equal(top[0], np.array(fresh.top.kernel))


def test_joint_gradient_scale_scales_the_joint_sgd_step():
    x = testing.random_binary((16, 6), seed=5, p=0.4)
    steps = []
    for scale in (1.0, 0.25):
        model = DBM(num_visible=6, hidden_units=(4, 3), num_chains=8, seed=0,
                    joint_gradient_scale=scale)
        model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
        model.fit(x, batch_size=16, epochs=1, verbose=0)  # one step, from data_init
        start = DBM(num_visible=6, hidden_units=(4, 3), num_chains=8, seed=0)
        steps.append(np.array(model.kernels[0]) - np.array(start.kernels[0]))
    assert np.abs(steps[0]).max() > 1e-4
    np.testing.assert_allclose(steps[1], 0.25 * steps[0], rtol=1e-4, atol=1e-7)


def test_filter_images_scale_each_filter_by_its_largest_weight():
    w = np.array([[1.0, 0.0, -2.0], [-0.5, 0.0, 1.0]], np.float32)  # D = 2, H = 3
    images = filter_images(w, (1, 2, 1), num_filters=3)
    np.testing.assert_array_equal(images[:, 0, :, 0], [[1.0, 0.25], [0.5, 0.5], [0.0, 0.75]])


def test_bad_schedules_and_settings_are_named(tmp_path):
    testing.assert_raises_naming(ValueError, "layer_epochs", DBN, num_visible=4,
                                 hidden_units=(3, 2), layer_epochs=[1, 1])
    testing.assert_raises_naming(ValueError, "pretraining_epochs", DBM, num_visible=4,
                                 hidden_units=(3, 2), pretraining_epochs=[1])
    testing.assert_raises_naming(ValueError, "pretraining_epochs", DBM, num_visible=4,
                                 hidden_units=(3, 2), pretraining_epochs=[1, -1])
    testing.assert_raises_naming(ValueError, "joint_gradient_scale", DBM, num_visible=4,
                                 hidden_units=(3, 2), joint_gradient_scale=0.0)
    testing.assert_raises_naming(
        ValueError, "evaluate.log_partition.also", run, "train", "dbm", "--preset",
        "dbm_binarized_mnist", "--output-dir", tmp_path / "run", "--set",
        "evaluate.log_partition.also=[reverse_ais]")
    assert not (tmp_path / "run").exists()
