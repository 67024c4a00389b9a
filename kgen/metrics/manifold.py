"""Improved precision and recall of a generative model (k-NN manifolds of features).

Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
Generative Models", arXiv:1904.06991, sec. 2, eqs. 1-2. Each set's manifold is
the union of balls around its points, each ball's radius the distance from the
point to its k-th nearest neighbour *in its own set, the point itself excluded*::

    f(phi, Phi) = 1 if |phi - phi'| <= |phi' - NN_k(phi', Phi)| for some phi' in Phi

    precision = mean over generated phi_g of f(phi_g, Phi_real)   (eq. 1)
    recall    = mean over real phi_r      of f(phi_r, Phi_gen)    (eq. 2)

Precision is the share of generated samples that fall on the real manifold
(sample quality); recall the share of real samples covered by the generated
manifold (coverage). The argument order is fixed: real first, generated
second, and swapping them swaps the two figures.

Distances are Euclidean, in float64, computed a block of ``batch_size`` rows at a
time, so two sets of 10,000 need about ``3 * batch_size * 10,000 * 8`` bytes
(120 MB at the default 500), not a 10,000 x 10,000 matrix.
"""

import numpy as np

from kgen import checks
from kgen.metrics import _arrays


def precision_recall(real_features, generated_features, k=3, batch_size=500):
    """Improved precision and recall (Kynkäänniemi et al. 2019, arXiv:1904.06991).

    The k-th nearest neighbour of a point is taken among the *other* points of
    its set (the point's zero distance to itself does not count; a duplicate
    of it elsewhere in the set does). A point on a ball's boundary counts as
    inside (``<=``, as eq. 1). Both sets are centred on the real mean first,
    which changes no distance but reduces rounding.

    Args:
        real_features: array ``[N_real, d]``, features of real samples; its
            k-NN balls define the real manifold (precision). N_real >= k + 1.
        generated_features: array ``[N_gen, d]``, features of generated
            samples; its balls define the generated manifold (recall).
            N_gen >= k + 1.
        k: int >= 1, the neighbour whose distance is each ball's radius
            (3 in the paper, with N = 50,000 and VGG-16 features).
        batch_size: int >= 1, rows per block of the distance computation
            (memory about ``3 * batch_size * max(N) * 8`` bytes).

    Returns:
        ``(precision, recall)``: floats in [0, 1].

    Raises:
        ValueError: naming the argument if a set is not 2-D, holds NaN/Inf, has
            fewer than ``k + 1`` rows, or the sets differ in feature size; or if
            ``k`` or ``batch_size`` is < 1.
        TypeError: if ``k`` or ``batch_size`` is not an integer.

    Example:

    >>> precision, recall = kgen.metrics.precision_recall(real, generated, k=3)
    """
    k = checks.positive_int("k", k)
    batch_size = checks.positive_int("batch_size", batch_size)
    real = _arrays.features("real_features", real_features, min_samples=k + 1)
    generated = _arrays.features("generated_features", generated_features, min_samples=k + 1)
    _arrays.same_num_features("real_features", real, "generated_features", generated)
    center = real.mean(axis=0)
    real, generated = real - center, generated - center
    real_radii = kth_neighbour_distances(real, k, batch_size) ** 2
    generated_radii = kth_neighbour_distances(generated, k, batch_size) ** 2
    precision = _inside_manifold(generated, real, real_radii, batch_size).mean()
    recall = _inside_manifold(real, generated, generated_radii, batch_size).mean()
    return float(precision), float(recall)


def kth_neighbour_distances(points, k, batch_size=500):
    """Distance from each row of ``points`` ``[N, d]`` to its k-th nearest other row.

    The row itself is excluded (its own distance is set to +inf before the
    k-th smallest is taken), so ``k = 1`` gives the nearest *other* point.

    Returns:
        ``[N]`` float64 Euclidean distances.
    """
    points = np.asarray(points, np.float64)
    n = points.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"`k` must be in [1, {n - 1}] for {n} points. Received: k={k}")
    squared_norms = np.sum(points**2, axis=1)
    radii = np.empty(n)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        block = _squared_distances(points[start:stop], points,
                                   squared_norms[start:stop], squared_norms)
        block[np.arange(stop - start), np.arange(start, stop)] = np.inf
        radii[start:stop] = np.partition(block, k - 1, axis=1)[:, k - 1]
    return np.sqrt(radii)


def _inside_manifold(queries, points, squared_radii, batch_size):
    """``[N_queries]`` bools: is each query within some point's ball (eq. 1's f)?"""
    query_norms = np.sum(queries**2, axis=1)
    point_norms = np.sum(points**2, axis=1)
    inside = np.empty(queries.shape[0], dtype=bool)
    for start in range(0, queries.shape[0], batch_size):
        stop = min(start + batch_size, queries.shape[0])
        block = _squared_distances(queries[start:stop], points,
                                   query_norms[start:stop], point_norms)
        inside[start:stop] = np.any(block <= squared_radii[None, :], axis=1)
    return inside


def _squared_distances(a, b, a_norms, b_norms):
    """``[len(a), len(b)]`` squared Euclidean distances, ``|a|^2 + |b|^2 - 2 a.b`` >= 0."""
    block = a_norms[:, None] + b_norms[None, :] - 2.0 * (a @ b.T)
    return np.maximum(block, 0.0, out=block)
