"""Glow's invertible 1x1 convolution: inverse, log-det against the autodiff Jacobian and
log|det W|, the LU factors, and the LU path under XLA without a determinant op."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import testing
from kgen.layers import InvertibleConv1x1
from kgen.models.flows import Glow
from tests.models.flows.flow_factories import randomize

DETERMINANT_OPS = {"MatrixDeterminant", "LogMatrixDeterminant"}


def _images(n=3, shape=(4, 4, 3), seed=0):
    return np.random.default_rng(seed).normal(size=(n,) + shape).astype("float32")


def _layer(lu, x, seed=0):
    layer = InvertibleConv1x1(lu_decomposed=lu, seed=seed)
    layer(x)
    return randomize(layer, scale=0.3, seed=seed + 1)  # no longer a rotation: log-det != 0


@pytest.mark.parametrize("lu", [False, True], ids=["plain", "lu"])
@pytest.mark.parametrize("shape", [(4, 4, 3), (3,)], ids=["images", "vectors"])
def test_inverts_and_log_dets_match_the_jacobian_and_log_abs_det_w(lu, shape):
    x = _images(shape=shape)
    layer = _layer(lu, x)
    z, ildj = layer(x, inverse=True)
    x_back, fldj = layer(z)
    np.testing.assert_allclose(x_back.numpy(), x, atol=1e-5)
    np.testing.assert_allclose(fldj.numpy(), -ildj.numpy(), rtol=1e-6)
    positions = int(np.prod(shape[:-1]))
    w = layer.weight_matrix().numpy().astype(np.float64)
    sign, log_abs_det = np.linalg.slogdet(w)
    assert abs(log_abs_det) > 0.05  # the check sees a non-trivial determinant
    np.testing.assert_allclose(ildj.numpy(), positions * log_abs_det, rtol=1e-5, atol=1e-5)
    testing.assert_log_det_matches_jacobian(lambda v: layer(v, inverse=True)[0], x,
                                            ildj.numpy(), atol=1e-4)
    testing.assert_log_det_matches_jacobian(lambda v: layer(v)[0], z.numpy(), fldj.numpy(),
                                            atol=1e-4)
    # z = x W per position (row vectors over the channels).
    np.testing.assert_allclose(z.numpy().reshape(-1, shape[-1]),
                               x.reshape(-1, shape[-1]) @ w, atol=1e-5)
    np.testing.assert_allclose(layer.inverse_weight_matrix().numpy() @ w, np.eye(shape[-1]),
                               atol=1e-5)


def test_lu_factors_reproduce_the_initial_rotation_and_its_log_det_is_sum_log_abs_s():
    x = _images(shape=(2, 2, 5))
    plain, lu = InvertibleConv1x1(False, seed=3), InvertibleConv1x1(True, seed=3)
    plain(x), lu(x)
    w = lu.weight_matrix().numpy()
    np.testing.assert_allclose(w, plain.kernel.numpy(), atol=1e-5)  # P L (U + diag s) = W0
    np.testing.assert_allclose(w @ w.T, np.eye(5), atol=1e-5)  # a rotation
    lu = randomize(lu, scale=0.3)
    expected = np.linalg.slogdet(lu.weight_matrix().numpy().astype(np.float64))[1]
    np.testing.assert_allclose(lu.log_abs_det().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lu.log_abs_det().numpy(), lu.log_abs_s.numpy().sum(), rtol=1e-6)
    # P is a fixed permutation and sign(s) fixed signs: neither is trained.
    assert {w.path.split("/")[-1] for w in lu.non_trainable_weights} == {"permutation", "sign"}
    p = lu.permutation.numpy()
    np.testing.assert_array_equal(np.sort(p, axis=0)[-1], np.ones(5))
    np.testing.assert_array_equal(p.sum(0), np.ones(5))
    assert set(np.abs(lu.sign.numpy())) == {1.0}


def _compiled_ops(layer, x):
    """The ops of one jit-compiled training-like step (inverse, log-det, gradients,
    forward) and its outputs."""
    variables = layer.trainable_variables

    def step(v):
        with tf.GradientTape() as tape:
            z, log_det = layer(v, inverse=True)
            loss = tf.reduce_mean(0.5 * tf.reduce_sum(tf.square(z), [1, 2, 3]) - log_det)
        return z, log_det, layer(z)[0], tape.gradient(loss, variables)

    fn = tf.function(step, jit_compile=True)
    concrete = fn.get_concrete_function(tf.TensorSpec((None,) + x.shape[1:], tf.float32))
    return {op.type for op in concrete.graph.get_operations()}, fn(tf.constant(x))


def test_the_lu_path_compiles_with_xla_and_has_no_determinant_op():
    x = _images(shape=(4, 4, 4))
    layer = _layer(True, x)
    ops, (z, log_det, x_back, grads) = _compiled_ops(layer, x)
    assert not ops & DETERMINANT_OPS, ops & DETERMINANT_OPS
    eager_z, eager_log_det = layer(x, inverse=True)
    np.testing.assert_allclose(z.numpy(), eager_z.numpy(), atol=1e-5)
    np.testing.assert_allclose(log_det.numpy(), eager_log_det.numpy(), rtol=1e-5)
    np.testing.assert_allclose(x_back.numpy(), x, atol=1e-4)
    assert all(g is not None and np.any(g.numpy()) for g in grads)
    # The plain path computes log|det W| with a determinant op (which XLA lacks): the
    # check above would see it.
    plain = _layer(False, x)
    fn = tf.function(lambda v: plain(v, inverse=True)[1])
    graph_ops = {op.type for op in fn.get_concrete_function(
        tf.TensorSpec((None, 4, 4, 4))).graph.get_operations()}
    assert graph_ops & DETERMINANT_OPS


def test_unseeded_rotations_follow_keras_global_seeding():
    def build():
        layer = InvertibleConv1x1(lu_decomposed=False)
        layer.build((None, 4))
        glow = Glow(event_shape=(3,), num_steps=1, hidden_units=(4,))
        return [layer.kernel.numpy()] + [w.numpy() for w in glow.weights]

    keras.utils.set_random_seed(0)
    first = build()
    keras.utils.set_random_seed(0)
    again = build()
    assert len(first) == len(again) > 5
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    other = build()  # no reseeding: another draw
    assert not np.array_equal(other[0], first[0])


def test_bad_arguments_are_named():
    testing.assert_raises_naming(TypeError, "lu_decomposed", InvertibleConv1x1, "yes")
    testing.assert_raises_naming(ValueError, "seed", InvertibleConv1x1, True, seed=-1)
