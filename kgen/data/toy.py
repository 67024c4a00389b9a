"""The standard 2-D toy densities used to probe generative models.

Each density is sampled i.i.d. with NumPy from a ``seed``; for mixtures the
component of every point is drawn first, so component counts are random too.

| name | density | from |
| --- | --- | --- |
| ``ring_of_gaussians`` | 8 Gaussians, std 0.02, evenly spaced on a circle of radius 2 | Metz et al. 2017 |
| ``grid_of_gaussians`` | 25 Gaussians, std 0.05, on the grid {-2,...,2}^2 | Srivastava et al. 2017 |
| ``two_moons`` | two interleaved half circles of radius 1, Gaussian noise std 0.05 | scikit-learn ``make_moons`` |
| ``spirals`` | two interleaved spirals, noise std 0.1 | Grathwohl et al. 2019 |
| ``checkerboard`` | uniform on the 8 "black" 2x2 squares of a 4x4 board on [-4, 4]^2 | Grathwohl et al. 2019 |

The two mixtures take parameters (``PARAMS``; ``PACGAN`` holds Lin et al.'s settings: a
ring of radius 1 with std 0.01, a grid at {-4, -2, 0, 2, 4}^2 with std 0.05).
``toy_log_prob`` is the exact log-density of the mixtures and the checkerboard (for
KL(p || q) of a density model), ``mode_centers`` the mixtures' modes, and
``mode_coverage`` VEEGAN's and PacGAN's mode-collapse figures of a model's samples.

References:
    1. Metz, Poole, Pfau, Sohl-Dickstein. "Unrolled Generative Adversarial
       Networks." ICLR 2017. https://arxiv.org/abs/1611.02163
    2. Srivastava, Valkov, Russell, Gutmann, Sutton. "VEEGAN: Reducing Mode
       Collapse in GANs using Implicit Variational Learning." NeurIPS 2017.
       https://arxiv.org/abs/1705.07761
    3. Grathwohl, Chen, Bettencourt, Sutskever, Duvenaud. "FFJORD: Free-form
       Continuous Dynamics for Scalable Reversible Generative Models."
       ICLR 2019. https://arxiv.org/abs/1810.01367
    4. Durkan, Bekasov, Murray, Papamakarios. "Neural Spline Flows."
       NeurIPS 2019. https://arxiv.org/abs/1906.04032 (same checkerboard).
    5. Lin, Khetan, Fanti, Oh. "PacGAN: The power of two samples in generative
       adversarial networks." NeurIPS 2018. https://arxiv.org/abs/1712.04086
"""

import numpy as np

from kgen import checks

RING_RADIUS = 2.0
RING_MODES = 8
RING_STD = 0.02
GRID_SIZE = 5
GRID_SPACING = 1.0
GRID_STD = 0.05
MOONS_NOISE = 0.05
SPIRALS_TURN = 3 * np.pi  # the spirals run over angles [0, 3*pi] (540 degrees)
SPIRALS_SCALE = 1.0 / 3.0  # radius = SPIRALS_SCALE * angle, so at most pi
SPIRALS_NOISE = 0.1


def _ring(n, rng, radius=RING_RADIUS, std=RING_STD, num_modes=RING_MODES):
    centers = ring_centers(radius, num_modes)
    k = rng.integers(0, num_modes, size=n)
    return centers[k] + std * rng.standard_normal((n, 2)), k


def ring_centers(radius=RING_RADIUS, num_modes=RING_MODES):
    """Returns the centers of ``ring_of_gaussians``, ``(num_modes, 2)``: angles 2 pi k / K."""
    angle = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def grid_centers(spacing=GRID_SPACING, size=GRID_SIZE):
    """Returns the ``size ** 2`` centers of ``grid_of_gaussians`` as a ``(25, 2)`` array
    by default (row-major over x then y), ``spacing`` apart around the origin."""
    offsets = (np.arange(size) - (size - 1) / 2) * spacing
    gx, gy = np.meshgrid(offsets, offsets, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _grid(n, rng, spacing=GRID_SPACING, std=GRID_STD, size=GRID_SIZE):
    centers = grid_centers(spacing, size)
    k = rng.integers(0, len(centers), size=n)
    return centers[k] + std * rng.standard_normal((n, 2)), k


def _moons(n, rng):
    k = rng.integers(0, 2, size=n)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where(k[:, None] == 0, upper, lower)
    return x + MOONS_NOISE * rng.standard_normal((n, 2)), k


def _spirals(n, rng):
    k = rng.integers(0, 2, size=n)
    theta = SPIRALS_TURN * np.sqrt(rng.uniform(size=n))  # uniform along the arc
    arm = SPIRALS_SCALE * theta[:, None] * np.stack([-np.cos(theta), np.sin(theta)], axis=1)
    sign = np.where(k == 0, 1.0, -1.0)[:, None]
    return sign * arm + SPIRALS_NOISE * rng.standard_normal((n, 2)), k


def _checkerboard(n, rng):
    # FFJORD's construction: x1 ~ U[-2, 2); x2 is uniform on the two unit
    # intervals of its column's colour; both are then scaled by 2.
    x1 = rng.uniform(-2.0, 2.0, size=n)
    x2 = rng.uniform(size=n) - 2.0 * rng.integers(0, 2, size=n) + np.mod(np.floor(x1), 2)
    x = 2.0 * np.stack([x1, x2], axis=1)
    i, j = np.floor(x[:, 0] / 2).astype(int), np.floor(x[:, 1] / 2).astype(int)
    return x, (i + 2) * 2 + (j + 2) // 2


_SAMPLERS = {
    "ring_of_gaussians": _ring,
    "grid_of_gaussians": _grid,
    "two_moons": _moons,
    "spirals": _spirals,
    "checkerboard": _checkerboard,
}
NAMES = tuple(sorted(_SAMPLERS))
# The parameters each density takes (``sample_toy(name, ..., **params)``) and their defaults.
PARAMS = {
    "ring_of_gaussians": {"radius": RING_RADIUS, "std": RING_STD, "num_modes": RING_MODES},
    "grid_of_gaussians": {"spacing": GRID_SPACING, "std": GRID_STD, "size": GRID_SIZE},
    "two_moons": {}, "spirals": {}, "checkerboard": {},
}
# The mode-collapse settings of PacGAN (Lin et al. 2018, sec. 5.1, after VEEGAN):
# ``sample_toy("ring_of_gaussians", 2500, seed=0, **PACGAN["ring_of_gaussians"])``.
PACGAN = {
    "ring_of_gaussians": {"radius": 1.0, "std": 0.01},
    "grid_of_gaussians": {"spacing": 2.0, "std": 0.05},  # centres {-4, -2, 0, 2, 4}^2
}


def toy_params(name, **params):
    """The full parameters of density ``name``: its defaults updated with ``params``.

    Raises:
        ValueError: naming ``name`` if unknown, or the first parameter the density does
            not take or whose value is invalid (``std`` and ``radius`` / ``spacing``
            must be > 0, ``num_modes`` / ``size`` integers >= 1).
    """
    checks.one_of("name", name, NAMES)
    unknown = sorted(set(params) - set(PARAMS[name]))
    if unknown:
        raise ValueError(f"`{unknown[0]}` is not a parameter of {name!r}, which takes "
                         f"{sorted(PARAMS[name])}. Received: {unknown[0]}={params[unknown[0]]!r}")
    full = {**PARAMS[name], **params}
    for key, value in full.items():
        if key in ("num_modes", "size"):
            full[key] = checks.positive_int(key, value)
        elif checks.non_negative_float(key, value) == 0:
            raise ValueError(f"`{key}` must be > 0. Received: {key}={value}")
        else:
            full[key] = float(value)
    return full


def sample_toy(name, num_examples=10_000, seed=None, with_labels=False, **params):
    """Draws i.i.d. points from one of the standard 2-D toy densities.

    Args:
        name: one of ``"checkerboard"``, ``"grid_of_gaussians"``,
            ``"ring_of_gaussians"``, ``"spirals"``, ``"two_moons"`` (see the
            module docstring for each density and its source).
        num_examples: number of points, an integer >= 1.
        seed: ``None`` (fresh randomness) or an integer >= 0; the same seed
            gives the same points.
        with_labels: if True, also return the component of each point:
            the mode (0..7) for the ring, the grid cell (0..24, row-major over
            x then y) for the grid, the moon or spiral arm (0 or 1), or the
            black square (0..7) for the checkerboard.
        **params: the mixtures' parameters (``PARAMS``): ``radius``, ``std``,
            ``num_modes`` of the ring; ``spacing``, ``std``, ``size`` of the grid;
            e.g. ``**PACGAN[name]`` for PacGAN's settings.

    Returns:
        float32 ``np.ndarray`` of shape ``(num_examples, 2)``, or a pair of it
        and an int64 array of shape ``(num_examples,)`` if ``with_labels``.

    Raises:
        ValueError: on an unknown ``name`` or parameter, ``num_examples < 1`` or a
            negative ``seed``.
        TypeError: if ``num_examples`` or ``seed`` is not an integer.

    Example:

    >>> x = sample_toy("ring_of_gaussians", num_examples=1000, seed=0)
    >>> x.shape, x.dtype
    ((1000, 2), dtype('float32'))
    >>> bool(abs(np.linalg.norm(x, axis=1).mean() - 2.0) < 0.01)
    True
    """
    params = toy_params(name, **params)
    num_examples = checks.positive_int("num_examples", num_examples)
    seed = checks.seed("seed", seed)
    x, labels = _SAMPLERS[name](num_examples, np.random.default_rng(seed), **params)
    x = x.astype(np.float32)
    if with_labels:
        return x, labels.astype(np.int64)
    return x


_MIXTURES = ("grid_of_gaussians", "ring_of_gaussians")


def mode_centers(name, **params):
    """The modes of a Gaussian mixture toy and their standard deviation.

    Args:
        name: ``"ring_of_gaussians"`` or ``"grid_of_gaussians"``.
        **params: as ``sample_toy``.

    Returns:
        ``(centers, std)``: a float64 ``(K, 2)`` array and a float.

    Raises:
        ValueError: naming ``name`` for a density that is not a Gaussian mixture.
    """
    checks.one_of("name", name, _MIXTURES)
    p = toy_params(name, **params)
    if name == "ring_of_gaussians":
        return ring_centers(p["radius"], p["num_modes"]), p["std"]
    return grid_centers(p["spacing"], p["size"]), p["std"]


def toy_log_prob(name, x, **params):
    """The exact log-density of a toy, in nats, for KL(p || q) estimates.

    For the Gaussian mixtures, log p(x) = logsumexp_k(-|x - mu_k|^2 / (2 std^2))
    - log K - log(2 pi std^2) (equal weights); for the checkerboard, -log 32 on the
    8 black squares of area 4 and -inf elsewhere (``x`` on [-4, 4)^2). The two moons
    and spirals have no closed form here.

    Args:
        name: ``"ring_of_gaussians"``, ``"grid_of_gaussians"`` or ``"checkerboard"``.
        x: ``(n, 2)`` points.
        **params: as ``sample_toy``.

    Returns:
        float64 ``(n,)``, nats.

    Raises:
        ValueError: naming ``name`` for a density without one, or ``x`` if not
            ``(n, 2)`` and finite.
    """
    checks.one_of("name", name, _MIXTURES + ("checkerboard",))
    checks.data_array("x", x, (2,))
    x = np.asarray(x, np.float64)
    if name == "checkerboard":
        toy_params(name, **params)
        i, j = np.floor(x[:, 0] / 2), np.floor(x[:, 1] / 2)
        inside = np.all((x >= -4.0) & (x < 4.0), axis=1) & ((i + j) % 2 == 0)
        return np.where(inside, -np.log(32.0), -np.inf)
    centers, std = mode_centers(name, **params)
    sq = np.sum((x[:, None, :] - centers[None]) ** 2, axis=-1) / (2 * std ** 2)
    low = sq.min(axis=1)
    log_sum = -low + np.log(np.sum(np.exp(-(sq - low[:, None])), axis=1))
    return log_sum - np.log(len(centers)) - np.log(2 * np.pi * std ** 2)


def mode_coverage(samples, name, threshold=3.0, **params):
    """Mode-collapse figures of samples from a Gaussian mixture toy, as VEEGAN
    (Srivastava et al. 2017, sec. 5.1) and PacGAN (Lin et al. 2018, sec. 5.1) count
    them (both on 2,500 samples).

    A sample is *high-quality* when it lies within ``threshold`` standard deviations
    (3) of its nearest mode; a mode is *covered* when it is the nearest mode of at
    least one high-quality sample. ``reverse_kl`` is KL(q || p) between the histogram
    q of the high-quality samples' nearest modes (normalized) and the true, uniform
    mode distribution p: sum_k q_k log(K q_k), 0 for a perfect spread, log K for one
    mode (``inf`` if no sample is high-quality).

    Args:
        samples: ``(n, 2)`` points.
        name: ``"ring_of_gaussians"`` or ``"grid_of_gaussians"``.
        threshold: float > 0, the high-quality radius in standard deviations.
        **params: the density's parameters, e.g. ``**PACGAN[name]``.

    Returns:
        dict with ``modes_covered`` (int), ``num_modes`` (int),
        ``high_quality_fraction`` (float in [0, 1]), ``reverse_kl`` (float, nats) and
        ``counts`` (int ``(K,)``, high-quality samples per mode).

    Raises:
        ValueError: naming ``samples``, ``name`` or ``threshold``.
    """
    checks.data_array("samples", samples, (2,))
    samples = np.asarray(samples, np.float64)
    if checks.non_negative_float("threshold", threshold) == 0:
        raise ValueError(f"`threshold` must be > 0. Received: threshold={threshold}")
    centers, std = mode_centers(name, **params)
    distance = np.linalg.norm(samples[:, None, :] - centers[None], axis=-1)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] < threshold * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    if counts.sum() == 0:
        reverse_kl = float("inf")
    else:
        q = counts / counts.sum()
        reverse_kl = float(np.sum(q[q > 0] * np.log(len(centers) * q[q > 0])))
    return {"modes_covered": int(np.sum(counts > 0)), "num_modes": len(centers),
            "high_quality_fraction": float(good.mean()), "reverse_kl": reverse_kl,
            "counts": counts}
