"""Tests of kgen.callbacks on tiny VAEs over 8x8 images (no downloads)."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen import callbacks
from kgen.models.vae import VAE
from kgen.networks import mlp_decoder, mlp_encoder

SHAPE = (8, 8, 1)


def tiny_vae(latent_dim=2, likelihood="bernoulli", seed=0):
    return VAE(event_shape=SHAPE, latent_dim=latent_dim,
               encoder=mlp_encoder(SHAPE, (16,)), decoder=mlp_decoder(latent_dim, SHAPE, (16,)),
               likelihood=likelihood, seed=seed)


def binary_images(n=64, seed=0):
    return (np.random.default_rng(seed).uniform(size=(n,) + SHAPE) < 0.3).astype("float32")


def compiled(model):
    # Eager steps: faster than tracing for the few batches of these tests.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    return model


def event_files(directory):
    return glob.glob(os.path.join(directory, "**", "events.out.tfevents.*"), recursive=True)


class WeightRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.kl_weights, self.epoch_end_weights = [], []

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.kl_weights.append(float(self.model.kl_weight.numpy()))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_end_weights.append(self.model.get_weights())


def test_sample_grid_writes_square_png_and_event_file(tmp_path):
    model = compiled(tiny_vae())
    grid = callbacks.SampleGrid(num_samples=9, every=1, log_dir=str(tmp_path / "tb"),
                                png_dir=str(tmp_path / "png"), seed=3)
    model.fit(binary_images(), batch_size=32, epochs=2, verbose=0, callbacks=[grid])
    pngs = sorted(os.listdir(tmp_path / "png"))
    assert pngs == ["samples_epoch_0001.png", "samples_epoch_0002.png"]
    with Image.open(tmp_path / "png" / pngs[-1]) as image:
        assert image.size == (3 * 8, 3 * 8)
        assert image.mode == "L"
    assert event_files(str(tmp_path / "tb" / "samples"))
    assert grid.last_grid.shape == (24, 24, 1)


def test_sample_grid_uses_the_same_latents_each_time():
    model = tiny_vae()
    grid = callbacks.SampleGrid(num_samples=4, seed=7)
    grid.set_model(model)
    np.testing.assert_array_equal(grid.draw(), grid.draw())


def test_sample_grid_every_skips_epochs(tmp_path):
    model = compiled(tiny_vae())
    grid = callbacks.SampleGrid(num_samples=4, every=2, png_dir=str(tmp_path))
    model.fit(binary_images(), batch_size=32, epochs=3, verbose=0, callbacks=[grid])
    assert os.listdir(tmp_path) == ["samples_epoch_0002.png"]


def test_sample_grid_falls_back_when_sample_has_no_mean_argument():
    class Model:
        def sample(self, num_samples, seed=None, **condition):
            assert not condition
            return np.full((num_samples, 5, 5, 3), 0.5, np.float32)

    grid = callbacks.SampleGrid(num_samples=5)
    grid.set_model(Model())
    assert grid.draw().shape == (2 * 5, 3 * 5, 3)


def test_sample_grid_gives_a_class_conditional_model_one_class_a_row():
    # GatedPixelCNN's sample refuses to run without labels; the grid passes them, and
    # draws with the cached sampler the naive sampler's pixels.
    from kgen.callbacks import _images
    from kgen.models.autoregressive import GatedPixelCNN

    model = GatedPixelCNN(event_shape=(3, 3, 1), filters=4, num_layers=2,
                          first_kernel_size=3, num_classes=3, seed=0)
    grid = callbacks.SampleGrid(num_samples=7, seed=4)  # 3 columns: rows of classes 0, 1, 2
    grid.set_model(model)
    naive = model.sample(7, seed=4, labels=[0, 0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(grid.draw(), _images.tile(np.asarray(naive)))
    other = model.sample(7, seed=4, labels=[0, 1, 2, 0, 1, 2, 0])
    assert not np.array_equal(naive, other)  # the labels matter to the draw


@pytest.mark.parametrize("kwargs", [{"num_samples": 0}, {"every": 0}, {"seed": -1}])
def test_sample_grid_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        callbacks.SampleGrid(**kwargs)


def test_kl_warmup_is_linear_over_two_epochs():
    model = compiled(tiny_vae())
    recorder = WeightRecorder()
    history = model.fit(binary_images(), batch_size=32, epochs=3, verbose=0,
                        callbacks=[callbacks.KLWarmup(epochs=2), recorder])
    assert recorder.kl_weights == [0.0, 0.5, 1.0]
    assert history.history["kl_weight"] == [0.0, 0.5, 1.0]


def test_kl_warmup_resumes_from_the_initial_epoch():
    model = compiled(tiny_vae())
    recorder = WeightRecorder()
    model.fit(binary_images(), batch_size=32, epochs=4, initial_epoch=2, verbose=0,
              callbacks=[callbacks.KLWarmup(epochs=4), recorder])
    assert recorder.kl_weights == [0.5, 0.75]
    # Training stopped inside the warm-up, yet the model's loss is -ELBO again.
    assert float(model.kl_weight.numpy()) == 1.0


def test_kl_warmup_of_zero_epochs_keeps_full_weight():
    warmup = callbacks.KLWarmup(0)
    assert [warmup.weight_at(e) for e in range(3)] == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="epochs"):
        callbacks.KLWarmup(-1)


def test_kl_warmup_needs_a_kl_weight():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="kl_weight"):
        model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0,
                  callbacks=[callbacks.KLWarmup(1)])


def test_latent_manifold_image_tiles_a_grid_of_decodings():
    model = tiny_vae(latent_dim=2)
    image = callbacks.latent_manifold_image(model, grid_size=5)
    assert image.shape == (5 * 8, 5 * 8, 1)
    assert image.min() >= 0.0 and image.max() <= 1.0
    # The top-left cell decodes z = (ppf(0.05), ppf(0.95)).
    z = np.array([[-1.6448536, 1.6448536]], np.float32)
    np.testing.assert_allclose(image[:8, :8], model.decode(z).numpy()[0], atol=1e-5)


def test_latent_manifold_image_maps_the_grid_through_a_flow_prior():
    # A flow prior puts its mass elsewhere: the grid is the flow's image of the
    # standard-normal quantiles, not the quantiles themselves.
    from kgen.models.vae import priors

    model = VAE(event_shape=SHAPE, latent_dim=2, encoder=mlp_encoder(SHAPE, (16,)),
                decoder=mlp_decoder(2, SHAPE, (16,)), prior="realnvp", seed=0)
    assert isinstance(model.prior, priors.FlowPrior)
    for weight in model.prior.trainable_weights:  # a flow far from the identity
        weight.assign(np.random.default_rng(1).normal(0, 0.5, weight.shape))
    eps = np.array([[-1.6448536, 1.6448536]], np.float32)
    z = model.prior.sample(eps)
    assert np.abs(np.asarray(z) - eps).max() > 0.1
    image = callbacks.latent_manifold_image(model, grid_size=5)
    np.testing.assert_allclose(image[:8, :8], model.decode(z).numpy()[0], atol=1e-5)


def test_latent_manifold_writes_png_and_event_file(tmp_path):
    model = compiled(tiny_vae(latent_dim=2))
    manifold = callbacks.LatentManifold(grid_size=4, log_dir=str(tmp_path / "tb"),
                                        png_dir=str(tmp_path / "png"))
    model.fit(binary_images(), batch_size=32, epochs=1, verbose=0, callbacks=[manifold])
    with Image.open(tmp_path / "png" / "latent_manifold.png") as image:
        assert image.size == (32, 32)
    assert event_files(str(tmp_path / "tb"))


def test_latent_manifold_rejects_latent_dim_other_than_two(tmp_path):
    model = compiled(tiny_vae(latent_dim=3))
    manifold = callbacks.LatentManifold(png_dir=str(tmp_path))
    with pytest.raises(ValueError, match="latent_dim=3"):
        model.fit(binary_images(), batch_size=32, epochs=1, verbose=0, callbacks=[manifold])
    assert not os.listdir(tmp_path)
    with pytest.raises(ValueError, match="latent_dim=3"):
        callbacks.latent_manifold_image(model, 4)


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_nan_guard_restores_the_weights_of_the_last_good_epoch():
    # A Gaussian VAE whose second epoch meets a batch of 1e30: the loss is
    # infinite and the update writes NaN weights.
    model = compiled(tiny_vae(likelihood="gaussian"))
    state = {"epoch": 0}

    def batches():
        rng = np.random.default_rng(0)
        for i in range(4):
            x = rng.uniform(size=(8,) + SHAPE).astype("float32")
            yield x * (1e30 if (state["epoch"] == 1 and i == 1) else 1.0)

    class EpochFlag(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            state["epoch"] = epoch

    data = tf.data.Dataset.from_generator(
        batches, output_signature=tf.TensorSpec((None,) + SHAPE, tf.float32))
    guard, recorder = callbacks.NaNGuard(), WeightRecorder()
    history = model.fit(data, epochs=3, verbose=0, shuffle=False,
                        callbacks=[EpochFlag(), guard, recorder])

    assert guard.stopped_at == (1, 1)
    assert guard.snapshot_epoch == 1
    assert len(history.epoch) == 2  # epoch 2 never ran
    weights = model.get_weights()
    assert all(np.all(np.isfinite(w)) for w in weights)
    for restored, good in zip(weights, recorder.epoch_end_weights[0]):
        np.testing.assert_array_equal(restored, good)
    assert all(np.all(np.isfinite(np.asarray(v))) for v in model.optimizer.variables)


def test_nan_guard_does_nothing_on_finite_losses():
    model = compiled(tiny_vae())
    guard = callbacks.NaNGuard()
    model.fit(binary_images(), batch_size=32, epochs=2, verbose=0, callbacks=[guard])
    assert guard.stopped_at is None
    assert guard.snapshot_epoch == 2


def test_tile_images_pads_an_incomplete_grid_with_black():
    grid = callbacks.tile_images(np.ones((5, 2, 3, 1)))
    assert grid.shape == (2 * 2, 3 * 3, 1)  # 3 columns, 2 rows
    assert grid.sum() == 5 * 2 * 3
    with pytest.raises(ValueError, match="images"):
        callbacks.tile_images(np.ones((5, 2)))


def test_images_are_drawn_in_the_models_own_data_range():
    from kgen.callbacks import _images
    from kgen.models.base import GenerativeModel

    class Tanh(GenerativeModel):
        data_range = (-1.0, 1.0)  # a GAN's tanh output, no likelihood

    images = _images.to_unit_range(np.array([-1.0, 0.0, 1.0]), Tanh(event_shape=(3,)))
    np.testing.assert_allclose(images, [0.0, 0.5, 1.0])
    plain = _images.to_unit_range(np.array([0.2]), GenerativeModel(event_shape=(1,)))
    np.testing.assert_allclose(plain, [0.2])


def test_time_limit_stops_within_the_epoch_once_the_budget_is_spent(monkeypatch):
    # An epoch of 8 batches; the clock passes the deadline during the third.
    from kgen.callbacks import time_limit

    clock = {"now": 0.0}
    monkeypatch.setattr(time_limit.time, "time", lambda: clock["now"])

    class Tick(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            clock["now"] += 25.0  # seconds a batch

    model = compiled(tiny_vae())
    limit = callbacks.TimeLimit(minutes=1.0)
    history = model.fit(binary_images(64), batch_size=8, epochs=5, verbose=0,
                        callbacks=[Tick(), limit])
    assert limit.stopped_epoch == 0 and len(history.history["loss"]) == 1
    assert int(model.optimizer.iterations) == 3  # 75 s > 60 s after the third batch
