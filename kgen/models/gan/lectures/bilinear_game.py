"""Gradient dynamics of the bilinear game min_x max_y x y.

The game's only equilibrium is (0, 0); its vector field ``v(x, y) = (-y, x)`` (descent
for x, ascent for y) has a Jacobian with eigenvalues +-i, so gradient flow circles
the origin at constant radius and no step size makes plain gradient steps converge
(Mescheder et al. 2017; Mescheder et al. 2018, sec. 2, the "Dirac-GAN", where the
same field appears as D(x) = psi x against a generator at theta).
With a learning rate ``h``:

* **simultaneous** steps ``x' = x - h y``, ``y' = y + h x`` are the matrix
  ``[[1, -h], [h, 1]] = sqrt(1 + h^2) R(atan h)``, a rotation scaled by
  ``sqrt(1 + h^2)``: every step multiplies the radius by exactly ``sqrt(1 + h^2)``,
  an outward spiral;
* **alternating** steps ``x' = x - h y``, ``y' = y + h x'`` are
  ``A = [[1, -h], [h, 1 - h^2]]`` with det A = 1 and trace 2 - h^2, so for h < 2 the
  iterates stay on the ellipse ``x^2 + y^2 - h x y = const`` (``alternating_invariant``:
  expand ``x'^2 + y'^2 - h x' y'`` with ``y' = y + h x'`` to get
  ``x'^2 + y^2 + h x' y``, then ``x' = x - h y`` gives back ``x^2 + y^2 - h x y``).
  The form is positive definite for h < 2, with eigenvalues ``1 -+ h / 2``, so the
  radius stays within ``sqrt((1 + h/2) / (1 - h/2))`` of its start (``orbit_bound``);
* **averaged** alternating iterates converge to the equilibrium at rate 1/T: their
  sum is ``sum_{t<T} A^t z_0 = (I - A)^{-1} (I - A^T) z_0``, bounded because A^T is,
  so the mean of the first T iterates is at most ``C / T`` from (0, 0) (the iterate
  averaging of Gidel et al. 2019; the simultaneous iterates' mean still diverges).

Everything is float64 NumPy; a trajectory is ``(steps + 1, 2)``, ``z_0`` first.

References:
    1. Mescheder, Nowozin, Geiger, "The Numerics of GANs", NeurIPS 2017.
       https://arxiv.org/abs/1705.10461
    2. Mescheder, Geiger, Nowozin, "Which Training Methods for GANs do actually
       Converge?", ICML 2018. https://arxiv.org/abs/1801.04406
    3. Gidel et al., "A Variational Inequality Perspective on Generative Adversarial
       Networks", ICLR 2019. https://arxiv.org/abs/1802.10551
"""

import numpy as np

from kgen import checks


def _start(z0, lr, steps):
    z0 = np.asarray(z0, np.float64)
    if z0.shape != (2,) or not np.all(np.isfinite(z0)):
        raise ValueError(f"`z0` must be a finite (x, y) pair. Received: z0={z0!r}")
    if checks.non_negative_float("lr", lr) == 0:
        raise ValueError(f"`lr` must be > 0. Received: lr={lr}")
    return z0, float(lr), checks.positive_int("steps", steps)


def simultaneous(z0, lr, steps):
    """Simultaneous gradient descent-ascent on x y: ``x' = x - lr y, y' = y + lr x``.

    Args:
        z0: ``(x, y)`` start.
        lr: float > 0, the step size of both players.
        steps: int >= 1.

    Returns:
        float64 ``(steps + 1, 2)`` trajectory.

    Raises:
        ValueError: naming ``z0``, ``lr`` or ``steps``.
    """
    z, lr, steps = _start(z0, lr, steps)
    out = [z]
    for _ in range(steps):
        x, y = out[-1]
        out.append(np.array([x - lr * y, y + lr * x]))
    return np.stack(out)


def alternating(z0, lr, steps):
    """Alternating gradient descent-ascent on x y: ``x' = x - lr y``, then
    ``y' = y + lr x'`` (the second player sees the first's new value, as in a GAN
    whose generator step follows the discriminator's). Arguments as ``simultaneous``."""
    z, lr, steps = _start(z0, lr, steps)
    out = [z]
    for _ in range(steps):
        x, y = out[-1]
        x = x - lr * y
        out.append(np.array([x, y + lr * x]))
    return np.stack(out)


def alternating_invariant(trajectory, lr):
    """``x^2 + y^2 - lr x y`` of each point, ``(n,)``: constant along ``alternating``."""
    z = np.asarray(trajectory, np.float64)
    return z[..., 0] ** 2 + z[..., 1] ** 2 - lr * z[..., 0] * z[..., 1]


def radius(trajectory):
    """The distance of each point from the equilibrium (0, 0), ``(n,)``."""
    return np.linalg.norm(np.asarray(trajectory, np.float64), axis=-1)


def orbit_bound(z0, lr):
    """The largest radius an ``alternating`` trajectory from ``z0`` can reach:
    ``sqrt(V(z0) / (1 - lr / 2))`` with V the invariant (lr < 2)."""
    if not 0 < lr < 2:
        raise ValueError(f"`lr` must be in (0, 2) for a bounded orbit. Received: lr={lr}")
    return float(np.sqrt(alternating_invariant(np.asarray(z0, np.float64), lr) / (1 - lr / 2)))


def running_average(trajectory):
    """The mean of the first t + 1 points for every t, ``(n, 2)`` (iterate averaging)."""
    z = np.asarray(trajectory, np.float64)
    return np.cumsum(z, axis=0) / np.arange(1, len(z) + 1)[:, None]


def alternating_average_limit_constant(z0, lr):
    """C with ``|mean of the first T alternating iterates| <= C / T`` for every T:
    ``|(I - A)^{-1}| (|z0| + max_t |A^t z0|)``, the latter at most ``orbit_bound``."""
    a = np.array([[1.0, -lr], [lr, 1.0 - lr ** 2]])
    inverse_norm = np.linalg.norm(np.linalg.inv(np.eye(2) - a), 2)
    return float(inverse_norm * (np.linalg.norm(z0) + orbit_bound(z0, lr)))


__all__ = ["alternating", "alternating_average_limit_constant", "alternating_invariant",
           "orbit_bound", "radius", "running_average", "simultaneous"]
