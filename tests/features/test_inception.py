"""InceptionV3 pool3 pipeline, with random weights (nothing is downloaded)."""

import keras
import numpy as np
import pytest

import kgen.features
from kgen.features import inception, preprocessing


@pytest.fixture(scope="module")
def extractor():
    keras.utils.set_random_seed(0)
    return kgen.features.inception_v3(weights=None, batch_size=2)


def two_images():
    return np.random.default_rng(0).uniform(0, 1, (2, 28, 28, 1)).astype(np.float32)


def test_pool3_features_are_2048_finite_and_deterministic(extractor):
    x = two_images()
    first = extractor.features(x).numpy()
    assert first.shape == (2, 2048) and first.dtype == np.float32
    assert np.all(np.isfinite(first)) and np.all(first >= 0)  # post-ReLU average
    np.testing.assert_array_equal(extractor.features(x).numpy(), first)
    assert extractor.feature_dim == 2048 and not extractor.has_probabilities


def test_the_network_sees_the_quantized_resized_rgb_image_in_minus_one_one(extractor):
    x = two_images()
    seen = extractor.preprocess(x).numpy()
    levels = np.floor(x.astype(np.float64) * 255 + 0.5)
    expected = preprocessing.resize_for_inception(levels.astype(np.float32)).numpy()
    assert seen.shape == (2, 299, 299, 3)
    np.testing.assert_allclose(seen, np.repeat(expected, 3, -1) / 127.5 - 1, atol=1e-6)
    network_out = extractor.model(seen).numpy()
    np.testing.assert_allclose(extractor.features(x).numpy(), network_out, rtol=1e-5,
                               atol=1e-6)


def test_gray_images_equal_their_rgb_copies_and_other_ranges_agree(extractor):
    x = two_images()
    gray = extractor.features(x).numpy()
    rgb = extractor.features(np.repeat(x, 3, -1)).numpy()
    np.testing.assert_allclose(gray, rgb, rtol=1e-5, atol=1e-6)
    tanh_range = kgen.features.FeatureExtractor(
        extractor.model, data_range=(-1, 1), preprocess=inception._inception_preprocess,
        image_shape=(None, None, None))
    np.testing.assert_array_equal(tanh_range.preprocess(x * 2 - 1).numpy(),
                                  extractor.preprocess(x).numpy())


def test_images_outside_the_range_or_with_two_channels_raise(extractor):
    with pytest.raises(ValueError, match="`images` must lie in data_range"):
        extractor.features(two_images() * 2 - 1)
    with pytest.raises(ValueError, match="1 \\(gray\\) or 3 \\(RGB\\) channels"):
        extractor.features(np.zeros((1, 28, 28, 2), np.float32))
    with pytest.raises(ValueError, match="no class probabilities"):
        extractor.probabilities(two_images())


def test_weights_load_from_a_path(extractor, tmp_path):
    path = str(tmp_path / "inception.weights.h5")
    extractor.model.save_weights(path)
    keras.utils.set_random_seed(1)  # other random weights, then replaced by the file's
    loaded = kgen.features.inception_v3(weights=path)
    x = two_images()[:1]
    np.testing.assert_allclose(loaded.features(x).numpy(), extractor.features(x).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weights", ["no/such/file.h5", 3])
def test_bad_weights_raise_naming_weights(weights):
    with pytest.raises(ValueError, match="`weights`"):
        inception.inception_network(weights)


def test_the_top_gives_features_and_imagenet_probabilities_in_one_pass():
    keras.utils.set_random_seed(0)
    top = kgen.features.inception_v3(weights=None, include_top=True, data_range=(0, 255))
    x = np.random.default_rng(1).integers(0, 256, (1, 40, 40, 3)).astype(np.uint8)
    features, probabilities = top.features_and_probabilities(x)
    assert features.shape == (1, 2048) and probabilities.shape == (1, 1000)
    np.testing.assert_allclose(probabilities.numpy().sum(axis=1), 1.0, atol=1e-5)
