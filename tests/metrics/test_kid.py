"""KID (``kgen.metrics.kernel_inception_distance``): unbiased MMD^2 with the cubic kernel."""

import numpy as np
import pytest

import kgen.metrics


def reference_mmd2(x, y, unbiased=True):
    """Written independently of kgen, with explicit masks: U-statistic or biased V-statistic."""
    d, m = x.shape[1], len(x)

    def k(a, b):
        return (np.einsum("id,jd->ij", a, b) / d + 1.0) ** 3

    off_diagonal = ~np.eye(m, dtype=bool)
    if unbiased:
        within = k(x, x)[off_diagonal].mean() + k(y, y)[off_diagonal].mean()
    else:
        within = k(x, x).mean() + k(y, y).mean()
    return within - 2.0 * k(x, y).mean()


def test_kid_of_whole_equal_sized_sets_is_their_unbiased_mmd2():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)), rng.normal(size=(40, 6)) + 0.3
    mean, std = kgen.metrics.kernel_inception_distance(x, y, num_subsets=5, subset_size=40)
    np.testing.assert_allclose(mean, reference_mmd2(x, y), rtol=1e-10)
    assert std == 0.0


def test_kid_averages_to_zero_for_one_distribution_where_the_biased_estimate_does_not():
    # 1000 independent pairs of samples of one distribution: the unbiased estimates
    # average to 0 within 4 standard errors; the V-statistic's bias is many times that.
    rng = np.random.default_rng(1)
    unbiased, biased = [], []
    for _ in range(1000):
        x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 4))
        unbiased.append(kgen.metrics.kernel_inception_distance(x, y, subset_size=16)[0])
        biased.append(reference_mmd2(x, y, unbiased=False))
    unbiased, biased = np.array(unbiased), np.array(biased)
    standard_error = unbiased.std(ddof=1) / np.sqrt(len(unbiased))
    assert abs(unbiased.mean()) < 4 * standard_error
    assert biased.mean() > 20 * standard_error
    assert np.any(unbiased < 0)  # a single estimate may be negative


def test_kid_is_positive_and_grows_with_the_mean_shift():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 8))
    y = rng.normal(size=(400, 8))
    means = [kgen.metrics.kernel_inception_distance(x, y + shift, num_subsets=10,
                                                    subset_size=200)[0]
             for shift in (0.25, 0.5, 1.0, 2.0)]
    assert means[0] > 0 and np.all(np.diff(means) > 0)


def test_subsets_are_seeded_and_capped_at_the_smaller_set():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 5)), rng.normal(size=(50, 5)) + 0.5
    first = kgen.metrics.kernel_inception_distance(x, y, num_subsets=20, subset_size=1000, seed=7)
    again = kgen.metrics.kernel_inception_distance(x, y, num_subsets=20, subset_size=1000, seed=7)
    other = kgen.metrics.kernel_inception_distance(x, y, num_subsets=20, subset_size=1000, seed=8)
    assert first == again and first != other and first[1] > 0
    # Capped: m = 30, so each subset of x is all of x; check one round by hand.
    single = kgen.metrics.kernel_inception_distance(x, y, num_subsets=1, subset_size=1000, seed=7)
    rows = np.random.default_rng(7)
    subset_x = x[rows.choice(30, 30, replace=False)]
    subset_y = y[rows.choice(50, 30, replace=False)]
    np.testing.assert_allclose(single[0], reference_mmd2(subset_x, subset_y), rtol=1e-10)


X = np.random.default_rng(4).normal(size=(20, 3))
KID = kgen.metrics.kernel_inception_distance
BAD = [
    ("features_1", ValueError, lambda: KID(X[:1], X)),
    ("features_2", ValueError, lambda: KID(X, X * np.nan)),
    ("features_1` and `features_2", ValueError, lambda: KID(X, X[:, :2])),
    ("num_subsets", ValueError, lambda: KID(X, X, num_subsets=0)),
    ("subset_size", ValueError, lambda: KID(X, X, subset_size=1)),
    ("subset_size", TypeError, lambda: KID(X, X, subset_size=9.5)),
    ("seed", ValueError, lambda: KID(X, X, seed=-1)),
]


@pytest.mark.parametrize("name, error, call", BAD,
                         ids=[f"{i}-{n}" for i, (n, _, _) in enumerate(BAD)])
def test_bad_input_raises_an_error_naming_the_argument(name, error, call):
    with pytest.raises(error, match=f"`{name}`"):
        call()
