"""Kernel Inception Distance (KID): the unbiased squared MMD between two feature
sets, with a cubic polynomial kernel, averaged over random subsets.

Bińkowski et al. 2018, "Demystifying MMD GANs", arXiv:1801.01401, sec. 4 (KID)
and their eq. 4 (the unbiased MMD^2 estimator of Gretton et al. 2012,
JMLR 13, eq. 3)::

    k(x, y) = (x . y / d + 1)^3                    d = number of features

    MMD^2_u = 1 / (m (m - 1)) sum_{i != j} k(x_i, x_j)
            + 1 / (m (m - 1)) sum_{i != j} k(y_i, y_j)
            - 2 / m^2         sum_{i, j}   k(x_i, y_j)

Dropping the ``i == j`` terms of the within-set sums makes the estimator
unbiased: its expectation is the population MMD^2, which is 0 when both sets
come from one distribution, so a single estimate may be negative. The units are
those of the kernel (unitless for the scaled kernel above); reports often
multiply by 1000.
"""

import numpy as np

from kgen import checks
from kgen.metrics import _arrays


def polynomial_kernel(x, y):
    """The KID kernel ``(x . y / d + 1)^3`` between the rows of ``x`` ``[n, d]`` and
    ``y`` ``[m, d]``."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """Unbiased MMD^2 between two equally sized samples ``x``, ``y`` ``[m, d]`` (float64).

    Gretton et al. 2012, eq. 3, with the KID kernel ``polynomial_kernel``.
    """
    m = x.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kernel_inception_distance(features_1, features_2, num_subsets=100, subset_size=1000,
                              seed=0):
    """Kernel Inception Distance: unbiased MMD^2 averaged over random subsets.

    Each of ``num_subsets`` rounds draws ``m`` rows of each set without
    replacement (independently per round) and computes ``MMD^2_u`` with the
    kernel ``(x . y / d + 1)^3`` (Bińkowski et al. 2018, arXiv:1801.01401,
    sec. 4; their reference code's defaults: 100 subsets of 1000).

    ``m = min(subset_size, N1, N2)``: a ``subset_size`` larger than a set is
    capped at that set's size (no error). When both sets have ``m`` rows, every
    round uses the whole sets, so ``mean`` is the full-sample ``MMD^2_u`` and
    ``std`` is 0.

    Args:
        features_1: array ``[N1, d]`` (e.g. real images' features), N1 >= 2.
        features_2: array ``[N2, d]`` (e.g. generated images' features), N2 >= 2.
        num_subsets: int >= 1, the number of random subset pairs.
        subset_size: int >= 2, rows drawn from each set per subset (capped as above).
        seed: int >= 0 (default 0), or ``None`` for fresh entropy; the subsets
            are drawn with ``numpy.random.default_rng(seed)``, so a seed gives
            the same figure every time.

    Returns:
        ``(mean, std)``: floats, the mean and standard deviation (``ddof=0``,
        as the reference code) of the subsets' ``MMD^2_u``. The mean is
        unbiased, hence may be negative when the distributions are close.

    Raises:
        ValueError: naming the argument if a feature set is not 2-D, has fewer
            than 2 rows or holds NaN/Inf, if the sets differ in feature size, or
            if ``num_subsets`` < 1, ``subset_size`` < 2, ``seed`` < 0.
        TypeError: if an integer argument is not an integer.

    Example:

    >>> mean, std = kgen.metrics.kernel_inception_distance(real, fake, subset_size=1000)
    >>> f"KID = {1000 * mean:.2f} +- {1000 * std:.2f} (x 10^3)"
    """
    x1 = _arrays.features("features_1", features_1)
    x2 = _arrays.features("features_2", features_2)
    _arrays.same_num_features("features_1", x1, "features_2", x2)
    num_subsets = checks.positive_int("num_subsets", num_subsets)
    subset_size = checks.positive_int("subset_size", subset_size, minimum=2)
    seed = checks.seed("seed", seed)
    n1, n2 = x1.shape[0], x2.shape[0]
    m = min(subset_size, n1, n2)
    if m == n1 == n2:
        return mmd2_unbiased(x1, x2), 0.0
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for s in range(num_subsets):
        subset_1 = x1[rng.choice(n1, m, replace=False)]
        subset_2 = x2[rng.choice(n2, m, replace=False)]
        estimates[s] = mmd2_unbiased(subset_1, subset_2)
    return float(estimates.mean()), float(estimates.std())
