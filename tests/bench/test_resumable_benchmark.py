"""The NLL benchmark's resumable runs (``--run-dir``), ``--init-from`` and
weight averaging, on a tiny VAE: a run stopped by its time budget and started
again ends where an uninterrupted run ends."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from benchmarks.averaging import WeightAverage
from benchmarks.nll_binarized_mnist import Budget, choose_average, init_from
from benchmarks.resumable import RunState
from kgen import networks, testing
from kgen.models.vae import IAFPosterior, IWAE, VAE

SETTINGS = {"model": "vae", "minutes": 1.0, "seed": 0, "tag": ""}


def tiny(cls=VAE, hidden=(16,), **kwargs):
    return cls(event_shape=(6,), latent_dim=3, encoder=networks.mlp_encoder((6,), hidden),
               decoder=networks.mlp_decoder(3, (6,), hidden), seed=0, **kwargs)


def data():
    x = testing.random_binary((64, 6)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(16), x[:16]


def invocation(run_dir, minutes, epochs=3, average_from=None):
    """One command line: a fresh process would build, compile and fit anew
    (the callbacks in the benchmark's order)."""
    keras.utils.set_random_seed(0)
    train, curve_x = data()
    model = tiny()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    state = RunState(run_dir, dict(SETTINGS, minutes=minutes))
    budget = Budget(minutes, curve_x, curve_every=1, log=[], state=state)
    callbacks = [state.backup(), budget]
    if average_from:
        budget.average = WeightAverage(average_from, state.path / "average.npz")
        callbacks.insert(0, budget.average)
    model.fit(train, validation_data=train, epochs=epochs, verbose=0, callbacks=callbacks)
    return model, budget, state


def test_run_state_pins_settings(tmp_path):
    RunState(tmp_path, SETTINGS)
    RunState(tmp_path, dict(SETTINGS, minutes=5.0, tag="_b"))  # free to change
    with pytest.raises(ValueError, match=r"other settings \['model'\]"):
        RunState(tmp_path, dict(SETTINGS, model="iwae"))
    assert json.loads((tmp_path / "args.json").read_text()) == {"model": "vae", "seed": 0}
    # A flag added after the run began (absent from args.json) at its default None is
    # what that run used; set to anything else it is a change.
    RunState(tmp_path, dict(SETTINGS, init_from=None))
    with pytest.raises(ValueError, match=r"other settings \['init_from'\]"):
        RunState(tmp_path, dict(SETTINGS, init_from="vae.keras"))


def test_run_state_refuses_another_init_file(tmp_path):
    record = {"file": "vae.keras", "sha256": "a" * 64, "fresh_weights": []}
    RunState(tmp_path, SETTINGS).pin_init(record)
    state = RunState(tmp_path, SETTINGS)
    state.pin_init(record)
    with pytest.raises(ValueError, match="--init-from.*not the file this run started from"):
        state.pin_init(dict(record, sha256="b" * 64))


def test_stopped_run_continues_to_the_uninterrupted_result(tmp_path):
    whole, whole_budget, _ = invocation(tmp_path / "whole", minutes=60)
    # minutes=0: the budget stops fit after its first epoch; the backup stays.
    _, first, _ = invocation(tmp_path / "split", minutes=0)
    assert first.epochs == 1
    resumed, second, state = invocation(tmp_path / "split", minutes=60)
    assert [e["epoch"] for e in second.log] == [1, 2, 3]
    assert len(state.state["invocations"]) == 2
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([e["val_negative_elbo"] for e in second.log],
                               [e["val_negative_elbo"] for e in whole_budget.log], rtol=1e-5)
    saved = json.loads((tmp_path / "split" / "state.json").read_text())
    assert saved["best_epoch"] == whole_budget.best_epoch
    # The best weights of both invocations are on disk and restored at the end.
    # restore_best keeps the generator where training left it, whichever way the
    # weights come back (load_weights from disk would rewind it).
    second.best_weights = None
    second.restore_best()
    whole_budget.restore_best()
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(resumed.seed_generator.state.numpy(),
                                  whole.seed_generator.state.numpy())


def test_init_from_copies_a_vae_into_an_iwae_or_the_base_of_an_iaf(tmp_path):
    vae = tiny()
    x = testing.random_binary((8, 6)).astype("float32")
    vae.build(x.shape)
    path = str(tmp_path / "vae.keras")
    vae.save(path)
    iwae = tiny(IWAE)
    record = init_from(iwae, path, x)
    assert len(record["sha256"]) == 64 and record["fresh_weights"] == []
    np.testing.assert_array_equal(iwae.iwae_bound(x, 7, seed=3), vae.iwae_bound(x, 7, seed=3))

    iaf = VAE(event_shape=(6,), latent_dim=3, encoder=networks.mlp_encoder((6,), (16,)),
              decoder=networks.mlp_decoder(3, (6,), (16,)), analytic_kl=False, seed=0,
              posterior=IAFPosterior(3, num_flows=1, hidden_units=(8,), name="posterior"))
    record = init_from(iaf, path, x)
    assert record["fresh_weights"] and all("made_0" in w for w in record["fresh_weights"])
    for a, b in zip(iaf.encoder.weights + iaf.decoder.weights + iaf.posterior.head.weights,
                    vae.encoder.weights + vae.decoder.weights + vae.posterior.weights):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="--init-from.*decoder"):
        init_from(VAE(event_shape=(6,), latent_dim=3, encoder=networks.mlp_encoder((6,), (16,)),
                      decoder=networks.mlp_decoder(3, (6,), (8,)), seed=0), path, x)


def test_init_from_copies_the_likelihood_and_names_bad_files(tmp_path):
    x = testing.random_binary((8, 6)).astype("float32")
    vae = tiny(likelihood="gaussian")
    vae.build(x.shape)
    vae.likelihood.log_scale.assign(np.full((6,), -1.5, "float32"))  # a trained scale
    path = str(tmp_path / "vae.keras")
    vae.save(path)
    iwae = tiny(IWAE, likelihood="gaussian")
    assert init_from(iwae, path, x)["fresh_weights"] == []
    np.testing.assert_array_equal(iwae.likelihood.log_scale.numpy(), -1.5)
    (tmp_path / "not_a_model.keras").write_text("no")
    for bad in (tmp_path / "not_a_model.keras", tmp_path / "missing.keras"):
        with pytest.raises(ValueError, match="--init-from.*does not load"):
            init_from(tiny(IWAE), str(bad), x)


class Snapshots(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_an_averaged_run_stopped_and_resumed_has_the_uninterrupted_mean(tmp_path):
    _, whole, _ = invocation(tmp_path / "whole", minutes=60, epochs=4, average_from=2)
    invocation(tmp_path / "split", minutes=0, epochs=4, average_from=2)
    _, second, _ = invocation(tmp_path / "split", minutes=60, epochs=4, average_from=2)
    assert second.average.count == whole.average.count == 3
    assert second.average.missing_epochs == []
    for a, b in zip(second.average.weights(), whole.average.weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_weight_average_lists_missing_epochs_and_refuses_other_weights(tmp_path):
    # A kill after the backup but before the mean was saved: epoch 2 is missing.
    invocation(tmp_path / "run", minutes=0, epochs=4, average_from=1)
    saved = WeightAverage(1, tmp_path / "run" / "average.npz")
    model = tiny()
    model.build((None, 6))
    saved.set_model(model)
    saved.on_epoch_begin(2)  # resumed with 2 epochs done, the mean holds 1
    assert saved.missing_epochs == [2]
    other = WeightAverage(1, tmp_path / "run" / "average.npz")
    wider = tiny(hidden=(8,))
    wider.build((None, 6))
    other.set_model(wider)
    with pytest.raises(ValueError, match="average.npz holds the mean of weights of shapes"):
        other.on_epoch_begin(1)


def test_weight_average_is_the_mean_of_the_epochs_and_survives_a_resume(tmp_path):
    train, _ = data()
    model = tiny()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    snapshots, average = Snapshots(), WeightAverage(2, tmp_path / "average.npz")
    model.fit(train, epochs=4, verbose=0, callbacks=[snapshots, average])
    assert average.count == 3 and average.through_epoch == 4
    for i, mean in enumerate(average.weights()):
        np.testing.assert_allclose(mean, np.mean([w[i] for w in snapshots.weights[1:]], 0),
                                   rtol=1e-5, atol=1e-6)
    # A resumed invocation reads the mean back and does not add epoch 4 twice.
    again = WeightAverage(2, tmp_path / "average.npz")
    again.set_model(model)
    again.on_epoch_end(3)
    assert again.count == 3
    again.on_epoch_end(4)
    assert again.count == 4 and again.through_epoch == 5
    for i, mean in enumerate(again.weights()):
        expected = np.mean([w[i] for w in snapshots.weights[1:]] + [model.get_weights()[i]], 0)
        np.testing.assert_allclose(mean, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="from_epoch"):
        WeightAverage(0)


def test_choose_average_keeps_the_weights_with_the_better_validation_nll():
    train, x = data()
    model = tiny()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    average = WeightAverage(1)
    model.fit(train, epochs=3, verbose=0, callbacks=[average])
    trained = model.get_weights()
    # An "average" of untrained weights must lose to the trained ones, and win
    # when the model holds worse weights than it.
    average.mean = [w.astype(np.float64) for w in tiny().get_weights()]
    record = choose_average(model, average, x)
    assert record["chosen"] == "best_epoch"
    assert record["val_nll_k100_best_epoch"] < record["val_nll_k100_average"]
    for a, b in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)
    average.mean = [w.astype(np.float64) for w in trained]
    model.set_weights([w + 3.0 for w in trained])
    assert choose_average(model, average, x)["chosen"] == "average"
    for a, b in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)
