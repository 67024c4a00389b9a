"""kgen.testing's maths checks pass on correct maths and fail on broken maths."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import testing
from kgen.layers import MADE

tfb, tfd = tfp.bijectors, tfp.distributions
D = 5


def _fails(check, *args, **kwargs):
    """The AssertionError message of a check that must fail."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


def _x(shape=(4, D), seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# --- log-det against the Jacobian ---------------------------------------------------
def test_log_det_of_a_linear_map_is_log_abs_det_of_its_matrix():
    matrix = np.array([[2.0, 1.0], [0.5, -3.0]])
    x = _x((3, 2))
    got = testing.assert_log_det_matches_jacobian(
        lambda v: tf.linalg.matvec(matrix, v), x, np.log(6.5) * np.ones(3))
    np.testing.assert_allclose(got, np.log(abs(np.linalg.det(matrix))), rtol=1e-12)


def test_log_det_of_a_tfp_bijector_passes_and_a_wrong_one_fails():
    bijector = tfb.Chain([tfb.Shift(1.0), tfb.Scale(2.0), tfb.Tanh()])
    x = _x((4, 3)) * 0.5
    right = bijector.forward_log_det_jacobian(x, event_ndims=1)
    testing.assert_log_det_matches_jacobian(bijector.forward, x, right, atol=1e-10)
    message = _fails(testing.assert_log_det_matches_jacobian, bijector.forward, x, right + 0.01,
                     atol=1e-3)
    assert "log|det J|" in message


def test_log_det_is_computed_in_float64_where_the_function_allows():
    # exp(x) on float64 inputs: log|det J| = sum(x) to float64 precision.
    x = _x((2, 3))
    testing.assert_log_det_matches_jacobian(tf.exp, x, x.sum(axis=1), atol=1e-12, rtol=0)


def test_log_det_check_refuses_a_non_square_jacobian():
    assert "not square" in _fails(testing.assert_log_det_matches_jacobian,
                                  lambda v: v[:, :2], _x((2, 3)), 0.0)


def test_log_det_check_works_on_a_float32_keras_layer():
    made = MADE(3, hidden_units=(8,), params=1, activation="tanh")
    shift = lambda v: v + made(v)[..., 0]  # noqa: E731 (triangular: log det = 0)
    testing.assert_log_det_matches_jacobian(shift, _x((2, 3)), 0.0, atol=1e-6)


# --- the autoregressive property ------------------------------------------------------
def _random_made(order="left-to-right", params=2):
    made = MADE(D, hidden_units=(16, 16), params=params, activation="tanh", input_order=order)
    made(np.zeros((1, D), "float32"))
    rng = np.random.default_rng(0)
    for w in made.weights:
        w.assign(rng.normal(0.0, 0.5, w.shape).astype("float32"))
    return made


def test_made_is_autoregressive_with_every_earlier_input_reached():
    dependence = testing.assert_autoregressive(_random_made(), _x(), complete=True)
    assert dependence.shape == (D, 2, D)


def test_right_to_left_made_is_autoregressive_in_the_reversed_order_only():
    made = _random_made("right-to-left")
    testing.assert_autoregressive(made, _x(), order=list(range(D))[::-1], complete=True)
    assert "not autoregressive" in _fails(testing.assert_autoregressive, made, _x())


def _leaky(x):
    """A strictly lower-triangular linear map plus one leak: output 1 sees x[3]."""
    mask = np.tril(np.ones((D, D)), -1)
    mask[1, 3] = 1.0
    return tf.linalg.matvec(tf.constant(mask * 0.7, x.dtype), x)


def test_a_leaky_network_is_not_autoregressive():
    message = _fails(testing.assert_autoregressive, _leaky, _x())
    assert "(1, 0, 3)" in message  # output dimension 1, its only output, input 3


def test_an_output_that_sees_its_own_input_is_not_autoregressive():
    assert "not autoregressive" in _fails(testing.assert_autoregressive, lambda x: x * 2.0, _x())


def test_autoregressive_check_on_images_in_raster_order():
    # A causal "shift by one pixel" of a 3x3 image: output p sees pixel p - 1.
    def shifted(x):
        flat = tf.reshape(x, (-1, 9))
        return tf.reshape(tf.pad(flat[:, :-1], [[0, 0], [1, 0]]), (-1, 3, 3, 1, 1)) ** 3

    testing.assert_autoregressive(shifted, _x((2, 3, 3, 1)))
    flipped = lambda x: shifted(x[:, ::-1])  # noqa: E731
    assert "not autoregressive" in _fails(testing.assert_autoregressive, flipped, _x((2, 3, 3, 1)))


def test_an_all_zero_jacobian_is_refused_as_vacuous():
    made = MADE(D, hidden_units=(16,), params=2, output_kernel_initializer="zeros")
    assert "all zeros" in _fails(testing.assert_autoregressive, made, _x())


def test_complete_requires_every_earlier_input():
    # Output i sees only x[i - 1]: autoregressive, not complete.
    def previous_only(x):
        return tf.pad(x[:, :-1], [[0, 0], [1, 0]]) * 1.5

    testing.assert_autoregressive(previous_only, _x())
    assert "missing" in _fails(testing.assert_autoregressive, previous_only, _x(),
                               complete=True)


def test_order_must_be_a_permutation():
    testing.assert_raises_naming(ValueError, "order", testing.assert_autoregressive,
                                 _leaky, _x(), order=[0, 1, 2, 3, 3])


# --- normalization ------------------------------------------------------------------
def _bernoulli_log_prob(probs):
    probs = np.asarray(probs, np.float32)
    dist = tfd.Independent(tfd.Bernoulli(probs=probs), reinterpreted_batch_ndims=probs.ndim)
    return lambda x: dist.log_prob(x)


@pytest.mark.parametrize("dims", [1, 3, 10])
def test_factorized_bernoulli_sums_to_one_by_enumeration(dims):
    probs = np.linspace(0.1, 0.9, dims)
    total = testing.assert_normalized_by_enumeration(_bernoulli_log_prob(probs), dims)
    assert total == pytest.approx(1.0, abs=1e-6)


def test_enumeration_of_image_shaped_events():
    log_prob = _bernoulli_log_prob(np.full((2, 2, 1), 0.3))
    testing.assert_normalized_by_enumeration(log_prob, 4, event_shape=(2, 2, 1))


def test_an_unnormalized_model_fails_enumeration():
    log_prob = _bernoulli_log_prob(np.full(4, 0.3))
    message = _fails(testing.assert_normalized_by_enumeration, lambda x: log_prob(x) + 0.01, 4)
    assert "not 1" in message


@pytest.mark.parametrize("dims", [0, 17, 2.0, True])
def test_enumeration_is_limited_to_16_dims(dims):
    testing.assert_raises_naming(ValueError, "num_binary_dims",
                                 testing.assert_normalized_by_enumeration, lambda x: x, dims)


def test_enumeration_runs_16_dims():
    log_prob = _bernoulli_log_prob(np.full(16, 0.5))
    testing.assert_normalized_by_enumeration(log_prob, 16)


def test_a_2d_gaussian_mixture_integrates_to_one_on_a_grid():
    mixture = tfd.MixtureSameFamily(
        tfd.Categorical(probs=[0.3, 0.7]),
        tfd.MultivariateNormalDiag(loc=[[-1.0, 0.0], [1.5, 1.0]], scale_diag=[[0.5, 0.8]] * 2))
    total = testing.assert_normalized_on_grid(mixture.log_prob, -6.0, 6.0, 201, atol=1e-3)
    assert total == pytest.approx(1.0, abs=1e-3)


def test_a_density_off_by_two_percent_fails_on_the_grid():
    normal = tfd.MultivariateNormalDiag(loc=[0.0, 0.0], scale_diag=[1.0, 1.0])
    message = _fails(testing.assert_normalized_on_grid, lambda x: normal.log_prob(x) + 0.02,
                     (-6.0, -6.0), (6.0, 6.0), 121, atol=1e-2)
    assert "integrates to" in message


def test_grid_arguments_are_checked():
    testing.assert_raises_naming(ValueError, "low", testing.assert_normalized_on_grid,
                                 lambda x: x, 1.0, 1.0)
    testing.assert_raises_naming(ValueError, "num_points", testing.assert_normalized_on_grid,
                                 lambda x: x, 0.0, 1.0, 1)
