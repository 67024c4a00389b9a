"""Bad input fails early with a ValueError/TypeError naming the argument."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
import kgen.data
import kgen.metrics
from kgen import networks, testing
from kgen.models.vae import IWAE, VAE


@pytest.fixture(scope="module")
def model():
    return VAE(event_shape=(8, 8, 1), latent_dim=2,
               encoder=networks.mlp_encoder((8, 8, 1), (8,)),
               decoder=networks.mlp_decoder(2, (8, 8, 1), (8,)), seed=0)


X = testing.random_binary((4, 8, 8, 1))

CASES = [
    ("x", ValueError, lambda m: m.elbo(X[:, :7])),
    ("x", ValueError, lambda m: m.elbo(np.full_like(X, np.nan))),
    ("x", ValueError, lambda m: m.elbo(X * 0.5)),
    ("x", TypeError, lambda m: m.elbo(np.full(X.shape, "a"))),
    ("x", ValueError, lambda m: m.encode(X[0])),
    ("num_samples", ValueError, lambda m: m.iwae_bound(X, 0)),
    ("num_samples", ValueError, lambda m: m.sample(0)),
    ("num_samples", TypeError, lambda m: m.sample(2.5)),
    ("seed", ValueError, lambda m: m.sample(2, seed=-1)),
    ("latent_dim", ValueError, lambda m: VAE(latent_dim=0)),
    ("likelihood", ValueError, lambda m: VAE(likelihood="poisson")),
    ("posterior", ValueError, lambda m: VAE(posterior="flow")),
    ("beta", ValueError, lambda m: VAE(beta=-1.0)),
    ("seed", ValueError, lambda m: VAE(seed=-3)),
    ("event_shape", ValueError, lambda m: VAE(event_shape=())),
    ("event_shape", TypeError, lambda m: VAE(event_shape="784")),
    ("encoder", TypeError, lambda m: VAE(encoder="mlp")),
    ("num_samples", ValueError, lambda m: IWAE(num_samples=0)),
    ("num_samples", ValueError, lambda m: kgen.metrics.nll(m, X, num_samples=0)),
    ("dataset", ValueError, lambda m: kgen.metrics.nll(m, X * 0.5, num_samples=2)),
    ("name", ValueError, lambda m: kgen.data.load("imagenet_64", "train")),
    ("split", ValueError, lambda m: kgen.data.load("binarized_mnist", "training")),
    ("batch_size", ValueError, lambda m: kgen.data.load("digits", "train", batch_size=0)),
    ("x", ValueError, lambda m: VAE(event_shape=(8,), likelihood="logistic", latent_dim=2).elbo(
        np.full((2, 8), 300.0, "float32"))),
    ("likelihood", TypeError, lambda m: VAE(likelihood=5)),
    ("likelihood", TypeError, lambda m: VAE(likelihood=keras.layers.Dense(3))),
    ("analytic_kl", TypeError, lambda m: VAE(analytic_kl="no")),
    ("seed", ValueError, lambda m: m.sample(2, seed=2**64)),
    ("seed", ValueError, lambda m: kgen.metrics.nll(m, X, num_samples=2, seed=None)),
    ("verbose", ValueError, lambda m: kgen.metrics.nll(m, X, num_samples=2, verbose=3)),
    ("event_shape", TypeError, lambda m: kgen.metrics.bits_per_dim(80.0, "784")),
    ("event_shape", ValueError, lambda m: kgen.metrics.bits_per_dim(80.0, (28, 0))),
]


@pytest.mark.parametrize("argument,error,call", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_naming_the_argument(model, argument, error, call):
    testing.assert_raises_naming(error, argument, call, model)


def test_numpy_integer_seeds_are_accepted():
    model = VAE(event_shape=(8, 8, 1), latent_dim=2, seed=np.int64(3))
    np.testing.assert_array_equal(model.sample(2, seed=np.int32(1)),
                                  model.sample(2, seed=1))


def test_unknown_model_lists_the_registered_ones():
    with pytest.raises(ValueError, match="Available models: .*vae"):
        kgen.models.get("gan9000")


def test_fit_on_bad_data_fails_before_any_update(model):
    model.compile(optimizer="adam")
    before = [w.copy() for w in model.get_weights()]
    bad = tf.data.Dataset.from_tensor_slices(X * 0.5).batch(2)
    testing.assert_raises_naming(ValueError, "x", model.fit, bad, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations) == 0


MORE_CASES = [
    ("decoder", ValueError, lambda m: VAE(event_shape=(8, 8, 1), latent_dim=2,
                                          encoder=networks.mlp_encoder((8, 8, 1), (4,)),
                                          decoder=networks.mlp_decoder(2, (7, 8, 1), (4,)))),
    ("seed", ValueError, lambda m: m.elbo(X, seed=-1)),
    ("seed", TypeError, lambda m: m.iwae_bound(X, 3, seed=2.5)),
    ("x", ValueError, lambda m: VAE(event_shape=(8,), likelihood="logistic", latent_dim=2).elbo(
        np.full((2, 8), 1.5, "float32"))),
]


@pytest.mark.parametrize("argument,error,call", MORE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MORE_CASES)])
def test_more_bad_input_raises_naming_the_argument(model, argument, error, call):
    testing.assert_raises_naming(error, argument, call, model)


def test_bad_validation_data_fails_before_the_first_epoch(model, tmp_path):
    model.compile(optimizer="adam")
    before = [w.copy() for w in model.get_weights()]
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "m.weights.h5"),
                                                 save_weights_only=True)
    testing.assert_raises_naming(ValueError, "validation_data", model.fit, X, epochs=1,
                                 verbose=0, validation_data=X * 0.5, callbacks=[checkpoint])
    assert not list(tmp_path.iterdir())
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_validation_data_given_by_position_is_caught_too(model):
    model.compile(optimizer="adam")
    # fit(x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data)
    testing.assert_raises_naming(ValueError, "validation_data", model.fit, X, None, 8, 1, 0,
                                 None, 0.0, X * 0.5)
