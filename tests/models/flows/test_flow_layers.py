"""Flow steps and their bijector face: invertibility, log-dets against autodiff
Jacobians, coupling and autoregressive structure, ActNorm's data init, no TFP cache."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import testing
from kgen.bijectors import preprocessing
from kgen.bijectors.flow_bijector import FlowBijector, inverse_and_log_det
from kgen.layers.actnorm import ActNorm
from kgen.layers.autoregressive_flow import MaskedAutoregressiveStep
from kgen.layers.coupling import AdditiveCoupling, AffineCoupling, coupling_mask
from kgen.layers.planar import PlanarStep, RadialStep
from kgen.layers.squeeze import DiagonalScaling, Squeeze
from tests.models.flows.flow_factories import randomize

tfb, tfd = tfp.bijectors, tfp.distributions


def _vectors(n=6, d=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype("float32")


def _images(n=3, shape=(4, 4, 2), seed=0):
    return np.random.default_rng(seed).normal(size=(n,) + shape).astype("float32")


STEPS = {
    "actnorm": lambda: (ActNorm(), _vectors()),
    "actnorm_images": lambda: (ActNorm(), _images()),
    "affine_checkerboard": lambda: (AffineCoupling("checkerboard", 0, (16,), seed=0),
                                    _vectors()),
    "affine_channel": lambda: (AffineCoupling("channel", 1, (16,), seed=1), _vectors()),
    "affine_images": lambda: (AffineCoupling("checkerboard", 1, filters=8, num_blocks=1,
                                             seed=2), _images()),
    "affine_images_channel": lambda: (AffineCoupling("channel", 0, filters=8, num_blocks=1,
                                                     seed=3), _images()),
    "additive": lambda: (AdditiveCoupling("checkerboard", 1, (16,), seed=4), _vectors()),
    "diagonal_scaling": lambda: (DiagonalScaling(), _vectors()),
    "maf": lambda: (MaskedAutoregressiveStep(4, (16, 16), seed=5), _vectors()),
    "iaf": lambda: (MaskedAutoregressiveStep(4, (16, 16), inverted=True, seed=6), _vectors()),
    "planar": lambda: (PlanarStep(seed=7), _vectors()),
    "radial": lambda: (RadialStep(seed=8), _vectors()),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_each_step_inverts_and_its_log_dets_match_the_jacobian(name):
    layer, x = STEPS[name]()
    layer(x)
    layer = randomize(layer, scale=0.3)
    y, fldj = layer(x)
    x_back, ildj = layer(y, inverse=True)
    np.testing.assert_allclose(x_back.numpy(), x, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ildj.numpy(), -fldj.numpy(), rtol=1e-4, atol=1e-4)
    testing.assert_log_det_matches_jacobian(lambda v: layer(v)[0], x, fldj.numpy(), atol=1e-3)
    testing.assert_log_det_matches_jacobian(lambda v: layer(v, inverse=True)[0], y.numpy(),
                                            ildj.numpy(), atol=1e-3)


@pytest.mark.parametrize("name", ["affine_checkerboard", "affine_images", "maf", "radial"])
def test_the_bijector_face_agrees_with_the_layer_and_composes_with_tfp(name):
    layer, x = STEPS[name]()
    layer(x)
    layer = randomize(layer, scale=0.3)
    ndims = x.ndim - 1
    bijector = layer.bijector()
    y, fldj = layer(x)
    np.testing.assert_allclose(bijector.forward(x).numpy(), y.numpy(), atol=1e-5)
    np.testing.assert_allclose(bijector.forward_log_det_jacobian(x, event_ndims=ndims).numpy(),
                               fldj.numpy(), atol=1e-5)
    np.testing.assert_allclose(bijector.inverse_log_det_jacobian(y, event_ndims=ndims).numpy(),
                               -fldj.numpy(), atol=1e-4)
    base = tfd.Independent(tfd.Normal(tf.zeros(x.shape[1:]), 1.0), ndims)
    flow = tfd.TransformedDistribution(base, tfb.Chain([tfb.Shift(1.0), bijector]))
    expected = base.log_prob(layer(y - 1.0, inverse=True)[0]) + layer(y - 1.0, inverse=True)[1]
    np.testing.assert_allclose(flow.log_prob(y).numpy(), expected.numpy(), atol=1e-4)


def test_flow_bijectors_bypass_the_tfp_cache():
    calls = []

    def forward(x):
        calls.append("forward")
        return 2.0 * x, tf.fill(tf.shape(x)[:1], 3.0 * math.log(2.0))

    bijector = FlowBijector(forward, lambda y: (y / 2.0, -tf.fill(tf.shape(y)[:1],
                                                                   3 * math.log(2.0))), 1)
    x = tf.ones((2, 3))
    y = bijector.forward(x)
    bijector.forward(x)
    bijector.forward_log_det_jacobian(x, event_ndims=1)
    assert calls == ["forward"] * 3  # TFP's cache would have answered the 2nd and 3rd
    np.testing.assert_allclose(bijector.inverse(y).numpy(), x.numpy())


def test_a_chain_walk_runs_each_step_once():
    # tfb.Chain / tfb.Invert of kgen steps are TFP's private _Chain / _Invert; a walk that
    # missed them ran each step ~3 times per log_prob (TFP's inverse + log-det, uncached).
    calls = []

    def step(scale):
        def forward(x):
            calls.append("forward")
            return scale * x, tf.fill(tf.shape(x)[:1], 3.0 * math.log(scale))

        def inverse(y):
            calls.append("inverse")
            return y / scale, -tf.fill(tf.shape(y)[:1], 3.0 * math.log(scale))
        return FlowBijector(forward, inverse, 1)

    chain = tfb.Chain([step(2.0), tfb.Invert(step(4.0))])
    x, ildj = inverse_and_log_det(chain, tf.ones((2, 3)), 1)
    assert calls == ["inverse", "forward"]
    np.testing.assert_allclose(x.numpy(), 2.0)  # y / 2 then * 4
    np.testing.assert_allclose(ildj.numpy(), 3.0 * (math.log(4.0) - math.log(2.0)), rtol=1e-6)


def test_coupling_structure_from_the_jacobian():
    # Conditioning dimensions map to themselves; a transformed one depends on itself
    # and on conditioning dimensions only.
    for layer, x in (STEPS["affine_checkerboard"](), STEPS["affine_images_channel"](),
                     STEPS["additive"]()):
        layer(x)
        layer = randomize(layer, scale=0.3)
        jacobian = testing.batch_jacobian(lambda v: layer(v)[0], x)
        mask = coupling_mask(x.shape[1:], layer.mask_type, layer.parity).reshape(-1) == 1
        dependence = np.abs(jacobian).max(axis=0)
        d = len(mask)
        np.testing.assert_allclose(dependence[mask][:, mask], np.eye(d)[mask][:, mask],
                                   atol=1e-6)
        assert np.all(dependence[mask][:, ~mask] == 0)
        off_diagonal = dependence[~mask][:, ~mask] * (1 - np.eye(d)[~mask][:, ~mask])
        assert np.all(off_diagonal == 0)
        assert dependence[~mask][:, mask].max() > 1e-3  # the network is used


def test_masked_autoregressive_steps_are_triangular():
    for inverted, order in ((False, "left-to-right"), (True, "right-to-left")):
        layer = MaskedAutoregressiveStep(5, (16, 16), input_order=order, inverted=inverted,
                                         seed=0)
        x = _vectors(8, 5)
        layer(x)
        layer = randomize(layer, scale=0.3)
        rank = list(range(5)) if order == "left-to-right" else list(range(4, -1, -1))
        testing.assert_autoregressive(layer.made, x, order=rank, complete=True)
        # The density direction u = f(x): u_i depends on x_i and the x before it only.
        jacobian = np.abs(testing.batch_jacobian(lambda v: layer(v, inverse=True)[0], x))
        reordered = jacobian.max(axis=0)[np.ix_(rank, rank)]
        assert np.all(np.triu(reordered, k=1) == 0) and np.all(np.diag(reordered) > 0)


def test_actnorm_data_init_standardizes_each_channel():
    x = 3.0 + 2.5 * _images(64, (4, 4, 3), seed=1) * np.array([1.0, 0.2, 4.0], "float32")
    layer = ActNorm()
    layer.initialize(x)
    z, log_det = layer(x, inverse=True)
    np.testing.assert_allclose(z.numpy().mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.numpy().std(axis=(0, 1, 2)), 1.0, atol=1e-4)
    expected = -16 * np.log(x.std(axis=(0, 1, 2))).sum()
    np.testing.assert_allclose(log_det.numpy(), expected, rtol=1e-5)


def test_squeeze_is_space_to_depth_and_refuses_odd_sizes():
    x = _images(2, (4, 6, 1))
    y, log_det = Squeeze()(x, inverse=True)
    assert y.shape == (2, 2, 3, 4) and np.all(log_det.numpy() == 0)
    np.testing.assert_array_equal(Squeeze()(y)[0].numpy(), x)
    testing.assert_raises_naming(ValueError, "event_shape", Squeeze().inverse_event_shape,
                                 (5, 4, 1))


def test_preprocessing_log_dets_are_the_hand_formulas():
    v = np.random.default_rng(0).uniform(0, 256, (5, 3, 2, 1)).astype("float32")
    deq = preprocessing.dequantization(256, 3)
    w, ildj = deq.inverse_and_log_det(tf.constant(v))
    np.testing.assert_allclose(w.numpy(), v / 256.0, rtol=1e-6)
    np.testing.assert_allclose(ildj.numpy(), -6 * np.log(256.0), rtol=1e-6)
    logit = preprocessing.logit_transform(0.05, 3)
    y, ildj = logit.inverse_and_log_det(w)
    p = 0.05 + 0.9 * w.numpy().astype(np.float64)
    np.testing.assert_allclose(y.numpy(), np.log(p / (1 - p)), rtol=1e-5, atol=1e-5)
    expected = (np.log(0.9) - np.log(p) - np.log1p(-p)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(ildj.numpy(), expected, rtol=1e-5)
    chain = tfb.Chain([deq, logit])
    y2, total = inverse_and_log_det(chain, tf.constant(v), 3)
    np.testing.assert_allclose(total.numpy(), expected - 6 * np.log(256.0), rtol=1e-5)
    testing.assert_log_det_matches_jacobian(logit.forward, y2.numpy(),
                                            -ildj.numpy(), atol=1e-3)


def test_layers_refuse_bad_arguments():
    testing.assert_raises_naming(ValueError, "mask_type", AffineCoupling, "stripes")
    testing.assert_raises_naming(ValueError, "parity", AffineCoupling, "channel", 2)
    testing.assert_raises_naming(ValueError, "log_scale_bound", AffineCoupling,
                                 log_scale_bound=0.0)
    testing.assert_raises_naming(ValueError, "event_shape", coupling_mask, (1,),
                                 "checkerboard", 0)
    testing.assert_raises_naming(ValueError, "event_shape", coupling_mask, (4, 4, 1),
                                 "channel", 0)
    testing.assert_raises_naming(ValueError, "epsilon", ActNorm, epsilon=0)
