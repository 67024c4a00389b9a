"""Improved precision/recall (``kgen.metrics.precision_recall``): k-NN manifolds, argument order."""

import numpy as np
import pytest
import scipy.spatial.distance

import kgen.metrics
from kgen.metrics.manifold import kth_neighbour_distances


def reference_precision_recall(real, generated, k):
    """Written independently of kgen: full cdist matrices, sorted rows (column 0 is the
    point itself, so column k is its k-th nearest other point)."""
    def radii(points):
        return np.sort(scipy.spatial.distance.cdist(points, points), axis=1)[:, k]

    def covered(queries, points, r):
        return np.mean(np.any(scipy.spatial.distance.cdist(queries, points) <= r[None, :], axis=1))

    return covered(generated, real, radii(real)), covered(real, generated, radii(generated))


def test_identical_sets_give_full_precision_and_recall():
    x = np.random.default_rng(0).normal(size=(300, 8))
    assert kgen.metrics.precision_recall(x, x.copy()) == (1.0, 1.0)


def test_far_apart_sets_give_zero_precision_and_recall():
    rng = np.random.default_rng(1)
    real, generated = rng.normal(size=(200, 4)), rng.normal(size=(200, 4)) + 50.0
    assert kgen.metrics.precision_recall(real, generated) == (0.0, 0.0)


def test_generated_inside_a_corner_of_real_is_precise_but_covers_little_and_the_swap_swaps():
    rng = np.random.default_rng(2)
    real = rng.uniform(0.0, 1.0, size=(2000, 2))
    generated = rng.uniform(0.0, 0.3, size=(2000, 2))  # 9% of the real square
    precision, recall = kgen.metrics.precision_recall(real, generated, k=3)
    assert precision > 0.95 and recall < 0.2
    assert kgen.metrics.precision_recall(generated, real, k=3) == (recall, precision)


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_precision_recall_equals_an_independent_computation_for_any_block_size(batch_size):
    rng = np.random.default_rng(3)
    real, generated = rng.normal(size=(150, 5)), rng.normal(size=(120, 5)) * 1.3 + 0.4
    for k in (1, 3, 10):
        got = kgen.metrics.precision_recall(real, generated, k=k, batch_size=batch_size)
        assert got == pytest.approx(reference_precision_recall(real, generated, k), abs=0)


def test_the_kth_neighbour_excludes_the_point_itself_but_not_its_duplicate():
    np.testing.assert_allclose(kth_neighbour_distances([[0.0], [1.0], [3.0]], k=1), [1, 1, 2])
    np.testing.assert_allclose(kth_neighbour_distances([[0.0], [1.0], [3.0]], k=2), [3, 2, 3])
    np.testing.assert_allclose(kth_neighbour_distances([[0.0], [0.0], [5.0]], k=1), [0, 0, 5])
    # With the point itself counted, every radius would be 0 and this precision 0.
    real, generated = np.array([[0.0], [1.0]]), np.array([[0.9], [0.1]])
    assert kgen.metrics.precision_recall(real, generated, k=1) == (1.0, 1.0)


X = np.random.default_rng(4).normal(size=(10, 3))
BAD = [
    ("real_features", ValueError, lambda: kgen.metrics.precision_recall(X[:3], X, k=3)),
    ("generated_features", ValueError, lambda: kgen.metrics.precision_recall(X, X[:3], k=3)),
    ("real_features` and `generated_features", ValueError,
     lambda: kgen.metrics.precision_recall(X, X[:, :2])),
    ("generated_features", ValueError, lambda: kgen.metrics.precision_recall(X, X * np.inf)),
    ("real_features", ValueError, lambda: kgen.metrics.precision_recall(X.ravel(), X)),
    ("k", ValueError, lambda: kgen.metrics.precision_recall(X, X, k=0)),
    ("k", TypeError, lambda: kgen.metrics.precision_recall(X, X, k=2.0)),
    ("batch_size", ValueError, lambda: kgen.metrics.precision_recall(X, X, batch_size=0)),
]


@pytest.mark.parametrize("name, error, call", BAD,
                         ids=[f"{i}-{n}" for i, (n, _, _) in enumerate(BAD)])
def test_bad_input_raises_an_error_naming_the_argument(name, error, call):
    with pytest.raises(error, match=f"`{name}`"):
        call()
