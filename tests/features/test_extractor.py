"""FeatureExtractor: any Keras model, batching, tf.function, tf.data, get_extractor."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen.features
from kgen.features import FeatureExtractor, from_model, get_extractor


def small_classifier(num_classes=3):
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu", name="hidden"),
        keras.layers.Dense(num_classes, activation="softmax", name="head"),
    ])


def images(n=7, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 8, 8, 1)).astype(np.float32)


@pytest.fixture
def extractor():
    return from_model(small_classifier(), features_layer="hidden",
                      probabilities_layer="head", batch_size=3)


def test_a_wrapped_model_gives_its_layer_and_softmax(extractor):
    model = extractor.model
    x = images()
    hidden = keras.Model(model.inputs[0], model.get_layer("hidden").output)
    levels = np.floor(x * 255 + 0.5) / 255  # the quantized images the network sees
    np.testing.assert_allclose(extractor.features(x).numpy(), hidden(levels).numpy(),
                               rtol=1e-5, atol=1e-6)
    probabilities = extractor.probabilities(x).numpy()
    np.testing.assert_allclose(probabilities, model(levels).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (extractor.feature_dim, extractor.num_classes) == (16, 3)


def test_the_model_output_is_the_features_by_default():
    model = small_classifier()
    wrapped = from_model(model)
    assert wrapped.feature_dim == 3 and not wrapped.has_probabilities
    with pytest.raises(ValueError, match="no class probabilities"):
        wrapped.probabilities(images())


def test_a_subclassed_model_works_through_its_output():
    class Embed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(5)

        def call(self, x):
            return self.dense(keras.ops.reshape(x, (-1, 64)))

    out = from_model(Embed(), data_range=(-1, 1)).features(images() * 2 - 1)
    assert out.shape == (7, 5) and out.dtype == tf.float32


def test_the_result_does_not_depend_on_the_batch_size(extractor):
    x = images(11)
    reference = extractor.features(x, batch_size=11).numpy()
    for batch_size in (1, 4, 5):
        np.testing.assert_allclose(extractor.features(x, batch_size=batch_size).numpy(),
                                   reference, rtol=1e-5, atol=1e-6)


def test_it_works_inside_a_tf_function_with_a_partial_last_batch(extractor):
    x = images(7)
    features = tf.function(lambda t: extractor.features(t))
    graph = features(tf.constant(x)).numpy()
    assert graph.shape == (7, 16)
    np.testing.assert_allclose(graph, extractor.features(x).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`images` must lie"):
        features(tf.constant(x + 2))


def test_it_works_in_dataset_map_and_on_a_dataset(extractor):
    x = images(10)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(4)
    mapped = np.concatenate([f.numpy() for f in ds.map(extractor.features)])
    eager = extractor.features(x).numpy()
    np.testing.assert_allclose(mapped, eager, rtol=1e-5, atol=1e-6)
    labelled = tf.data.Dataset.from_tensor_slices((x, np.zeros(10))).batch(4)
    np.testing.assert_allclose(extractor.features(labelled).numpy(), eager,
                               rtol=1e-5, atol=1e-6)


def test_the_same_images_in_another_range_give_the_same_features():
    model = small_classifier()
    x = images()
    a = from_model(model, data_range=(0, 1), input_range=(0, 1)).features(x)
    b = from_model(model, data_range=(-1, 1), input_range=(0, 1)).features(x * 2 - 1)
    c = from_model(model, data_range=(0, 255), input_range=(0, 1)).features(
        np.round(x * 255).astype(np.uint8))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-5, atol=1e-6)


def test_images_without_a_channel_axis_get_one(extractor):
    x = images()
    np.testing.assert_array_equal(extractor.features(x[..., 0]).numpy(),
                                  extractor.features(x).numpy())


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 9, 8, 1)), r"`images` must have shape \[N, 8, 8, 1\]"),
    (np.zeros((2, 8, 8, 3)), r"`images` must have shape"),
    (np.full((2, 8, 8, 1), 1.5), "`images` must lie in data_range"),
])
def test_bad_images_raise_naming_images(extractor, bad, message):
    with pytest.raises(ValueError, match=message):
        extractor.features(bad)


def test_unknown_layers_and_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`features_layer` must name a layer"):
        from_model(small_classifier(), features_layer="nope")
    with pytest.raises(ValueError, match="`probabilities_layer`"):
        from_model(small_classifier(), probabilities_layer="nope")
    with pytest.raises(TypeError, match="`model`"):
        FeatureExtractor(lambda x: x)
    with pytest.raises(ValueError, match="`batch_size`"):
        from_model(small_classifier(), batch_size=0)


def test_get_extractor_takes_names_paths_models_and_extractors(extractor, tmp_path):
    assert get_extractor(extractor) is extractor
    assert get_extractor(extractor.model, features_layer="hidden").feature_dim == 16
    path = str(tmp_path / "net.keras")
    extractor.model.save(path)
    loaded = get_extractor(path, features_layer="hidden", probabilities_layer="head")
    np.testing.assert_allclose(loaded.features(images()).numpy(),
                               extractor.features(images()).numpy(), rtol=1e-5, atol=1e-6)
    assert get_extractor("mnist").name == "mnist_classifier"
    with pytest.raises(ValueError, match="`name_or_model`"):
        get_extractor("cifar10")
    with pytest.raises(ValueError, match="no further arguments"):
        get_extractor(extractor, data_range=(0, 1))
    assert "inception_v3" not in kgen.features.CLASSIFIER_NAMES
