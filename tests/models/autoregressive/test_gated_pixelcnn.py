"""Gated PixelCNN: autoregressive Jacobian, no blind spot (unlike PixelCNN), normalization
for each label, class-conditional sampling and training, saving with labels, bad input."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.models.autoregressive import GatedPixelCNN, PixelCNN

from tests.models.autoregressive import ar_checks


def _model(event_shape=(3, 3, 1), seed=0, stddev=0.5, **kwargs):
    kwargs = {"filters": 4, "num_layers": 2, "first_kernel_size": 3, **kwargs}
    model = GatedPixelCNN(event_shape=event_shape, seed=seed, **kwargs)
    return ar_checks.randomize(model, seed=seed, stddev=stddev)


class _GivenLabel:
    """p(x | label) of a conditional model as an unconditional one, for ar_checks."""

    def __init__(self, model, label):
        self.model, self.label, self.event_shape = model, label, model.event_shape

    def sample(self, num_samples, seed=None):
        return self.model.sample(num_samples, seed=seed, labels=self.label)

    def log_prob(self, x):
        return self.model.log_prob(x, labels=np.full(len(x), self.label))


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_binary_conditionals_are_autoregressive_in_raster_order(kernel_size):
    model = _model(event_shape=(5, 5, 1), first_kernel_size=kernel_size,
                   kernel_size=kernel_size, num_layers=3)
    testing.assert_autoregressive(model.conditionals, testing.random_binary((4, 5, 5, 1), p=0.5))


@pytest.mark.parametrize("channel_order", [(2, 0, 1), (1, 2, 0)])
def test_conditionals_are_autoregressive_for_colour_orders_and_labels(channel_order):
    model = _model(event_shape=(3, 4, 3), likelihood="categorical", num_bins=4,
                   filters=6, num_layers=3, channel_order=channel_order, num_classes=3)
    x = np.random.default_rng(0).integers(0, 4, size=(3, 3, 4, 3)).astype("float32")
    testing.assert_autoregressive(
        lambda v: model.conditionals(v, labels=np.arange(3)), x,
        order=model.generation_order())


def _receptive_field(model, size):
    """Which pixels the centre pixel's logit depends on (the nonzero Jacobian row)."""
    x = testing.random_binary((6, size, size, 1), p=0.5)
    dependence = testing.assert_autoregressive(model.conditionals, x)  # [D, 1, D]
    centre = (size // 2) * size + size // 2
    return dependence[centre, 0].reshape(size, size) > 0


def test_the_receptive_field_has_no_blind_spot_unlike_pixelcnn():
    """Four 3x3 layers on 9x9 images, centre pixel (4, 4): PixelCNN's field misses the
    triangle up and right, (4 - a, 4 + b) for b > a (van den Oord et al. 2016,
    arXiv:1606.05328, Fig. 1); the Gated PixelCNN's is every pixel before the centre."""
    size, c, layers = 9, 4, 4
    plain = ar_checks.randomize(PixelCNN(event_shape=(size, size, 1), filters=4,
                                         num_residual_blocks=layers - 1, first_kernel_size=3,
                                         kernel_size=3, seed=0), stddev=0.5)
    gated = _model(event_shape=(size, size, 1), num_layers=layers)
    before = (np.arange(size * size) < c * size + c).reshape(size, size)
    np.testing.assert_array_equal(_receptive_field(gated, size), before)

    seen = _receptive_field(plain, size)
    for a, b in itertools.product(range(1, c + 1), range(1, c + 1)):
        assert seen[c - a, c + b] == (b <= a), (a, b)
    assert seen[:c, :c + 1].all() and seen[c, :c].all() and not seen[c:, c:].any()
    assert (before & ~seen).sum() == 6  # the blind spot: (3, 6..8), (2, 7..8), (1, 8)


@pytest.mark.parametrize("embedding_dim", [None, 2])
def test_probabilities_of_all_512_binary_images_sum_to_one_for_each_label(embedding_dim):
    model = _model(num_classes=3, embedding_dim=embedding_dim, stddev=1.0)
    totals = []
    for label in range(3):
        totals.append(testing.assert_normalized_by_enumeration(
            _GivenLabel(model, label).log_prob, 9, event_shape=(3, 3, 1)))
    images = ar_checks.all_binary((3, 3, 1))
    p0, p1 = (np.exp(model.log_prob(images, labels=np.full(512, k)).numpy()) for k in (0, 1))
    assert np.abs(p0 - p1).sum() > 0.1  # the label changes the distribution


def test_unconditional_and_categorical_models_are_normalized():
    testing.assert_normalized_by_enumeration(_model(stddev=1.0).log_prob, 9,
                                             event_shape=(3, 3, 1))
    model = _model(event_shape=(1, 2, 2), likelihood="categorical", num_bins=4, stddev=1.0,
                   num_classes=2)
    levels = np.array(list(itertools.product(range(4), repeat=4)), np.float32)
    for label in (0, 1):
        log_probs = model.log_prob(levels.reshape(-1, 1, 2, 2),
                                   labels=np.full(256, label)).numpy().astype(np.float64)
        np.testing.assert_allclose(np.exp(log_probs).sum(), 1.0, atol=1e-5)


def test_log_prob_is_the_softmax_cross_entropy_of_the_conditionals():
    model = _model(event_shape=(2, 3, 1), likelihood="categorical", num_bins=256)
    x = np.random.default_rng(2).integers(0, 256, size=(4, 2, 3, 1)).astype("float32")
    logits = model.conditionals(x)
    assert logits.shape == (4, 2, 3, 1, 256)
    nats = tf.nn.sparse_softmax_cross_entropy_with_logits(x.astype("int32"), logits)
    np.testing.assert_allclose(model.log_prob(x).numpy(),
                               -tf.reduce_sum(nats, (1, 2, 3)).numpy(), rtol=1e-5)


def test_samples_for_each_label_follow_that_labels_probabilities():
    model = _model(event_shape=(2, 2, 1), num_classes=2, seed=1)
    images = ar_checks.all_binary((2, 2, 1))
    p0, p1 = (np.exp(model.log_prob(images, labels=np.full(16, k)).numpy()) for k in (0, 1))
    assert np.abs(p0 - p1).sum() > 0.2 and max(p0.max(), p1.max()) < 0.2  # a sampler
    # that ignored the label, or a peaked model, would fail or pass unseen
    for label in (0, 1):
        ar_checks.assert_sample_frequencies_match(_GivenLabel(model, label),
                                                  num_samples=20_000)
    a = model.sample(200, seed=5, labels=0).numpy()
    b = model.sample(200, seed=5, labels=1).numpy()
    assert not np.array_equal(a, b)  # same noise, another label: other samples
    mixed = model.sample(200, seed=5, labels=np.repeat([0, 1], 100)).numpy()
    np.testing.assert_array_equal(mixed[:100], a[:100])


def test_fitting_image_label_batches_raises_the_conditional_log_prob():
    model = _model(num_classes=2)
    x = np.tile(ar_checks.all_binary((3, 3, 1))[::16], (2, 1, 1, 1))  # 64 images
    labels = np.repeat([0, 1], 32)
    terms = model.compute_terms((x, labels), training=True)
    np.testing.assert_allclose(terms["loss"].numpy(), -model.log_prob(x, labels).numpy(),
                               rtol=1e-6)
    model.compile(optimizer="adam")
    model.optimizer.learning_rate = 0.03
    history = model.fit(x, labels, batch_size=16, epochs=5, verbose=0).history
    assert history["log_prob"][-1] > history["log_prob"][0] + 0.5


def test_keras_and_saved_model_round_trips(tmp_path):
    plain, x = _model(), testing.random_binary((5, 3, 3, 1), seed=3)
    testing.assert_keras_round_trip(plain, tmp_path, lambda m: m.log_prob(x))
    # (the unconditional model's signatures are the base's: tested with PixelCNN's)
    model = _model(num_classes=3, embedding_dim=2)
    x, labels = testing.random_binary((4, 3, 3, 1), seed=3), np.array([0, 1, 2, 1])
    testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x, labels=labels))
    testing.assert_config_round_trip(model)
    served = testing.assert_saved_model_round_trip(model, tmp_path, {
        "serving_default": {"x": x, "labels": labels}, "log_prob": {"x": x, "labels": labels},
        "sample": {"labels": labels}})
    np.testing.assert_allclose(served["log_prob"]["log_prob"],
                               model.log_prob(x, labels=labels), rtol=1e-5)
    np.testing.assert_array_equal(served["sample"]["x"], model.sample(4, labels=labels))


def tiny_conditional_gated_pixelcnn():
    """For the 2-replica check: 3x3 binary images, 3 classes, 2 gated layers."""
    return _model(num_classes=3)


def test_a_two_replica_step_equals_the_one_device_step():
    testing.assert_replica_step_matches(
        "tests.models.autoregressive.test_gated_pixelcnn:tiny_conditional_gated_pixelcnn",
        (testing.random_binary((8, 3, 3, 1), p=0.5), np.arange(8) % 3), method="fit")


def test_the_preset_builds_the_model():
    config = presets.resolve("gated_pixelcnn_fashion_mnist")
    model = presets.build_model(config, (28, 28, 1))
    assert isinstance(model, GatedPixelCNN) and model.num_classes == 10
    assert model.likelihood_name == "categorical" and model.num_bins == 256
    assert config["data"]["labels"] is True and config["data"]["preprocess"] == "levels"
    assert kgen.models.get("gated_pixelcnn") is GatedPixelCNN


def test_bad_input_raises_naming_the_argument():
    model = _model(num_classes=3)
    x = testing.random_binary((2, 3, 3, 1))
    testing.assert_raises_naming(ValueError, "labels", model.log_prob, x)
    testing.assert_raises_naming(ValueError, "labels", model.log_prob, x, labels=[0, 3])
    testing.assert_raises_naming(ValueError, "labels", model.log_prob, x, labels=[0, -1])
    testing.assert_raises_naming(ValueError, "labels", model.log_prob, x, labels=[0, 1.5])
    testing.assert_raises_naming(ValueError, "labels", model.log_prob, x, labels=[0, 1, 2])
    testing.assert_raises_naming(ValueError, "labels", model.sample, 2)
    testing.assert_raises_naming(ValueError, "labels", model.sample, 2, labels=5)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.full((2, 3, 3, 1), 0.5),
                                 labels=[0, 1])
    model.compile(optimizer="adam")
    testing.assert_raises_naming(ValueError, "labels", model.fit, x, verbose=0)
    testing.assert_raises_naming(ValueError, "labels", model.fit, x, np.array([0, 7]),
                                 verbose=0)
    plain = _model()
    testing.assert_raises_naming(ValueError, "labels", plain.log_prob, x, labels=[0, 1])
    testing.assert_raises_naming(ValueError, "labels", plain.sample, 2, labels=[0, 1])
    for kwargs, name in [({"kernel_size": 4}, "kernel_size"),
                         ({"first_kernel_size": 2}, "kernel_size"),
                         ({"event_shape": (9,)}, "event_shape"),
                         ({"embedding_dim": 4}, "embedding_dim"),
                         ({"num_classes": 1}, "num_classes"),
                         ({"likelihood": "gaussian"}, "likelihood"),
                         ({"event_shape": (3, 3, 3), "channel_order": (0, 0, 1)},
                          "channel_order")]:
        testing.assert_raises_naming(ValueError, name, GatedPixelCNN,
                                     **{"event_shape": (3, 3, 1), **kwargs})


def test_the_mnist_preset_trains_on_the_labelled_digits():
    config = presets.resolve("gated_pixelcnn_mnist")
    model = presets.build_model(config, (28, 28, 1))
    assert isinstance(model, GatedPixelCNN) and model.num_classes == 10
    assert model.likelihood_name == "bernoulli"
    assert config["data"]["name"] == "mnist_test" and config["data"]["labels"] is True
