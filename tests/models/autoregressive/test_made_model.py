"""MADE model: masks from degrees, order-agnostic training, the probability-averaging
ensemble against enumeration, sampling, saving, bad input."""

import numpy as np
import pytest
import tensorflow as tf

import kgen.models
from kgen import testing
from kgen.cli import presets
from kgen.models.autoregressive import MADE

from tests.models.autoregressive import ar_checks


def _model(event_shape=(3, 3, 1), hidden_units=(7,), num_masks=4, direct=True, seed=0,
           **kwargs):
    model = MADE(event_shape=event_shape, hidden_units=hidden_units, num_masks=num_masks,
                 direct_connections=direct, seed=seed, **kwargs)
    return ar_checks.randomize(model, seed=seed)


@pytest.mark.parametrize("hidden_units", [(7,), (6, 11), (3, 4)])
def test_every_mask_is_autoregressive_in_its_order(hidden_units):
    # 9 inputs: hidden layers of 7, 6 and 11 units do not divide into the 8 degrees; with
    # direct connections every earlier input is reached (complete).
    model = _model(hidden_units=hidden_units)
    x = testing.random_binary((6, 3, 3, 1), seed=1, p=0.5)
    orders = [tuple(model.generation_order(k)) for k in range(model.num_masks)]
    assert orders[0] == tuple(range(9)) and len(set(orders)) == model.num_masks
    for k in range(model.num_masks):
        testing.assert_autoregressive(lambda v, k=k: model.conditionals(v, mask_index=k), x,
                                      order=orders[k], complete=True)


def test_without_direct_connections_masks_stay_autoregressive():
    model = _model(event_shape=(6,), hidden_units=(5, 5), direct=False, num_masks=3)
    for k in range(3):
        testing.assert_autoregressive(lambda v, k=k: model.conditionals(v, mask_index=k),
                                      testing.random_binary((8, 6), seed=k, p=0.5),
                                      order=model.generation_order(k))


def test_mask_zero_is_the_masked_dense_layer_itself():
    model = _model(event_shape=(5,), hidden_units=(8, 6), direct=False, num_masks=1)
    x = testing.random_binary((4, 5), seed=2, p=0.5)
    np.testing.assert_allclose(model.conditionals(x).numpy(), model.made(x).numpy()[..., 0],
                               rtol=1e-6, atol=1e-6)


def test_every_hidden_unit_of_a_drawn_mask_has_an_input_and_an_output():
    # Mask 0 is the layer's own cycling degrees: there the 4-unit layer leaves the units
    # of degree 5 below it without an output (the layer's behaviour, kept).
    model = _model(event_shape=(6,), hidden_units=(9, 4), num_masks=8)
    assert not np.all(model.masks(0)[1].numpy().sum(axis=1) > 0)
    for k in range(1, 8):
        masks = [m.numpy() for m in model.masks(k)]
        for below, above in zip(masks[:-2], masks[1:-1]):  # hidden layers, then output
            assert np.all(below.sum(axis=0) > 0) and np.all(above.sum(axis=1) > 0)


def test_each_mask_and_the_ensemble_are_normalized_over_512_images():
    model = _model()
    for k in range(model.num_masks):
        testing.assert_normalized_by_enumeration(
            lambda v, k=k: model.mask_log_prob(v, k), 9, event_shape=(3, 3, 1))
    testing.assert_normalized_by_enumeration(model.log_prob, 9, event_shape=(3, 3, 1))


def test_the_ensemble_averages_probabilities_not_logits():
    model = _model()
    x = ar_checks.all_binary((3, 3, 1))
    per_mask = np.stack([model.mask_log_prob(x, k).numpy() for k in range(4)], -1)
    expected = np.log(np.exp(per_mask.astype(np.float64)).mean(-1))
    np.testing.assert_allclose(model.log_prob(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    # The copied mistake: a Bernoulli of the masks' mean logits is no distribution.
    mean_logits = tf.reduce_mean(
        tf.stack([model.conditionals(x, mask_index=k) for k in range(4)]), 0)
    wrong = model.likelihood(mean_logits).log_prob(x).numpy().astype(np.float64)
    assert abs(np.exp(wrong).sum() - 1.0) > 1e-3  # normalized models: within 1e-5
    with pytest.raises(AssertionError, match="sum to"):
        testing.assert_normalized_by_enumeration(lambda v: model.likelihood(tf.reduce_mean(
            tf.stack([model.conditionals(v, mask_index=k) for k in range(4)]), 0)).log_prob(v),
            9, event_shape=(3, 3, 1))


def test_ensemble_samples_follow_the_mixture_of_orderings():
    ar_checks.assert_sample_frequencies_match(_model(event_shape=(4,), hidden_units=(5,)))


def test_samples_of_one_mask_follow_that_mask():
    model = _model(event_shape=(4,), hidden_units=(5,))
    probs = np.exp(np.float64(model.mask_log_prob(ar_checks.all_binary((4,)), 2).numpy()))
    samples = model.sample(20_000, seed=1, mask_index=2).numpy().astype(np.int64)
    frequencies = np.bincount(samples @ (2 ** np.arange(3, -1, -1)), minlength=16) / 20_000
    np.testing.assert_array_less(np.abs(frequencies - probs),
                                 5.0 * np.sqrt(probs * (1 - probs) / 20_000) + 1e-4)


def test_training_draws_a_mask_per_step_and_validation_uses_the_ensemble():
    model = _model()
    x = ar_checks.all_binary((3, 3, 1))[::7]
    per_mask = [model.mask_log_prob(x, k).numpy() for k in range(4)]
    seen = set()
    for _ in range(12):
        got = model.compute_terms(tf.constant(x), training=True)["log_prob"].numpy()
        seen |= {k for k in range(4) if np.allclose(got, per_mask[k], rtol=1e-5)}
    assert seen == {0, 1, 2, 3}
    terms = model.compute_terms(tf.constant(x), training=False)
    np.testing.assert_allclose(terms["log_prob"].numpy(), model.log_prob(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(terms["loss"].numpy(), -terms["log_prob"].numpy())
    history = ar_checks.fit_briefly(model, np.tile(x, (4, 1, 1, 1)), epochs=8,
                                    learning_rate=0.05)
    assert history["log_prob"][-1] > history["log_prob"][0]


def test_masks_follow_mask_seed_and_order_agnostic():
    a, b = _model(mask_seed=3), _model(mask_seed=3)
    c, fixed = _model(mask_seed=4), _model(order_agnostic=False)
    assert all(np.array_equal(u, v) for u, v in zip(a.degrees, b.degrees))
    assert not np.array_equal(a.degrees[0], c.degrees[0])
    assert all(tuple(fixed.generation_order(k)) == tuple(range(9)) for k in range(4))
    assert len({tuple(fixed.degrees[1][k]) for k in range(4)}) == 4  # connectivities vary


def test_keras_and_saved_model_round_trips(tmp_path):
    model = _model()
    loaded = ar_checks.assert_round_trips(
        model, testing.random_binary((5, 3, 3, 1), seed=3), tmp_path)
    assert all(np.array_equal(u, v) for u, v in zip(model.degrees, loaded.degrees))

def tiny_made():
    """For the 2-replica check: 6 bits, hidden (5,), 3 masks, direct connections."""
    return _model(event_shape=(6,), hidden_units=(5,), num_masks=3)


def test_a_two_replica_step_equals_the_one_device_step():
    # ZeroNoise: uniform 0.5 picks mask floor(0.5 * 3) = 1 on every replica.
    testing.assert_replica_step_matches(
        "tests.models.autoregressive.test_made_model:tiny_made",
        testing.random_binary((8, 6), p=0.5), method="fit")


def test_the_preset_builds_the_32_mask_model():
    model = presets.build_model(presets.resolve("made_binarized_mnist"), (28, 28, 1))
    assert isinstance(model, MADE) and model.num_masks == 32
    assert model.hidden_units == (500,)
    assert kgen.models.get("made") is MADE


def test_bad_input_raises_naming_the_argument():
    model = MADE(event_shape=(4,), hidden_units=(3,), num_masks=2, seed=0)
    testing.assert_raises_naming(ValueError, "x", model.log_prob, np.full((2, 4), 0.5))
    testing.assert_raises_naming(ValueError, "mask_index", model.mask_log_prob,
                                 np.zeros((2, 4)), 2)
    testing.assert_raises_naming(ValueError, "mask_index", model.sample, 2, mask_index=-1)
    testing.assert_raises_naming(ValueError, "num_masks", MADE, event_shape=(4,), num_masks=0)
    testing.assert_raises_naming(TypeError, "direct_connections", MADE, event_shape=(4,),
                                 direct_connections="yes")
    testing.assert_raises_naming(ValueError, "hidden_units", MADE, event_shape=(4,),
                                 hidden_units=(0,))
    testing.assert_raises_naming(ValueError, "mask_seed", MADE, event_shape=(4,),
                                 mask_seed=None)
