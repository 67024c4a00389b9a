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


def _ring(n, rng):
    k = rng.integers(0, RING_MODES, size=n)
    angle = 2 * np.pi * k / RING_MODES
    centers = RING_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centers + RING_STD * rng.standard_normal((n, 2)), k


def grid_centers():
    """Returns the 25 centers of ``grid_of_gaussians`` as a ``(25, 2)`` array."""
    offsets = (np.arange(GRID_SIZE) - (GRID_SIZE - 1) / 2) * GRID_SPACING
    gx, gy = np.meshgrid(offsets, offsets, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _grid(n, rng):
    centers = grid_centers()
    k = rng.integers(0, len(centers), size=n)
    return centers[k] + GRID_STD * rng.standard_normal((n, 2)), k


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


def sample_toy(name, num_examples=10_000, seed=None, with_labels=False):
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

    Returns:
        float32 ``np.ndarray`` of shape ``(num_examples, 2)``, or a pair of it
        and an int64 array of shape ``(num_examples,)`` if ``with_labels``.

    Raises:
        ValueError: on an unknown ``name``, ``num_examples < 1`` or a
            negative ``seed``.
        TypeError: if ``num_examples`` or ``seed`` is not an integer.

    Example:

    >>> x = sample_toy("ring_of_gaussians", num_examples=1000, seed=0)
    >>> x.shape, x.dtype
    ((1000, 2), dtype('float32'))
    >>> bool(abs(np.linalg.norm(x, axis=1).mean() - 2.0) < 0.01)
    True
    """
    checks.one_of("name", name, NAMES)
    num_examples = checks.positive_int("num_examples", num_examples)
    seed = checks.seed("seed", seed)
    x, labels = _SAMPLERS[name](num_examples, np.random.default_rng(seed))
    x = x.astype(np.float32)
    if with_labels:
        return x, labels.astype(np.int64)
    return x
