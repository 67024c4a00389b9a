"""Fréchet Inception Distance (FID): the Fréchet (2-Wasserstein) distance between
Gaussians fitted to two sets of features.

Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
Local Nash Equilibrium", arXiv:1706.08500, sec. 3 (the formula after eq. 5)::

    d^2((mu1, S1), (mu2, S2)) = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

All maths is float64. The statistics are the sample mean and the unbiased
(``ddof=1``) sample covariance, as ``np.cov`` and the reference code compute
them. The units are those of the features, squared (no normalisation), so a
figure is only comparable with one computed in the same feature space.

References:
    1. Heusel et al. 2017, arXiv:1706.08500 (FID; reference code: bioinf-jku/TTUR).
    2. Dowson and Landau 1982, "The Fréchet distance between multivariate normal
       distributions" (the closed form above).
"""

import collections
import os
import warnings

import numpy as np
import scipy.linalg

from kgen import checks
from kgen.metrics import _arrays

Statistics = collections.namedtuple("Statistics", ["mu", "sigma", "num_samples"])
Statistics.__doc__ = """Gaussian statistics of a feature set: ``mu`` ``[d]``, ``sigma``
``[d, d]`` (float64) and ``num_samples``, the number of feature rows behind them."""

METHODS = ("eigh", "sqrtm")


def feature_statistics(features):
    """Mean and covariance of a feature set, in float64.

    Args:
        features: array ``[N, d]``, N >= 2 feature vectors (any real dtype).

    Returns:
        ``(mu, sigma)``: ``mu`` ``[d]`` is the sample mean and ``sigma``
        ``[d, d]`` the unbiased sample covariance (``ddof=1``), both float64.

    Raises:
        ValueError: naming ``features`` if it is not 2-D, has fewer than 2
            rows, or holds NaN/Inf.

    Warns:
        UserWarning: when N < d: ``sigma`` is then singular (rank <= N - 1) and
            FID estimated from it is strongly biased.

    Example:

    >>> mu, sigma = kgen.metrics.feature_statistics(np.random.randn(500, 16))
    >>> mu.shape, sigma.shape
    ((16,), (16, 16))
    """
    x = _arrays.features("features", features)
    warn_if_few_samples("features", x.shape[0], x.shape[1])
    mu = x.mean(axis=0)
    centered = x - mu
    sigma = centered.T @ centered / (x.shape[0] - 1)
    return mu, (sigma + sigma.T) / 2.0  # exactly symmetric, whatever BLAS's blocking


def warn_if_few_samples(name, num_samples, num_features):
    """Warns that a covariance from fewer samples than features is singular."""
    if num_samples < num_features:
        warnings.warn(
            f"`{name}` has fewer samples than features (N={num_samples} < d={num_features}): "
            f"its covariance is singular (rank <= N - 1) and FID from it is strongly biased. "
            f"Use N >= d (FID is usually reported with N = 10,000 or 50,000).", stacklevel=3)


def frechet_distance(features_1, features_2, method="eigh"):
    """Fréchet distance (FID) between two feature sets.

    Fits a Gaussian to each set (``feature_statistics``) and returns
    ``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))`` (Heusel et al. 2017,
    arXiv:1706.08500, sec. 3). Symmetric in its arguments.

    Args:
        features_1: array ``[N1, d]`` (e.g. real images' InceptionV3 pool3
            features), N1 >= 2.
        features_2: array ``[N2, d]`` (e.g. generated images' features).
        method: ``"eigh"`` (default) or ``"sqrtm"``, how the trace of the matrix
            square root is computed (see ``frechet_distance_from_statistics``).

    Returns:
        float, the squared distance in squared feature units; 0 for identical
        sets (up to rounding: it may be a tiny negative number, about -1e-12
        times the trace).

    Raises:
        ValueError: naming the argument if a feature set is not 2-D, has fewer
            than 2 samples or holds NaN/Inf, if the two differ in their number
            of features, or on an unknown ``method``.

    Warns:
        UserWarning: when a set has fewer samples than features.

    Example:

    >>> real, fake = np.random.randn(2000, 64), np.random.randn(2000, 64) + 0.1
    >>> kgen.metrics.frechet_distance(real, fake)   # about 64 * 0.1**2 + bias
    """
    x1 = _arrays.features("features_1", features_1)
    x2 = _arrays.features("features_2", features_2)
    _arrays.same_num_features("features_1", x1, "features_2", x2)
    _check_method(method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # re-issued below with the argument's name
        mu1, sigma1 = feature_statistics(x1)
        mu2, sigma2 = feature_statistics(x2)
    warn_if_few_samples("features_1", *x1.shape)
    warn_if_few_samples("features_2", *x2.shape)
    return frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2, method=method)


def frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2, method="eigh", eps=1e-6):
    """Fréchet distance between two Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    ``d^2 = |mu1 - mu2|^2 + Tr(sigma1) + Tr(sigma2) - 2 Tr((sigma1 sigma2)^(1/2))``
    (Heusel et al. 2017, arXiv:1706.08500, sec. 3), in float64.

    ``Tr((S1 S2)^(1/2))`` is the sum of the square roots of the eigenvalues of
    ``S1 S2``, which are those of the symmetric PSD matrix ``S1^(1/2) S2 S1^(1/2)``.

    - ``method="eigh"`` (default, the more exact): ``S1^(1/2)`` from a symmetric
      eigendecomposition of ``S1``, then the eigenvalues of the symmetrized
      ``S1^(1/2) S2 S1^(1/2)`` by ``numpy.linalg.eigvalsh``. Symmetric
      eigensolvers are backward stable and give real eigenvalues, so there is no
      imaginary part to drop; eigenvalues that rounding makes slightly negative
      (``|lambda| <= 10 d eps_dtype lambda_max``) are set to 0, larger negative
      ones mean a covariance is not positive semi-definite (``ValueError``). A
      singular product (e.g. N < d) needs no offset: its zero eigenvalues
      contribute 0, and ``eps`` is unused.
    - ``method="sqrtm"``: the reference code's path (TTUR / pytorch-fid):
      ``scipy.linalg.sqrtm(S1 @ S2)``. If that is not finite (a singular
      product), ``eps * I`` is added to both covariances and the root taken
      again, with a warning, as the reference does. Its imaginary part is
      dropped when negligible (largest ``|Im|`` on the diagonal at most
      ``1e-3 * max(1, largest |Re| on the diagonal)``: the reference's ``atol=1e-3``
      made relative to the features' scale), else ``ValueError``.

    The two agree to about 1e-10 relative on well-conditioned statistics.

    Args:
        mu1: array ``[d]``, mean of the first set.
        sigma1: array ``[d, d]``, its covariance (symmetric PSD).
        mu2: array ``[d]``, mean of the second set.
        sigma2: array ``[d, d]``, its covariance.
        method: ``"eigh"`` or ``"sqrtm"``.
        eps: float >= 0, the diagonal offset of the ``"sqrtm"`` path (1e-6 as in
            the reference code).

    Returns:
        float, the squared distance in squared feature units.

    Raises:
        ValueError: naming the argument on a wrong shape, NaN/Inf, mismatched
            sizes, a non-symmetric or non-PSD covariance, an imaginary part that
            is not negligible (``"sqrtm"``), or an unknown ``method``.

    Example:

    >>> d, m = 8, 0.5    # N(0, I) vs N(m 1, I): d^2 = d m^2 = 2.0
    >>> kgen.metrics.frechet_distance_from_statistics(
    ...     np.zeros(d), np.eye(d), np.full(d, m), np.eye(d))
    2.0
    """
    _check_method(method)
    mu1, sigma1 = _checked_statistics("mu1", mu1, "sigma1", sigma1)
    mu2, sigma2 = _checked_statistics("mu2", mu2, "sigma2", sigma2)
    _arrays.same_num_features("mu1", mu1, "mu2", mu2)
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"`eps` must be a finite number >= 0. Received: eps={eps}")
    s1, s2 = sigma1.astype(np.float64), sigma2.astype(np.float64)
    rtol = 10 * mu1.shape[0] * max(_epsilon(sigma1), _epsilon(sigma2))
    diff = mu1.astype(np.float64) - mu2.astype(np.float64)
    if method == "eigh":
        trace_sqrt = _trace_sqrt_eigh(s1, s2, rtol)
    else:
        trace_sqrt = _trace_sqrt_sqrtm(s1, s2, eps)
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt)


def _trace_sqrt_eigh(sigma1, sigma2, rtol):
    """``Tr((S1 S2)^(1/2))`` as ``sum sqrt(eig(S1^(1/2) S2 S1^(1/2)))``."""
    w1, v1 = np.linalg.eigh(sigma1)
    w1 = _clip_rounding("sigma1", w1, rtol)
    root1 = (v1 * np.sqrt(w1)) @ v1.T
    product = root1 @ sigma2 @ root1
    w = np.linalg.eigvalsh((product + product.T) / 2.0)
    return float(np.sum(np.sqrt(_clip_rounding("sigma2", w, rtol))))


def _clip_rounding(name, eigenvalues, rtol):
    """Sets rounding-size negative eigenvalues to 0; larger ones are an error."""
    scale = max(float(np.max(np.abs(eigenvalues))), np.finfo(np.float64).tiny)
    lowest = float(np.min(eigenvalues))
    if lowest < -rtol * scale:
        raise ValueError(
            f"`{name}` must be a positive semi-definite covariance. Received: {name} "
            f"giving an eigenvalue {lowest:.3g} (largest {scale:.3g}; rounding allows "
            f"{-rtol * scale:.3g})")
    return np.maximum(eigenvalues, 0.0)


def _trace_sqrt_sqrtm(sigma1, sigma2, eps):
    """``Tr((S1 S2)^(1/2))`` by ``scipy.linalg.sqrtm``, as the reference code."""
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.all(np.isfinite(root)):
        warnings.warn(f"The product sigma1 @ sigma2 is singular: adding eps={eps:g} to the "
                      f"diagonal of both covariances, as the reference FID code does.",
                      stacklevel=3)
        offset = eps * np.eye(sigma1.shape[0])
        root = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
        if not np.all(np.isfinite(root)):
            raise ValueError(f"`sigma1` @ `sigma2` has no finite square root even with "
                             f"eps={eps:g} added. Received: covariances of trace "
                             f"{np.trace(sigma1):.3g} and {np.trace(sigma2):.3g}")
    diagonal = np.diagonal(root)
    if np.iscomplexobj(root):
        imaginary = float(np.max(np.abs(diagonal.imag)))
        allowed = 1e-3 * max(1.0, float(np.max(np.abs(diagonal.real))))
        if imaginary > allowed:
            raise ValueError(
                f"The square root of `sigma1` @ `sigma2` has an imaginary part that is not "
                f"negligible: largest |Im| on its diagonal {imaginary:.3g} > {allowed:.3g}. "
                f"Are both covariances positive semi-definite? Try method='eigh'.")
    return float(np.sum(diagonal.real))


def save_statistics(path, mu, sigma, num_samples):
    """Saves a feature set's statistics to an ``.npz`` file, for reuse as a reference.

    The file holds ``mu`` ``[d]``, ``sigma`` ``[d, d]`` (float64) and
    ``num_samples`` (int64), the layout of the reference code's ``fid_stats_*.npz``
    plus the sample count; ``load_statistics`` reads it back.

    Args:
        path: file path; NumPy appends ``.npz`` when it is missing.
        mu: array ``[d]``.
        sigma: array ``[d, d]``, symmetric.
        num_samples: int >= 2, the number of feature rows behind the statistics.

    Returns:
        str, the path written (with the ``.npz`` suffix).

    Raises:
        ValueError / TypeError: naming the argument on bad statistics or count.

    Example:

    >>> mu, sigma = kgen.metrics.feature_statistics(real_features)
    >>> kgen.metrics.save_statistics("fashion_mnist_test.npz", mu, sigma, len(real_features))
    """
    num_samples = checks.positive_int("num_samples", num_samples, minimum=2)
    mu, sigma = _checked_statistics("mu", mu, "sigma", sigma)
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, mu=mu.astype(np.float64), sigma=sigma.astype(np.float64),
             num_samples=np.int64(num_samples))
    return path


def load_statistics(path):
    """Loads statistics written by ``save_statistics`` (or a reference ``fid_stats_*.npz``).

    Args:
        path: an ``.npz`` file with arrays ``mu`` and ``sigma`` and, optionally,
            ``num_samples`` (the reference code's files lack it).

    Returns:
        ``Statistics(mu, sigma, num_samples)``, a named tuple; ``num_samples``
        is ``None`` when the file does not record it.

    Raises:
        ValueError: naming ``path`` if the file lacks ``mu`` or ``sigma``, or
            naming ``mu``/``sigma`` if they are malformed.

    Example:

    >>> mu, sigma, n = kgen.metrics.load_statistics("fashion_mnist_test.npz")
    """
    with np.load(os.fspath(path), allow_pickle=False) as data:
        missing = sorted({"mu", "sigma"} - set(data.files))
        if missing:
            raise ValueError(f"`path` must be an .npz file with arrays 'mu' and 'sigma'. "
                             f"Received: path={os.fspath(path)!r} without {missing} "
                             f"(it holds {sorted(data.files)})")
        mu, sigma = _checked_statistics("mu", data["mu"], "sigma", data["sigma"])
        num_samples = int(data["num_samples"]) if "num_samples" in data.files else None
    return Statistics(mu.astype(np.float64), sigma.astype(np.float64), num_samples)


def _checked_statistics(mu_name, mu, sigma_name, sigma):
    """Checks a mean ``[d]`` and a symmetric covariance ``[d, d]``; keeps their dtypes."""
    mu = _arrays.finite(mu_name, _arrays.numeric_array(mu_name, mu))
    sigma = _arrays.finite(sigma_name, _arrays.numeric_array(sigma_name, sigma))
    if mu.ndim != 1 or mu.shape[0] < 1:
        raise ValueError(f"`{mu_name}` must be a 1-D mean vector [num_features]. "
                         f"Received: {mu_name}.shape={mu.shape}")
    d = mu.shape[0]
    if sigma.shape != (d, d):
        raise ValueError(f"`{sigma_name}` must be a covariance of shape [{d}, {d}] to match "
                         f"`{mu_name}`. Received: {sigma_name}.shape={sigma.shape}")
    if not np.issubdtype(mu.dtype, np.floating):
        mu = mu.astype(np.float64)
    if not np.issubdtype(sigma.dtype, np.floating):
        sigma = sigma.astype(np.float64)
    asymmetry = float(np.max(np.abs(sigma - sigma.T)))
    scale = float(np.max(np.abs(sigma)))
    if asymmetry > 10 * d * _epsilon(sigma) * max(scale, np.finfo(np.float64).tiny):
        raise ValueError(f"`{sigma_name}` must be a symmetric covariance. Received: "
                         f"{sigma_name} with max |sigma - sigma.T| = {asymmetry:.3g} "
                         f"(max |sigma| = {scale:.3g})")
    return mu, sigma


def _epsilon(arr):
    """Machine epsilon of ``arr``'s float dtype (float32's for lower precisions)."""
    dtype = arr.dtype if np.finfo(arr.dtype).bits >= 32 else np.float32
    return float(np.finfo(dtype).eps)


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {list(METHODS)}. Received: method={method!r}")
