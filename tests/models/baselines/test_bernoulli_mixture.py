"""BernoulliMixture: the exact likelihood, sampling, data init, saving, serving, bad input."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.data
import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.models.baselines import BernoulliMixture


def _model(num_pixels=10, num_components=4, seed=0):
    """A tiny model with random mixture and pixel logits (not the near-uniform start)."""
    model = BernoulliMixture(event_shape=(num_pixels,), num_components=num_components,
                             seed=seed)
    rng = np.random.default_rng(seed)
    model.mixture_logits.assign(rng.normal(size=num_components).astype("float32"))
    model.pixel_logits.assign(2.0 * rng.normal(size=(num_components, num_pixels))
                              .astype("float32"))
    return model


def _all_binary_vectors(num_pixels):
    return np.array(list(itertools.product([0.0, 1.0], repeat=num_pixels)), np.float32)


def _numpy_log_prob(model, x):
    """log sum_k pi_k prod_d p_kd^x_d (1 - p_kd)^(1 - x_d), in float64 from the weights."""
    w = model.mixture_logits.numpy().astype(np.float64)
    p = 1.0 / (1.0 + np.exp(-model.pixel_logits.numpy().astype(np.float64)))
    pi = np.exp(w - w.max()) / np.exp(w - w.max()).sum()
    x = x.reshape(len(x), -1).astype(np.float64)
    likelihoods = np.prod(np.where(x[:, None, :] == 1, p, 1.0 - p), axis=-1)  # [n, K]
    return np.log(likelihoods @ pi)


def test_probabilities_of_all_binary_vectors_sum_to_one():
    model = _model(num_pixels=10)
    total = np.exp(np.float64(model.log_prob(_all_binary_vectors(10)).numpy())).sum()
    np.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_log_prob_equals_a_numpy_hand_computation():
    model = _model(num_pixels=10)
    x = _all_binary_vectors(10)[::7]
    np.testing.assert_allclose(model.log_prob(x).numpy(), _numpy_log_prob(model, x),
                               rtol=1e-5, atol=1e-5)


def test_log_prob_equals_tfp_mixture_same_family_on_images():
    model = BernoulliMixture(event_shape=(4, 5, 1), num_components=7, seed=3)
    x = testing.random_binary((6, 4, 5, 1), seed=1)
    np.testing.assert_allclose(model.log_prob(x).numpy(),
                               model.distribution().log_prob(x).numpy(), rtol=1e-5)
    np.testing.assert_allclose(model(x).numpy(), model.log_prob(x).numpy())


def test_one_component_is_a_product_of_bernoullis():
    model = _model(num_pixels=8, num_components=1)
    x = _all_binary_vectors(8)
    p = 1.0 / (1.0 + np.exp(-model.pixel_logits.numpy()[0].astype(np.float64)))
    expected = (x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=-1)
    np.testing.assert_allclose(model.log_prob(x).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_responsibilities_are_the_posterior_over_components():
    model = _model(num_pixels=10)
    x = _all_binary_vectors(10)[::31]
    joint = model.joint_log_prob(x).numpy()
    expected = np.exp(joint - model.log_prob(x).numpy()[:, None])
    np.testing.assert_allclose(model.responsibilities(x).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(model.responsibilities(x).numpy().sum(-1), 1.0, rtol=1e-6)


def test_sample_frequencies_match_the_model_probabilities():
    # Every one of the 2^6 outcomes: |frequency - p| within 5 standard errors of n draws.
    model = _model(num_pixels=6, num_components=3)
    n = 200_000
    samples = model.sample(n, seed=7).numpy()
    assert set(np.unique(samples)) <= {0.0, 1.0}
    codes = samples.astype(np.int64) @ (2 ** np.arange(5, -1, -1))
    frequencies = np.bincount(codes, minlength=64) / n
    p = np.exp(model.log_prob(_all_binary_vectors(6)).numpy().astype(np.float64))
    np.testing.assert_array_less(np.abs(frequencies - p), 5.0 * np.sqrt(p * (1 - p) / n) + 1e-4)


def test_samples_have_the_event_shape_and_follow_the_seed():
    model = BernoulliMixture(event_shape=(4, 5, 1), num_components=3, seed=0)
    a, b = model.sample(8, seed=1).numpy(), model.sample(8, seed=1).numpy()
    assert a.shape == (8, 4, 5, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model.sample(8, seed=2).numpy())
    # Unseeded draws advance the model's generator: two calls differ.
    assert not np.array_equal(model.sample(8).numpy(), model.sample(8).numpy())


def test_mean_samples_are_the_drawn_components_pixel_probabilities():
    model = _model(num_pixels=6, num_components=3)
    means = model.sample(50, seed=3, mean=True).numpy()
    probs = tf.sigmoid(model.pixel_logits).numpy()
    matches = np.all(np.abs(means[:, None, :] - probs[None]) < 1e-6, axis=-1)  # [50, K]
    assert np.all(matches.sum(-1) == 1)
    # With near-deterministic pixels a binary draw shows its component: a seed draws
    # the same components with and without `mean`.
    model.pixel_logits.assign(30.0 * np.sign(model.pixel_logits.numpy()))
    np.testing.assert_array_equal(model.sample(50, seed=3).numpy(),
                                  np.round(model.sample(50, seed=3, mean=True).numpy()))


def test_sampling_chooses_components_by_their_weights():
    # Two components, one all-ones and one all-zeros: the fraction of all-ones
    # samples estimates pi_1 = sigmoid(w_1 - w_0).
    model = BernoulliMixture(event_shape=(3,), num_components=2, seed=0)
    model.pixel_logits.assign([[-30.0] * 3, [30.0] * 3])
    model.mixture_logits.assign([0.0, np.log(3.0)])
    samples = model.sample(40_000, seed=0).numpy()
    assert set(samples.sum(axis=1)) <= {0.0, 3.0}
    assert abs(samples[:, 0].mean() - 0.75) < 5 * np.sqrt(0.75 * 0.25 / 40_000)


def test_initialize_from_data_starts_each_component_at_a_smoothed_example():
    x = testing.random_binary((50, 12), seed=2)
    model = BernoulliMixture(event_shape=(12,), num_components=5, seed=0)
    model.initialize_from_data(x, smoothing=0.25, seed=4)
    probs = tf.sigmoid(model.pixel_logits).numpy()
    expected = np.clip(0.75 * x[:, None, :] + 0.25 * x.mean(0), 1e-3, 1 - 1e-3)  # [50, 1, 12]
    matches = np.all(np.abs(expected - probs[None]) < 1e-5, axis=-1)  # [50, K]
    assert np.all(matches.sum(0) >= 1)  # each component is one example's start
    assert len({int(np.argmax(column)) for column in matches.T}) == 5  # distinct examples
    np.testing.assert_array_equal(model.mixture_logits.numpy(), np.zeros(5))
    assert float(model.initialized.numpy()) == 1.0


def _fitted(data_init, x, learning_rate=0.0):
    model = BernoulliMixture(event_shape=(12,), num_components=5, data_init=data_init, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate))
    before = model.pixel_logits.numpy().copy()
    model.fit(tf.data.Dataset.from_tensor_slices(x).batch(10), epochs=1, verbose=0)
    return model, before


def test_the_first_fit_initializes_from_its_data_once():
    x = testing.random_binary((30, 12), seed=2)
    model, _ = _fitted(True, x)  # learning rate 0: the weights are the initialization
    reference = BernoulliMixture(event_shape=(12,), num_components=5, seed=0)
    reference.initialize_from_data(x, seed=0)
    np.testing.assert_array_equal(model.pixel_logits.numpy(), reference.pixel_logits.numpy())
    model.pixel_logits.assign(tf.zeros_like(model.pixel_logits))
    model.fit(x[::-1], batch_size=10, epochs=1, verbose=0)  # initialized: no second start
    np.testing.assert_array_equal(model.pixel_logits.numpy(), np.zeros((5, 12)))


def test_without_data_init_fit_starts_from_the_seeded_random_logits():
    model, before = _fitted(False, testing.random_binary((30, 12), seed=2))
    np.testing.assert_array_equal(model.pixel_logits.numpy(), before)
    assert np.all(np.abs(before) <= np.log(3.0)) and float(model.initialized.numpy()) == 0.0
    np.testing.assert_array_equal(
        before, BernoulliMixture(event_shape=(12,), num_components=5, seed=0)
        .pixel_logits.numpy())


def test_the_training_loss_is_the_negative_log_likelihood():
    model = _model(num_pixels=10)
    x = tf.constant(_all_binary_vectors(10)[::9])
    terms = model.compute_terms(x, training=True)
    np.testing.assert_allclose(terms["loss"].numpy(), -_numpy_log_prob(model, x.numpy()),
                               rtol=1e-5)
    np.testing.assert_allclose(terms["log_prob"].numpy(), -terms["loss"].numpy())
    assert model.monitor == ("log_prob", "max") and model.data_range == (0.0, 1.0)


@pytest.mark.slow
def test_fit_raises_the_validation_log_likelihood_on_binarized_mnist():
    # 500 training images, K = 20, 5 epochs of Adam 3e-2 at batch 50. Seeds 0-2 start
    # at -202..-207 validation nats after the data init (uniform pixels: -543), reach
    # -196..-201 after epoch 1 and -181..-184 after epoch 5.
    train = kgen.data.load("binarized_mnist", "train").take(500).batch(50)
    validation = kgen.data.load("binarized_mnist", "validation").take(500).batch(500)
    model = BernoulliMixture(num_components=20, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-2))
    history = model.fit(train, validation_data=validation, epochs=5, verbose=0).history
    assert history["val_log_prob"][-1] > -190.0
    assert history["val_log_prob"][-1] > history["val_log_prob"][0] + 10.0


def test_keras_round_trip_keeps_weights_and_initialized_state(tmp_path):
    x = testing.random_binary((30, 12), seed=2)
    model, _ = _fitted(True, x, learning_rate=0.1)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x))
    assert float(loaded.initialized.numpy()) == 1.0 and loaded.data_init
    testing.assert_config_round_trip(model)


def test_saved_model_signatures_load_and_agree_without_kgen(tmp_path):
    model = BernoulliMixture(event_shape=(4, 5, 1), num_components=6, seed=5)
    model.mixture_logits.assign(np.random.default_rng(0).normal(size=6).astype("float32"))
    x = testing.random_binary((7, 4, 5, 1), seed=3)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x}, "log_prob": {"x": x},
        "sample": {"num_samples": np.int32(5)}})
    np.testing.assert_allclose(served["log_prob"]["log_prob"], model.log_prob(x), rtol=1e-6)
    # The served generator continues from the saved seed state, as the model does.
    np.testing.assert_array_equal(served["sample"]["x"], model.sample(5).numpy())


def tiny_mixture():
    """For the 2-replica check: 12 pixels, 3 components, random logits (seed 0)."""
    return _model(num_pixels=12, num_components=3)


def test_a_two_replica_step_equals_the_one_device_step():
    x = testing.random_binary((8, 12), seed=1)
    result = testing.assert_replica_step_matches(
        "tests.models.baselines.test_bernoulli_mixture:tiny_mixture", x, method="fit")
    assert {n.split("/")[-1] for n in result["names"]} >= {"mixture_logits", "pixel_logits"}


def test_the_preset_builds_the_model_through_the_class():
    config = presets.resolve("bernoulli_mixture_binarized_mnist")
    model = presets.build_model(config, event_shape=(28, 28, 1))
    assert isinstance(model, BernoulliMixture) and model.num_components == 500
    assert kgen.models.get("bernoulli_mixture") is BernoulliMixture
    assert config["evaluate"]["num_samples"] is None


def test_bad_input_raises_naming_the_argument():
    model = BernoulliMixture(event_shape=(4,), num_components=2, seed=0)
    half = np.full((3, 4), 0.5, np.float32)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, half)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.zeros((3, 5)))
    model.compile(optimizer="adam")
    testing.assert_raises_naming(ValueError, "x", model.fit, half, epochs=1, verbose=0)
    assert float(model.initialized.numpy()) == 0.0  # refused before any change
    testing.assert_raises_naming(ValueError, "num_components", BernoulliMixture,
                                 event_shape=(4,), num_components=0)
    testing.assert_raises_naming(ValueError, "num_samples", model.sample, 0)
    testing.assert_raises_naming(TypeError, "data_init", BernoulliMixture, event_shape=(4,),
                                 data_init="yes")
    testing.assert_raises_naming(ValueError, "smoothing", model.initialize_from_data,
                                 np.zeros((3, 4)), smoothing=0.0)
    # An unknown key: Keras names it, kgen names where it came from.
    with pytest.raises(ValueError, match=r"`model_args`.*components"):
        BernoulliMixture.from_preset({"components": 5}, (4,))
    # A refused value keeps the argument's own message.
    with pytest.raises(ValueError, match="num_components") as info:
        BernoulliMixture.from_preset({"num_components": 0}, (4,))
    assert "model_args" not in str(info.value)
