"""Tests of kgen.bijectors: MAF / IAF steps driven by a kgen MADE. Exact where the maths
allows: round trips, log-dets against autodiff Jacobians, the autoregressive property
from the Jacobian's sparsity, the update formulas, normalization on a grid."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import bijectors, testing
from kgen.layers import MADE

tfd = tfp.distributions
D, BATCH = 4, 5


def _made(event_size=D, context_units=None, input_order="left-to-right", stddev=0.5, seed=0):
    """A MADE with random weights (a fresh MADE's output layer is near zero)."""
    made = MADE(event_size, (8, 8), params=2, activation="tanh", input_order=input_order,
                context_units=context_units)
    made.build((None, event_size))
    rng = np.random.default_rng(seed)
    for w in made.weights:
        w.assign(rng.normal(0.0, stddev, w.shape).astype("float32"))
    return made


def _x(shape=(BATCH, D), seed=1):
    return tf.constant(np.random.default_rng(seed).normal(size=shape), tf.float32)


class _Counting:
    """Stands in for a MADE and counts its calls."""

    params = 2

    def __init__(self, made):
        self.made, self.calls = made, 0

    def __call__(self, x, context=None):
        self.calls += 1
        return self.made(x, context=context)


def _flows(made, context=None):
    return {"maf": bijectors.masked_autoregressive_flow(made, context),
            "iaf": bijectors.inverse_autoregressive_flow(made, context),
            "gated_iaf": bijectors.gated_iaf_step(made, context, gate_bias=0.5)}


@pytest.mark.parametrize("kind", ["maf", "iaf", "gated_iaf"])
@pytest.mark.parametrize("context_units", [None, 3])
def test_forward_and_inverse_round_trip(kind, context_units):
    context = None if context_units is None else _x((BATCH, 3), seed=2)
    flow = _flows(_made(context_units=context_units), context)[kind]
    x = _x()
    np.testing.assert_allclose(flow.inverse(flow.forward(x)), x, atol=1e-5)
    np.testing.assert_allclose(flow.forward(flow.inverse(x)), x, atol=1e-5)


@pytest.mark.parametrize("kind", ["maf", "iaf", "gated_iaf"])
def test_inverse_log_det_is_negative_forward_log_det(kind):
    flow = _flows(_made())[kind]
    x = _x()
    fldj = flow.forward_log_det_jacobian(x, event_ndims=1)
    ildj = flow.inverse_log_det_jacobian(flow.forward(x), event_ndims=1)
    np.testing.assert_allclose(ildj, -fldj, atol=1e-5)
    assert fldj.shape == (BATCH,)


@pytest.mark.parametrize("kind", ["maf", "iaf", "gated_iaf"])
@pytest.mark.parametrize("input_order", ["left-to-right", "right-to-left"])
def test_log_det_is_the_autodiff_jacobians_and_the_jacobian_is_triangular(kind, input_order):
    flow = _flows(_made(input_order=input_order))[kind]
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = flow.forward(x)
    jacobian = tape.batch_jacobian(y, x).numpy().astype(np.float64)  # [batch, D, D]
    _, log_abs_det = np.linalg.slogdet(jacobian)
    np.testing.assert_allclose(flow.forward_log_det_jacobian(x, event_ndims=1), log_abs_det,
                               atol=1e-4)
    # Output i depends on x_j only for j at or before i in the MADE's order.
    upper = np.triu(np.ones((D, D), bool), 1)
    zero = upper if input_order == "left-to-right" else upper.T
    np.testing.assert_array_equal(jacobian[:, zero], 0.0)
    assert np.all(np.abs(jacobian[:, ~zero]) > 0)


def test_maf_inverse_and_iaf_forward_are_the_affine_formula_in_one_made_pass():
    made = _made()
    x = _x()
    params = made(x).numpy()
    shift, log_scale = params[..., 0], 3.0 * np.tanh(params[..., 1] / 3.0)  # soft clamp, B = 3
    for flow, direction in ((bijectors.masked_autoregressive_flow, "inverse"),
                            (bijectors.inverse_autoregressive_flow, "forward")):
        counting = _Counting(made)
        step = flow(counting)
        y = getattr(step, direction)(x)
        log_det = getattr(step, f"{direction}_log_det_jacobian")(x, event_ndims=1)
        np.testing.assert_allclose(y, (x - shift) * np.exp(-log_scale), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(log_det, -log_scale.sum(-1), rtol=1e-5)
        assert counting.calls == 1, direction


def test_maf_forward_is_x_from_u_by_the_autoregressive_recursion():
    made = _made()
    u = _x()
    x = bijectors.masked_autoregressive_flow(made).forward(u).numpy()
    params = made(x).numpy()  # at the solution, x_i = u_i * exp(b_i(x)) + a_i(x)
    log_scale = 3.0 * np.tanh(params[..., 1] / 3.0)
    np.testing.assert_allclose(x, u * np.exp(log_scale) + params[..., 0], atol=1e-5)


def test_the_maf_log_scale_is_soft_clamped_so_large_outputs_stay_finite():
    made = _made()
    for weight in made.weights:  # a MADE whose raw log-scales are huge
        weight.assign(weight * 50.0)
    x = _x()
    raw = made(x).numpy()[..., 1]
    assert np.abs(raw).max() > 10.0
    step = bijectors.masked_autoregressive_flow(made)
    log_det = step.inverse_log_det_jacobian(x, event_ndims=1).numpy()
    np.testing.assert_allclose(log_det, -(3.0 * np.tanh(raw / 3.0)).sum(-1), rtol=1e-5,
                               atol=1e-5)
    assert np.all(np.abs(log_det) < 3.0 * x.shape[-1])
    unbounded = bijectors.made_bijector_fn(made, log_scale_bound=None)(x)
    np.testing.assert_allclose(unbounded.inverse_log_det_jacobian(x, event_ndims=1).numpy(),
                               -raw.sum(-1), rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="log_scale_bound"):
        bijectors.made_bijector_fn(made, log_scale_bound=0.0)


def test_gated_step_is_the_papers_update_in_one_made_pass():
    made = _made(context_units=3)
    z, context = _x(), _x((BATCH, 3), seed=2)
    params = made(z, context=context).numpy()
    m, s = params[..., 0], params[..., 1] + 0.5
    sigma = 1.0 / (1.0 + np.exp(-s))
    counting = _Counting(made)
    step = bijectors.gated_iaf_step(counting, context, gate_bias=0.5)
    np.testing.assert_allclose(step.forward(z), sigma * z + (1 - sigma) * m, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(step.forward_log_det_jacobian(z, event_ndims=1),
                               np.log(sigma).sum(-1), rtol=1e-5)
    assert counting.calls == 1


def test_the_context_changes_every_output():
    made = _made(context_units=3)
    z = _x()
    a = bijectors.inverse_autoregressive_flow(made, _x((BATCH, 3), seed=2)).forward(z)
    b = bijectors.inverse_autoregressive_flow(made, _x((BATCH, 3), seed=3)).forward(z)
    assert np.all(np.abs(a.numpy() - b.numpy()) > 0)


def test_a_maf_density_integrates_to_one_on_a_grid():
    made = _made(event_size=2, stddev=0.3)
    density = tfd.TransformedDistribution(
        tfd.MultivariateNormalDiag(tf.zeros(2)), bijectors.masked_autoregressive_flow(made))
    grid = np.linspace(-9.0, 9.0, 361, dtype="float32")
    points = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    mass = np.exp(density.log_prob(points).numpy().astype(np.float64)).sum()
    np.testing.assert_allclose(mass * (grid[1] - grid[0]) ** 2, 1.0, atol=2e-3)


def test_gradients_of_the_log_prob_reach_every_made_weight():
    made = _made()
    x = _x()
    with tf.GradientTape() as tape:
        density = tfd.TransformedDistribution(
            tfd.MultivariateNormalDiag(tf.zeros(D)), bijectors.masked_autoregressive_flow(made))
        loss = -tf.reduce_mean(density.log_prob(x))
    grads = tape.gradient(loss, made.trainable_variables)
    assert len(grads) == len(made.trainable_variables) > 0
    assert all(g is not None and np.any(g.numpy() != 0) for g in grads)


@pytest.mark.parametrize("build", [bijectors.masked_autoregressive_flow,
                                   bijectors.inverse_autoregressive_flow,
                                   lambda made: bijectors.gated_iaf_step(made)])
def test_a_made_without_two_params_is_a_value_error_naming_it(build):
    made = MADE(D, (8,), params=3)
    testing.assert_raises_naming(ValueError, "made", build, made)
