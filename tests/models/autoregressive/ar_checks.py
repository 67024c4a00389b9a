"""Checks shared by the autoregressive models' tests (not a test module)."""

import itertools

import keras
import numpy as np

from kgen import testing


def randomize(model, seed=0, stddev=1.0):
    """Every trainable weight to N(0, stddev^2): zero starts would hide connectivity."""
    rng = np.random.default_rng(seed)
    for w in model.trainable_weights:
        w.assign(rng.normal(0.0, stddev, w.shape).astype("float32"))
    return model


def all_binary(event_shape):
    """Every binary example of ``event_shape``, ``[2**D, *event_shape]``, in binary-code order
    (first dimension most significant)."""
    d = int(np.prod(event_shape))
    return np.array(list(itertools.product([0.0, 1.0], repeat=d)),
                    np.float32).reshape((-1,) + tuple(event_shape))


def assert_sample_frequencies_match(model, num_samples=40_000, seed=3, probs=None):
    """Draws ``num_samples`` binary samples and checks the frequency of each of the 2^D
    outcomes against its probability (``exp(model.log_prob)`` unless ``probs`` is given):
    within 5 standard errors (+ 1e-4). Also that a seed fixes the draw."""
    shape = model.event_shape
    samples = model.sample(num_samples, seed=seed).numpy()
    assert samples.shape == (num_samples,) + shape
    assert set(np.unique(samples)) <= {0.0, 1.0}
    d = int(np.prod(shape))
    codes = samples.reshape(num_samples, d).astype(np.int64) @ (2 ** np.arange(d - 1, -1, -1))
    frequencies = np.bincount(codes, minlength=2 ** d) / num_samples
    if probs is None:
        probs = np.exp(np.float64(model.log_prob(all_binary(shape)).numpy()))
    np.testing.assert_allclose(probs.sum(), 1.0, atol=1e-5)
    np.testing.assert_array_less(np.abs(frequencies - probs),
                                 5.0 * np.sqrt(probs * (1 - probs) / num_samples) + 1e-4)
    np.testing.assert_array_equal(model.sample(64, seed=seed).numpy(),
                                  model.sample(64, seed=seed).numpy())
    assert not np.array_equal(model.sample(64).numpy(), model.sample(64).numpy())


def fit_briefly(model, x, epochs=1, learning_rate=1e-2, batch_size=8):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return model.fit(x, batch_size=batch_size, epochs=epochs, verbose=0).history


def assert_round_trips(model, x, tmp_path, same_samples=True):
    """``.keras`` (safe mode) and config round trips on ``log_prob(x)``, then the
    SavedModel served without kgen: ``log_prob`` agrees, and (``same_samples``) the
    served sampler continues from the saved seed state as the model does."""
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x))
    testing.assert_config_round_trip(model)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "log_prob": {"x": x},
        "sample": {"num_samples": np.int32(3)}})
    np.testing.assert_allclose(served["log_prob"]["log_prob"], model.log_prob(x), rtol=1e-5)
    if same_samples:
        np.testing.assert_array_equal(served["sample"]["x"], model.sample(3).numpy())
    return loaded
