"""PixelRNN: Row LSTM and Diagonal BiLSTM causal from the Jacobian (and the check catches a
missing down-shift or an unmasked first layer), exact normalization, saving, bad input."""

import numpy as np
import pytest

import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.layers import diagonal_bilstm
from kgen.layers.diagonal_bilstm import skew, unskew
from kgen.models.autoregressive import PixelRNN

from tests.models.autoregressive import ar_checks

LAYER_TYPES = ["row_lstm", "diagonal_bilstm"]


def _model(event_shape=(5, 5, 1), layer_type="diagonal_bilstm", seed=0, stddev=0.5, **kwargs):
    kwargs = {"filters": 8, "num_layers": 2, "first_kernel_size": 3, **kwargs}
    model = PixelRNN(event_shape=event_shape, layer_type=layer_type, seed=seed, **kwargs)
    return ar_checks.randomize(model, seed=seed, stddev=stddev)


def _context(dependence):
    """How many earlier pixels each pixel's (first) output depends on, ``[D]``."""
    return (dependence[:, 0, :] > 0).sum(axis=1)


def test_skew_moves_row_r_right_by_r_and_unskew_inverts_it():
    x = np.arange(1, 2 * 3 * 4 * 2 + 1, dtype="float32").reshape(2, 3, 4, 2)
    skewed = skew(x).numpy()
    assert skewed.shape == (2, 3, 6, 2)
    for r in range(3):
        np.testing.assert_array_equal(skewed[:, r, r:r + 4], x[:, r])
        assert not skewed[:, r, :r].any() and not skewed[:, r, r + 4:].any()
    np.testing.assert_array_equal(unskew(skewed, 4).numpy(), x)


@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_binary_conditionals_are_autoregressive_in_raster_order(layer_type):
    model = _model(layer_type=layer_type)
    dependence = testing.assert_autoregressive(
        model.conditionals, testing.random_binary((4, 5, 5, 1), p=0.5))
    context = _context(dependence).reshape(5, 5)
    if layer_type == "diagonal_bilstm":
        # The whole context but the last pixel of the row above for pixels more than
        # first_kernel_size // 2 columns left of it: the mask-"A" first layer hides that
        # pixel from its own row, which is all the right-to-left sweep reads there.
        expected = np.arange(25).reshape(5, 5) - np.array([1, 1, 1, 0, 0])
        expected[0] = np.arange(5)
        np.testing.assert_array_equal(context, expected)
    else:
        # A triangle above, widening by a column a row (pixel (4, 0) misses the top right),
        # and on its own row the 1 + num_layers pixels to the left: (4, 4) misses (4, 0).
        assert context[4, 0] < 20
        np.testing.assert_array_equal(np.nonzero(dependence[24, 0] == 0)[0], [20, 24])


@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_colour_conditionals_are_autoregressive(layer_type):
    model = _model(event_shape=(3, 3, 3), layer_type=layer_type, likelihood="categorical",
                   num_bins=4, filters=6, channel_order=(2, 0, 1))
    x = np.random.default_rng(0).integers(0, 4, size=(3, 3, 3, 3)).astype("float32")
    testing.assert_autoregressive(model.conditionals, x, order=model.generation_order())


def test_the_check_fails_without_the_down_shift_of_the_backward_direction(monkeypatch):
    monkeypatch.setattr(diagonal_bilstm, "shift_down", lambda x: x)
    model = _model(num_layers=1)
    with pytest.raises(AssertionError, match="not autoregressive"):
        testing.assert_autoregressive(model.conditionals, testing.random_binary((4, 5, 5, 1),
                                                                                 p=0.5))


@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_the_check_fails_with_an_unmasked_first_layer(layer_type):
    model = _model(layer_type=layer_type, num_layers=1)
    model.input_conv.mask = np.ones_like(model.input_conv.mask)
    with pytest.raises(AssertionError, match="not autoregressive"):
        testing.assert_autoregressive(model.conditionals, testing.random_binary((4, 5, 5, 1),
                                                                                 p=0.5))


@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_probabilities_of_all_512_binary_images_sum_to_one(layer_type):
    model = _model(event_shape=(3, 3, 1), layer_type=layer_type, stddev=1.0)
    testing.assert_normalized_by_enumeration(model.log_prob, 9, event_shape=(3, 3, 1))


def test_log_prob_is_the_bernoulli_likelihood_of_the_conditionals():
    model = _model(layer_type="row_lstm")
    x = testing.random_binary((3, 5, 5, 1), seed=1, p=0.5)
    logits = model.conditionals(x).numpy().astype(np.float64)
    expected = (x * logits - np.logaddexp(0.0, logits)).sum((1, 2, 3))
    np.testing.assert_allclose(model.log_prob(x).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(model.bits_per_dim(x).numpy(), -expected / (25 * np.log(2.0)),
                               rtol=1e-5)


def test_samples_are_binary_and_follow_the_seed():
    model = _model(event_shape=(3, 3, 1), num_layers=1)
    a = model.sample(4, seed=2).numpy()
    assert a.shape == (4, 3, 3, 1) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, model.sample(4, seed=2).numpy())


def test_training_raises_the_log_likelihood():
    model = _model(event_shape=(3, 3, 1), layer_type="row_lstm", num_layers=1, filters=4)
    x = np.tile(ar_checks.all_binary((3, 3, 1))[::37], (4, 1, 1, 1))
    history = ar_checks.fit_briefly(model, x, epochs=6, learning_rate=0.03)
    assert history["log_prob"][-1] > history["log_prob"][0]


def test_keras_and_saved_model_round_trips(tmp_path):
    x = testing.random_binary((5, 3, 3, 1), seed=3)
    ar_checks.assert_round_trips(_model(event_shape=(3, 3, 1), num_layers=1, filters=4), x,
                                 tmp_path)
    row_lstm = _model(event_shape=(3, 3, 1), layer_type="row_lstm", num_layers=1, filters=4)
    (tmp_path / "row_lstm").mkdir()
    testing.assert_keras_round_trip(row_lstm, tmp_path / "row_lstm", lambda m: m.log_prob(x))
    testing.assert_config_round_trip(row_lstm)


def tiny_pixelrnn():
    """For the 2-replica check: 3x3 binary images, one Diagonal BiLSTM layer of 4 units."""
    return _model(event_shape=(3, 3, 1), num_layers=1, filters=4)


def test_a_two_replica_step_equals_the_one_device_step():
    testing.assert_replica_step_matches(
        "tests.models.autoregressive.test_pixelrnn:tiny_pixelrnn",
        testing.random_binary((8, 3, 3, 1), p=0.5), method="fit")


def test_the_preset_builds_the_model():
    model = presets.build_model(presets.resolve("pixelrnn_binarized_mnist"), (28, 28, 1))
    assert isinstance(model, PixelRNN) and model.layer_type == "diagonal_bilstm"
    assert kgen.models.get("pixelrnn") is PixelRNN


def test_bad_input_raises_naming_the_argument():
    model = PixelRNN(event_shape=(3, 3, 1), filters=2, num_layers=1, first_kernel_size=3)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.full((2, 3, 3, 1), 0.5))
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.zeros((2, 3, 4, 1)))
    model.compile(optimizer="adam")
    testing.assert_raises_naming(ValueError, "x", model.fit, np.full((2, 3, 3, 1), 0.5),
                                 verbose=0)
    testing.assert_raises_naming(ValueError, "layer_type", PixelRNN, event_shape=(3, 3, 1),
                                 layer_type="grid_lstm")
    testing.assert_raises_naming(ValueError, "event_shape", PixelRNN, event_shape=(9,))
    testing.assert_raises_naming(ValueError, "kernel_size", PixelRNN, event_shape=(3, 3, 1),
                                 layer_type="row_lstm", kernel_size=4)
    testing.assert_raises_naming(ValueError, "kernel_size", PixelRNN, event_shape=(3, 3, 1),
                                 first_kernel_size=2)
    testing.assert_raises_naming(ValueError, "channel_order", PixelRNN,
                                 event_shape=(3, 3, 3), channel_order=(0, 0, 1))
    testing.assert_raises_naming(ValueError, "likelihood", PixelRNN, event_shape=(3, 3, 1),
                                 likelihood="gaussian")
    testing.assert_raises_naming(ValueError, "num_layers", PixelRNN, event_shape=(3, 3, 1),
                                 num_layers=0)
