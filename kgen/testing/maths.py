"""Exact checks of the maths: log-determinants and the autoregressive property
from autodiff Jacobians, and normalization by enumeration or on a grid."""

import itertools

import numpy as np
import tensorflow as tf

MAX_ENUMERATED_DIMS = 16


def batch_jacobian(fn, x):
    """``d fn(x)[b, i] / d x[b, j]`` per example, flattened: ``[batch, out, in]``.

    ``x`` is cast to float64 before the call, and to float32 if the function
    refuses float64; a function whose own weights are float32 (a Keras layer
    casts its inputs to its compute dtype) is thus differentiated in float32.
    The result is float64 NumPy either way.

    ``tf.GradientTape.batch_jacobian`` assumes that example ``b``'s outputs
    depend on example ``b``'s inputs only: not true of a layer that mixes the
    batch (batch normalization in training, ActNorm's data-dependent init).
    """
    return _jacobian(fn, x)[0]


def _jacobian(fn, x):
    """``(batch_jacobian(fn, x), shape of fn(x))``."""
    try:
        return _jacobian_in(fn, x, tf.float64)
    except (TypeError, ValueError, tf.errors.InvalidArgumentError):
        return _jacobian_in(fn, x, tf.float32)


def _jacobian_in(fn, x, dtype):
    x = tf.cast(tf.convert_to_tensor(x), dtype)
    batch = int(x.shape[0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.convert_to_tensor(fn(x))
        flat = tf.reshape(y, (batch, -1))
    jacobian = tape.batch_jacobian(flat, x)
    if jacobian is None:
        raise AssertionError("the output does not depend on `x` at all")
    jacobian = np.asarray(jacobian, np.float64).reshape(batch, flat.shape[1], -1)
    return jacobian, tuple(y.shape)


def assert_log_det_matches_jacobian(forward_fn, x, log_det, atol=1e-4, rtol=1e-5):
    """Asserts ``log_det == log|det J|`` per example, with ``J`` from autodiff.

    ``J[b]`` is ``d forward_fn(x)[b] / d x[b]`` flattened to ``[D, D]``
    (``batch_jacobian``, float64 where the function allows), and its
    log-absolute-determinant comes from ``numpy.linalg.slogdet`` in float64.

    Args:
        forward_fn: ``forward_fn(x) -> y`` with ``y`` of the same size per
            example as ``x`` (e.g. a bijector's ``forward``).
        x: ``[batch, *event_shape]`` inputs.
        log_det: ``[batch]`` (or a scalar, for every example) log-det to check,
            e.g. ``bijector.forward_log_det_jacobian(x, event_ndims=1)``.
        atol, rtol: tolerances.

    Returns:
        The ``[batch]`` float64 log|det J| from the Jacobian.

    Raises:
        AssertionError: if ``J`` is not square or singular, or the values differ.
    """
    jacobian = batch_jacobian(forward_fn, x)
    _, rows, cols = jacobian.shape
    assert rows == cols, f"the Jacobian is {rows} x {cols} per example, not square"
    sign, expected = np.linalg.slogdet(jacobian)
    assert np.all(sign != 0), f"the Jacobian is singular for examples {np.where(sign == 0)[0]}"
    got = np.broadcast_to(np.asarray(log_det, np.float64), expected.shape)
    np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol,
                               err_msg="log_det vs log|det J| of the autodiff Jacobian")
    return expected


def assert_autoregressive(fn, x, order=None, atol=0.0, complete=False):
    """Asserts that output ``i`` depends only on the inputs before ``i`` in ``order``.

    From the sparsity of the autodiff Jacobian (``batch_jacobian``): for
    ``x`` of shape ``[batch, *event_shape]`` with ``D`` dimensions per example
    (flattened in C order), ``fn(x)`` has shape ``[batch, *event_shape,
    *extra]``: ``k = prod(extra)`` outputs per input dimension (``extra = ()``
    for one, MADE's ``[batch, D, params]``, a PixelCNN's ``[batch, H, W, C,
    256]``). Every output of dimension ``i`` must have a zero derivative
    (``|J| <= atol``) with respect to every input ``j`` that is not strictly
    before ``i``: the Jacobian, reordered by ``order``, is strictly
    lower-triangular (block-wise for ``k > 1``). Dependences are collected
    over the whole batch, so use several random inputs: a dead ReLU at one
    ``x`` can hide a connection.

    Args:
        fn: the network, ``fn(x) -> outputs``.
        x: ``[batch, *event_shape]`` inputs.
        order: the generation order, a permutation of ``range(D)`` listing
            the flattened dimensions first to last; default ``range(D)``
            (left to right, raster order for images).
        atol: largest derivative counted as zero (exact zeros by default:
            masked weights give them).
        complete: if True, also require every allowed dependence to be
            present (a MADE with enough hidden units reaches every earlier
            input).

    Returns:
        ``[D, k, D]`` float64 array: the largest ``|J|`` over the batch of
        each (output dimension, output, input dimension).

    Raises:
        AssertionError: if an output depends on an input at or after its
            own position, if the Jacobian is all zeros (the check would be
            vacuous: give the network random weights), or, with ``complete``,
            if an allowed dependence is missing.
    """
    x = np.asarray(x)
    dims = int(np.prod(x.shape[1:]))
    jacobian, shape = _jacobian(fn, x)  # [batch, out, D]
    assert shape[1:x.ndim] == x.shape[1:], (
        f"the outputs {shape} must be [batch, *event_shape, *extra] for inputs {x.shape}")
    dependence = np.abs(jacobian).max(axis=0).reshape(dims, -1, dims)
    rank = _rank(order, dims)
    allowed = (rank[None, :] < rank[:, None])[:, None, :]  # [i, 1, j]: j before i
    assert dependence.max() > atol, (
        "the Jacobian is all zeros: the check sees nothing (a layer starting at zero?)")
    leaks = np.argwhere((dependence > atol) & ~allowed)
    assert not len(leaks), (
        f"not autoregressive: {len(leaks)} (output dimension, output, input) dependences "
        f"on inputs not before the output in the order, e.g. "
        f"{[tuple(int(v) for v in leak) for leak in leaks[:5]]}")
    if complete:
        missing = np.argwhere((dependence <= atol) & allowed)
        assert not len(missing), (
            f"{len(missing)} allowed dependences are missing, e.g. "
            f"{[tuple(int(v) for v in m) for m in missing[:5]]}")
    return dependence


def _rank(order, dims):
    """``rank[j]``: the position of dimension ``j`` in ``order``."""
    if order is None:
        return np.arange(dims)
    order = [int(v) for v in order]
    if sorted(order) != list(range(dims)):
        raise ValueError(f"`order` must be a permutation of range({dims}). "
                         f"Received: order={order!r}")
    rank = np.empty(dims, int)
    rank[order] = np.arange(dims)
    return rank


def assert_normalized_by_enumeration(log_prob_fn, num_binary_dims, event_shape=None,
                                     atol=1e-5, batch_size=4096):
    """Asserts that ``exp(log_prob)`` sums to 1 over all ``2**D`` binary vectors.

    The sum is taken as a log-sum-exp in float64 of ``log_prob_fn`` on every
    vector of ``{0, 1}^D`` (in batches of ``batch_size``).

    Args:
        log_prob_fn: ``log_prob_fn(x) -> [batch]`` log-probabilities in nats,
            for ``x`` float32 ``[batch, *event_shape]``.
        num_binary_dims: int ``D``, 1 <= D <= 16 (65,536 vectors).
        event_shape: shape of one example (``prod == D``); default ``(D,)``.
        atol: tolerance on the total probability.

    Returns:
        The total probability, a float.

    Raises:
        ValueError: naming ``num_binary_dims`` or ``event_shape`` if invalid.
        AssertionError: if the total is not within ``atol`` of 1.
    """
    d = num_binary_dims
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_ENUMERATED_DIMS:
        raise ValueError(f"`num_binary_dims` must be an int in [1, {MAX_ENUMERATED_DIMS}]. "
                         f"Received: num_binary_dims={d!r}")
    event_shape = (d,) if event_shape is None else tuple(event_shape)
    if int(np.prod(event_shape)) != d:
        raise ValueError(f"`event_shape` must hold num_binary_dims={d} values. "
                         f"Received: event_shape={event_shape!r}")
    vectors = np.array(list(itertools.product((0.0, 1.0), repeat=d)), np.float32)
    log_probs = np.concatenate([
        np.asarray(log_prob_fn(vectors[i:i + batch_size].reshape((-1,) + event_shape)),
                   np.float64).reshape(-1)
        for i in range(0, len(vectors), batch_size)])
    assert log_probs.shape == (2 ** d,), f"log_prob_fn gave shape {log_probs.shape}"
    assert np.all(np.isfinite(log_probs) | (log_probs == -np.inf)), "log_prob has NaN or +inf"
    total = float(np.exp(_logsumexp(log_probs)))
    assert abs(total - 1.0) <= atol, f"probabilities sum to {total!r}, not 1 (atol={atol})"
    return total


def assert_normalized_on_grid(log_prob_fn, low, high, num_points=201, atol=1e-2):
    """Asserts that a 2-D density integrates to 1 over the box ``[low, high]^2``.

    The integral is the trapezoid rule on a ``num_points x num_points`` grid
    (error O(h^2) for a smooth density, ``h = (high - low) / (num_points -
    1)``), in float64. The box must hold all but a negligible part of the
    mass; ``atol`` bounds the total error (quadrature plus mass outside).

    Args:
        log_prob_fn: ``log_prob_fn(x) -> [n]`` for ``x`` float32 ``[n, 2]``.
        low, high: floats, or pairs ``(x0, x1)`` per axis, with ``low < high``.
        num_points: int >= 2, grid points per axis.
        atol: tolerance on the integral.

    Returns:
        The integral, a float.

    Raises:
        ValueError: naming ``low`` / ``high`` or ``num_points`` if invalid.
        AssertionError: if the integral is not within ``atol`` of 1.
    """
    low = np.broadcast_to(np.asarray(low, np.float64), (2,))
    high = np.broadcast_to(np.asarray(high, np.float64), (2,))
    if not np.all(np.isfinite(low) & np.isfinite(high) & (low < high)):
        raise ValueError(f"`low` must be below `high`, both finite. Received: low={low}, "
                         f"high={high}")
    if isinstance(num_points, bool) or not isinstance(num_points, int) or num_points < 2:
        raise ValueError(f"`num_points` must be an int >= 2. Received: num_points={num_points!r}")
    axes = [np.linspace(low[k], high[k], num_points) for k in range(2)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    density = np.exp(np.asarray(log_prob_fn(grid.astype(np.float32)), np.float64))
    density = density.reshape(num_points, num_points)
    weights = [np.full(num_points, (high[k] - low[k]) / (num_points - 1)) for k in range(2)]
    for w in weights:
        w[[0, -1]] /= 2.0
    total = float(weights[0] @ density @ weights[1])
    assert abs(total - 1.0) <= atol, (
        f"the density integrates to {total!r} over [{low}, {high}], not 1 (atol={atol})")
    return total


def _logsumexp(values):
    top = np.max(values)
    if not np.isfinite(top):
        return top
    return top + np.log(np.sum(np.exp(values - top)))
