"""kgen's shipped classifiers: load safely, are small, and classify real held-out
images as well as their training run recorded (minus a margin)."""

import json
import os
import pathlib
import zipfile

import keras
import numpy as np
import pytest

import kgen.features
from kgen.data import fashion_mnist, mnist
from kgen.features import classifiers

RESULTS = (pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "results"
           / "feature_classifiers.json")
# Held-out accuracies of the shipped weights (benchmarks/results/feature_classifiers.json),
# minus a margin for the smaller samples tested here.
BOUNDS = {"fashion_mnist": 0.91, "mnist": 0.975}
MAX_BYTES = 2 * 2**20


def held_out(name, n=2000):
    if name == "fashion_mnist":
        x, y = fashion_mnist.load_arrays("test")
        return x[:n], y[:n]
    x, y = mnist.load_arrays()
    return x[classifiers.mnist_split()[1]][:n], y[classifiers.mnist_split()[1]][:n]


@pytest.fixture(scope="module", params=classifiers.NAMES)
def name(request):
    return request.param


@pytest.fixture(scope="module")
def extractor(name):
    return kgen.features.classifier(name)


def test_the_shipped_file_is_small_and_loads_with_safe_mode(name):
    path = classifiers.weights_path(name)
    assert os.path.getsize(path) < MAX_BYTES
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    assert model.get_layer("features").units == 128
    with zipfile.ZipFile(path) as archive:  # plain Keras layers only: no kgen class
        assert "kgen" not in archive.read("config.json").decode()


def test_held_out_accuracy_reaches_the_stated_bound(name, extractor):
    x, y = held_out(name)
    predicted = np.argmax(extractor.probabilities(x).numpy(), axis=-1)
    assert np.mean(predicted == y) >= BOUNDS[name]


def test_the_bound_is_below_what_the_training_run_recorded(name):
    record = json.loads(RESULTS.read_text())["classifiers"][name]
    measured = record["accuracy"]["test" if name == "fashion_mnist" else "held_out"]
    assert BOUNDS[name] <= measured - 0.005


def test_features_are_128_wide_and_probabilities_sum_to_one(extractor):
    x, _ = held_out("mnist", 10)
    features, probabilities = extractor.features_and_probabilities(x)
    assert features.shape == (10, 128) and probabilities.shape == (10, 10)
    assert extractor.feature_dim == 128 and extractor.num_classes == 10
    assert np.all(features.numpy() >= 0)  # ReLU layer
    np.testing.assert_allclose(probabilities.numpy().sum(axis=1), 1.0, atol=1e-5)
    assert np.all(probabilities.numpy() >= 0)


def test_features_and_probabilities_run_the_network_once(name, extractor):
    # A loaded Sequential's layers hold two call nodes; taking both outputs from
    # `get_layer(...).output` ran two copies of the network (2x the FID time).
    import tensorflow as tf
    graph = tf.function(extractor._compute).get_concrete_function(
        tf.TensorSpec([None, 28, 28, 1], tf.float32)).graph
    convolutions = [op for op in graph.get_operations() if op.type == "Conv2D"]
    network = classifiers.load_network(name)
    expected = sum(isinstance(layer, keras.layers.Conv2D) for layer in network.layers)
    assert len(convolutions) == expected == 3
    x, _ = held_out(name, 8)
    features, probabilities = extractor.features_and_probabilities(x)
    np.testing.assert_allclose(probabilities.numpy(), network.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    features_model = keras.Model(network.inputs, network.get_layer("features").output)
    np.testing.assert_allclose(features.numpy(), features_model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_a_tanh_generator_range_gives_the_same_features(name, extractor):
    x, _ = held_out(name, 16)
    tanh = kgen.features.classifier(name, data_range=(-1, 1))
    np.testing.assert_allclose(tanh.features(x * 2 - 1).numpy(),
                               extractor.features(x).numpy(), rtol=1e-5, atol=1e-5)


def test_the_mnist_split_is_fixed_and_disjoint():
    train, test = classifiers.mnist_split()
    assert len(train) == 8000 and len(test) == 2000
    assert len(np.union1d(train, test)) == 10000
    expected = np.random.RandomState(0).permutation(10000)[8000:]
    np.testing.assert_array_equal(test, np.sort(expected))


def test_an_unknown_classifier_is_named():
    with pytest.raises(ValueError, match="`name` must be one of"):
        kgen.features.classifier("cifar10")


def test_the_shipped_weights_are_those_the_recorded_run_trained(name):
    from kgen.features import train

    record = json.loads(RESULTS.read_text())["classifiers"][name]
    assert train.weights_digest(classifiers.load_network(name)) == record["weights_sha256"]
