"""FID (``kgen.metrics.frechet_distance``) against closed forms and an independent computation."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

import kgen.metrics
from kgen.metrics import fid as fid_module

METHODS = ["eigh", "sqrtm"]


def reference_fid(x1, x2):
    """Written independently of kgen: np.cov and scipy.linalg.sqrtm, as the TTUR code."""
    mu1, mu2 = np.mean(x1, axis=0), np.mean(x2, axis=0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    covmean = np.real(scipy.linalg.sqrtm(s1.dot(s2)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def correlated(rng, n, d, shift=0.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mixing + shift


@pytest.mark.parametrize("method", METHODS)
def test_fid_of_a_set_with_itself_is_zero(method):
    x = correlated(np.random.default_rng(0), 400, 16, shift=3.0)
    value = kgen.metrics.frechet_distance(x, x, method=method)
    assert abs(value) < 1e-10 * np.trace(np.cov(x, rowvar=False))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("d, mu", [(1, 0.3), (8, 0.5), (64, 2.0)])
def test_unit_gaussians_with_shifted_means_are_d_mu_squared_apart(method, d, mu):
    value = kgen.metrics.frechet_distance_from_statistics(
        np.zeros(d), np.eye(d), np.full(d, mu), np.eye(d), method=method)
    np.testing.assert_allclose(value, d * mu**2, rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_commuting_covariances_match_the_closed_form(method):
    # S1 = Q diag(a) Q^T and S2 = Q diag(b) Q^T commute, so
    # d^2 = |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
    rng = np.random.default_rng(1)
    d = 12
    a, b = rng.uniform(0.1, 3.0, d), rng.uniform(0.1, 3.0, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    diagonal = kgen.metrics.frechet_distance_from_statistics(
        mu1, np.diag(a), mu2, np.diag(b), method=method)
    np.testing.assert_allclose(diagonal, expected, rtol=1e-10)
    q = scipy.stats.ortho_group.rvs(d, random_state=2)
    rotated = kgen.metrics.frechet_distance_from_statistics(
        mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T, method=method)
    np.testing.assert_allclose(rotated, expected, rtol=1e-9)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fid_equals_an_independent_float64_computation(method, dtype):
    rng = np.random.default_rng(3)
    x1 = correlated(rng, 600, 24).astype(dtype)
    x2 = correlated(rng, 500, 24, shift=0.3).astype(dtype)
    expected = reference_fid(x1.astype(np.float64), x2.astype(np.float64))
    np.testing.assert_allclose(kgen.metrics.frechet_distance(x1, x2, method=method),
                               expected, rtol=1e-6)


def test_fid_is_symmetric_and_the_two_methods_agree():
    rng = np.random.default_rng(4)
    x1, x2 = correlated(rng, 300, 10), correlated(rng, 300, 10, shift=1.0)
    forward = kgen.metrics.frechet_distance(x1, x2)
    np.testing.assert_allclose(kgen.metrics.frechet_distance(x2, x1), forward, rtol=1e-10)
    np.testing.assert_allclose(kgen.metrics.frechet_distance(x1, x2, method="sqrtm"),
                               forward, rtol=1e-10)


def test_feature_statistics_are_the_mean_and_unbiased_covariance():
    x = correlated(np.random.default_rng(5), 50, 6, shift=2.0)
    mu, sigma = kgen.metrics.feature_statistics(x)
    np.testing.assert_allclose(mu, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False, ddof=1), rtol=1e-12)
    assert mu.dtype == sigma.dtype == np.float64 and np.array_equal(sigma, sigma.T)


def test_fewer_samples_than_features_warns_and_the_singular_product_needs_no_offset():
    rng = np.random.default_rng(6)
    x1, x2 = rng.normal(size=(10, 30)), rng.normal(size=(12, 30))
    with pytest.warns(UserWarning, match="fewer samples than features"):
        value = kgen.metrics.frechet_distance(x1, x2)
    assert np.isfinite(value) and value > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(value, reference_fid(x1, x2), rtol=1e-6)


def test_sqrtm_path_adds_eps_when_the_root_is_not_finite(monkeypatch):
    # The reference code's fallback: when sqrtm(S1 S2) is not finite, add eps I to both.
    real_sqrtm, calls = scipy.linalg.sqrtm, []

    def failing_once(a):
        calls.append(a)
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(fid_module.scipy.linalg, "sqrtm", failing_once)
    s1, s2, eps = np.diag([1.0, 0.0]), np.diag([0.0, 4.0]), 1e-2
    with pytest.warns(UserWarning, match="adding eps"):
        value = kgen.metrics.frechet_distance_from_statistics(
            np.zeros(2), s1, np.zeros(2), s2, method="sqrtm", eps=eps)
    root = np.sqrt((np.diag(s1) + eps) * (np.diag(s2) + eps))  # diagonal: elementwise
    np.testing.assert_allclose(value, 5.0 - 2 * root.sum(), rtol=1e-12)
    np.testing.assert_allclose(calls[1], (s1 + eps * np.eye(2)) @ (s2 + eps * np.eye(2)))


def test_a_covariance_that_is_not_psd_is_refused_by_both_methods():
    not_psd = np.diag([1.0, -1.0])
    with pytest.raises(ValueError, match="imaginary part"):
        kgen.metrics.frechet_distance_from_statistics(
            np.zeros(2), np.eye(2), np.zeros(2), not_psd, method="sqrtm")
    with pytest.raises(ValueError, match="`sigma2` must be a positive semi-definite"):
        kgen.metrics.frechet_distance_from_statistics(
            np.zeros(2), np.eye(2), np.zeros(2), not_psd)
    with pytest.raises(ValueError, match="`sigma1` must be a positive semi-definite"):
        kgen.metrics.frechet_distance_from_statistics(
            np.zeros(2), not_psd, np.zeros(2), np.eye(2))


def test_statistics_round_trip_through_npz(tmp_path):
    x = correlated(np.random.default_rng(7), 40, 5)
    mu, sigma = kgen.metrics.feature_statistics(x)
    path = kgen.metrics.save_statistics(tmp_path / "reference", mu, sigma, len(x))
    assert path.endswith("reference.npz")
    loaded = kgen.metrics.load_statistics(path)
    assert isinstance(loaded, kgen.metrics.Statistics) and loaded.num_samples == 40
    np.testing.assert_array_equal(loaded.mu, mu)
    np.testing.assert_array_equal(loaded.sigma, sigma)
    assert kgen.metrics.frechet_distance_from_statistics(
        loaded.mu, loaded.sigma, mu, sigma) == pytest.approx(0.0, abs=1e-12)


def test_a_reference_file_without_a_count_loads_and_a_foreign_file_is_named(tmp_path):
    np.savez(tmp_path / "ttur.npz", mu=np.zeros(3), sigma=np.eye(3))
    assert kgen.metrics.load_statistics(tmp_path / "ttur.npz").num_samples is None
    np.savez(tmp_path / "other.npz", mean=np.zeros(3))
    with pytest.raises(ValueError, match="`path` must be an .npz file with arrays 'mu'"):
        kgen.metrics.load_statistics(tmp_path / "other.npz")
    np.savez(tmp_path / "bad.npz", mu=np.zeros(3), sigma=np.eye(2))
    with pytest.raises(ValueError, match="`sigma` must be a covariance of shape"):
        kgen.metrics.load_statistics(tmp_path / "bad.npz")


X = np.random.default_rng(8).normal(size=(20, 4))
BAD = [
    ("features_1", lambda: kgen.metrics.frechet_distance(X[:1], X)),
    ("features_2", lambda: kgen.metrics.frechet_distance(X, X[:1])),
    ("features_1` and `features_2", lambda: kgen.metrics.frechet_distance(X, X[:, :3])),
    ("features_2", lambda: kgen.metrics.frechet_distance(X, np.where(X > 1, np.nan, X))),
    ("features_1", lambda: kgen.metrics.frechet_distance(X[0], X)),
    ("features_1", lambda: kgen.metrics.frechet_distance(np.full((5, 4), np.inf), X)),
    ("method", lambda: kgen.metrics.frechet_distance(X, X, method="svd")),
    ("features", lambda: kgen.metrics.feature_statistics(X[:1])),
    ("mu1` and `mu2", lambda: kgen.metrics.frechet_distance_from_statistics(
        np.zeros(4), np.eye(4), np.zeros(3), np.eye(3))),
    ("sigma1", lambda: kgen.metrics.frechet_distance_from_statistics(
        np.zeros(4), np.eye(3), np.zeros(4), np.eye(4))),
    ("sigma2", lambda: kgen.metrics.frechet_distance_from_statistics(
        np.zeros(2), np.eye(2), np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]))),
    ("mu2", lambda: kgen.metrics.frechet_distance_from_statistics(
        np.zeros(2), np.eye(2), np.array([0.0, np.nan]), np.eye(2))),
    ("eps", lambda: kgen.metrics.frechet_distance_from_statistics(
        np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), eps=-1.0)),
    ("num_samples", lambda: kgen.metrics.save_statistics("unused", np.zeros(2), np.eye(2), 1)),
]


@pytest.mark.parametrize("name, call", BAD, ids=[f"{i}-{n}" for i, (n, _) in enumerate(BAD)])
def test_bad_input_raises_a_value_error_naming_the_argument(name, call):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()
