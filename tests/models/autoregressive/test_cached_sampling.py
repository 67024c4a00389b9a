"""CachedSampler: the naive sampler's pixels from the same seed, each conditional's
parameters as the full network computes them, for PixelCNN and Gated PixelCNN."""

import numpy as np
import pytest

from kgen import testing
from kgen.models.autoregressive import FVSBN, CachedSampler, GatedPixelCNN, PixelCNN

from tests.models.autoregressive import ar_checks


def _assert_draws_the_naive_samples(model, num_samples=6, seed=3, **condition):
    """Same seed: the cached samples equal the naive ones, and the parameters each pixel
    was drawn from equal ``model.conditionals`` of the samples (one full pass: by the
    autoregressive property, what the naive sampler computed at that pixel's step)."""
    x, params = CachedSampler(model).sample_with_params(num_samples, seed=seed, **condition)
    naive = model.sample(num_samples, seed=seed, **condition).numpy()
    np.testing.assert_array_equal(x.numpy(), naive)
    full = model.conditionals(naive, **condition).numpy()
    assert params.shape == full.shape
    np.testing.assert_allclose(params.numpy(), full, rtol=1e-5, atol=1e-5)
    assert len(np.unique(naive)) > 1  # not a constant image: the check sees the sampler
    return naive


@pytest.mark.parametrize("kwargs", [
    {"first_kernel_size": 5, "kernel_size": 3, "num_residual_blocks": 2},
    {"first_kernel_size": 3, "kernel_size": 1, "num_residual_blocks": 1},
])
def test_pixelcnn_binary_samples_are_the_naive_samples(kwargs):
    model = ar_checks.randomize(PixelCNN(event_shape=(5, 6, 1), filters=4, seed=0, **kwargs),
                                stddev=0.5)
    _assert_draws_the_naive_samples(model)


def test_pixelcnn_colour_samples_are_the_naive_samples_in_any_colour_order():
    model = ar_checks.randomize(PixelCNN(
        event_shape=(3, 4, 3), likelihood="categorical", num_bins=8, filters=6,
        num_residual_blocks=1, first_kernel_size=3, channel_order=(2, 0, 1), seed=0),
        stddev=0.5)
    _assert_draws_the_naive_samples(model)


def test_gated_pixelcnn_samples_are_the_naive_samples():
    model = ar_checks.randomize(GatedPixelCNN(event_shape=(5, 6, 1), filters=4, num_layers=3,
                                              first_kernel_size=5, seed=0), stddev=0.5)
    _assert_draws_the_naive_samples(model)


def test_conditional_colour_gated_samples_are_the_naive_samples_for_each_label():
    model = ar_checks.randomize(GatedPixelCNN(
        event_shape=(3, 4, 2), likelihood="categorical", num_bins=5, filters=4, num_layers=3,
        first_kernel_size=3, num_classes=3, embedding_dim=2, channel_order=(1, 0), seed=0),
        stddev=0.5)
    samples = _assert_draws_the_naive_samples(model, labels=np.arange(6) % 3)
    np.testing.assert_array_equal(CachedSampler(model).sample(6, seed=3, labels=1),
                                  model.sample(6, seed=3, labels=1))
    assert not np.array_equal(samples, model.sample(6, seed=3, labels=1).numpy())


def test_the_unseeded_draw_and_new_weights_follow_the_model():
    model = ar_checks.randomize(PixelCNN(event_shape=(4, 4, 1), filters=4,
                                         num_residual_blocks=1, first_kernel_size=3, seed=7),
                                stddev=0.5)
    sampler = CachedSampler(model)
    state = model.seed_generator.state.numpy()
    fast = sampler.sample(8).numpy()
    model.seed_generator.state.assign(state)
    np.testing.assert_array_equal(fast, model.sample(8).numpy())
    assert not np.array_equal(fast, sampler.sample(8).numpy())  # the generator moved on
    ar_checks.randomize(model, seed=1, stddev=0.5)  # the sampler reads the new weights
    np.testing.assert_array_equal(sampler.sample(8, seed=2), model.sample(8, seed=2))


def test_bad_input_raises_naming_the_argument():
    testing.assert_raises_naming(TypeError, "model", CachedSampler,
                                 FVSBN(event_shape=(4,), seed=0))
    plain = CachedSampler(PixelCNN(event_shape=(3, 3, 1), filters=2, num_residual_blocks=0,
                                   first_kernel_size=3))
    with pytest.raises(TypeError, match="unconditional.*labels"):  # as PixelCNN.sample
        plain.sample(2, labels=[0, 1])
    testing.assert_raises_naming(ValueError, "num_samples", plain.sample, 0)
    conditional = CachedSampler(GatedPixelCNN(event_shape=(3, 3, 1), filters=2, num_layers=1,
                                              first_kernel_size=3, num_classes=2))
    testing.assert_raises_naming(ValueError, "labels", conditional.sample, 2)
    testing.assert_raises_naming(ValueError, "labels", conditional.sample, 2, labels=[0, 2])
