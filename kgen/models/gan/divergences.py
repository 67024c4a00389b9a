"""The f-divergences of f-GAN: generator functions, output activations and conjugates.

An f-divergence of P from Q with densities p, q is ``D_f(P || Q) = int q(x) f(p(x) / q(x))
dx`` for a convex f with f(1) = 0. With the convex conjugate ``f*(t) = sup_u (u t - f(u))``
every function T gives the lower bound (Nguyen et al. 2010; Nowozin et al. 2016, eq. 4)::

    D_f(P || Q) >= E_P[T(x)] - E_Q[f*(T(x))],

tight at T(x) = f'(p(x) / q(x)). f-GAN writes T = g_f(V) for a critic V with outputs in
R and an output activation g_f into the domain of f* (Nowozin et al., Table 2):

| name | f(u) (Table 1) | g_f(v) | f*(t) | f*(g_f(v)), as computed |
| --- | --- | --- | --- | --- |
| ``kl`` | u log u | v | exp(t - 1) | exp(v - 1) |
| ``reverse_kl`` | -log u | -exp(-v) | -1 - log(-t) | v - 1 |
| ``pearson`` | (u - 1)^2 | v | t^2 / 4 + t | v^2 / 4 + v |
| ``squared_hellinger`` | (sqrt(u) - 1)^2 | 1 - exp(-v) | t / (1 - t) | expm1(v) |
| ``jensen_shannon`` | (below) | log 2 - softplus(-v) | -log(2 - exp(t)) | softplus(v) - log 2 |

The last column is f*(g_f(v)) simplified, so that it stays finite where g_f(v) rounds to
the edge of f*'s domain (g_f(30) is 1 in float32 for the squared Hellinger distance).

Conventions, checked against the conjugates (``tests/models/gan/test_fgan_divergences.py``):

- ``jensen_shannon`` is the paper's "Jensen-Shannon" row, whose f* is the conjugate of
  f(u) = u log u - (u + 1) log((1 + u) / 2): D_f = KL(P || M) + KL(Q || M) with
  M = (P + Q) / 2, **twice** the usual Jensen-Shannon divergence (which carries a factor
  1/2 and is at most log 2; this f and f* carry none). It lies in [0, 2 log 2] nats; the
  bound is 2 log 2 - (the GAN discriminator's cross-entropy loss), so the critic's
  gradients are the GAN's. The paper's separate "GAN" row (f(u) = u log u - (u + 1)
  log(u + 1), D = 2 JSD - log 4) is not offered.
- ``pearson``'s f* is the conjugate of (u - 1)^2 over all real u, as in Table 2; over
  u >= 0 it would be -1 for t < -2. The larger f* only lowers the bound, which stays
  valid and is still tight, at T = 2 (p / q - 1) >= -2.
- ``reverse_kl`` is KL(Q || P); ``squared_hellinger`` is int (sqrt(p) - sqrt(q))^2
  dx = 2 (1 - BC) with no factor 1/2, in [0, 2].

All are in nats. ``gaussian_divergence`` gives D_f between two 1-D Gaussians: in closed
form for ``kl``, ``reverse_kl``, ``pearson`` (finite only if 2 s_q^2 > s_p^2) and
``squared_hellinger``, by quadrature (``scipy.integrate.quad``) for ``jensen_shannon``.

References:
    1. Nowozin, Cseke, Tomioka, "f-GAN: Training Generative Neural Samplers using
       Variational Divergence Minimization", NeurIPS 2016.
       https://arxiv.org/abs/1606.00709
    2. Nguyen, Wainwright, Jordan, "Estimating divergence functionals and the likelihood
       ratio by convex risk minimization", IEEE Trans. Inf. Theory 2010.
       https://arxiv.org/abs/0809.0853
"""

import dataclasses
import math
from typing import Callable, Optional

import numpy as np
import tensorflow as tf
from scipy import special

from kgen import checks

LOG_2 = math.log(2.0)


@dataclasses.dataclass(frozen=True)
class Divergence:
    """One f-divergence of f-GAN's Table 2.

    Args:
        name: str, the name ``FGAN(divergence=...)`` takes.
        f: NumPy ``f(u)``, the generator function (u = p / q >= 0), for reference
            computations.
        f_prime: NumPy ``f'(u)``; T = f'(p / q) is the critic that makes the bound tight.
        activation: ``g_f(v)``, tensors in and out: the critic's output activation,
            onto the domain of ``conjugate``.
        conjugate: ``f*(t)``, tensors, for t in that domain.
        activation_conjugate: ``f*(g_f(v))`` in a form that stays finite for every
            finite v.
        gaussian: ``None`` or ``fn(mu_p, sigma_p, mu_q, sigma_q) -> float``, D_f between
            two 1-D Gaussians in closed form.
    """

    name: str
    f: Callable
    f_prime: Callable
    activation: Callable
    conjugate: Callable
    activation_conjugate: Callable
    gaussian: Optional[Callable] = None

    def bound_terms(self, real, fake):
        """Per-example terms of the lower bound, ``[batch]`` in nats:
        g_f(V(x_i)) - f*(g_f(V(G(z_i)))), from the critic's raw outputs on real data
        (``real``) and generated data (``fake``); their mean is the bound."""
        real, fake = tf.convert_to_tensor(real), tf.convert_to_tensor(fake)
        return self.activation(real) - self.activation_conjugate(fake)

    def critic_loss(self, real, fake):
        """The critic's per-example loss, the negated ``bound_terms``."""
        return -self.bound_terms(real, fake)

    def generator_loss(self, fake, alternative=False):
        """G's per-example loss: -f*(g_f(V(G(z)))) (the saddle point of eq. 6), or
        with ``alternative`` -g_f(V(G(z))) (sec. 3.2)."""
        fake = tf.convert_to_tensor(fake)
        return -(self.activation(fake) if alternative else self.activation_conjugate(fake))


# --- the Gaussians' closed forms (p = N(mu1, s1^2), q = N(mu2, s2^2)) -------------------
def _kl_gaussians(mu1, s1, mu2, s2):
    return math.log(s2 / s1) + (s1 ** 2 + (mu1 - mu2) ** 2) / (2 * s2 ** 2) - 0.5


def _pearson_gaussians(mu1, s1, mu2, s2):
    # int p^2 / q - 1, from the order-2 Renyi integral; infinite unless 2 s2^2 > s1^2.
    width = 2 * s2 ** 2 - s1 ** 2
    if width <= 0:
        return math.inf
    return s2 ** 2 / (s1 * math.sqrt(width)) * math.exp((mu1 - mu2) ** 2 / width) - 1.0


def _hellinger_gaussians(mu1, s1, mu2, s2):
    # 2 (1 - BC), BC = int sqrt(p q) the Bhattacharyya coefficient.
    total = s1 ** 2 + s2 ** 2
    bc = math.sqrt(2 * s1 * s2 / total) * math.exp(-(mu1 - mu2) ** 2 / (4 * total))
    return 2.0 * (1.0 - bc)


def _js_f(u):
    u = np.asarray(u, np.float64)
    return special.xlogy(u, u) - (u + 1.0) * np.log1p(u) + (u + 1.0) * LOG_2


DIVERGENCES = {d.name: d for d in (
    Divergence(
        "kl", f=lambda u: special.xlogy(u, u), f_prime=lambda u: 1.0 + np.log(u),
        activation=lambda v: v,
        conjugate=lambda t: tf.exp(t - 1.0),
        activation_conjugate=lambda v: tf.exp(v - 1.0),
        gaussian=_kl_gaussians),
    Divergence(
        "reverse_kl", f=lambda u: -np.log(u), f_prime=lambda u: -1.0 / np.asarray(u),
        activation=lambda v: -tf.exp(-v),
        conjugate=lambda t: -1.0 - tf.math.log(-t),
        activation_conjugate=lambda v: v - 1.0,
        gaussian=lambda mu1, s1, mu2, s2: _kl_gaussians(mu2, s2, mu1, s1)),
    Divergence(
        "jensen_shannon", f=_js_f,
        f_prime=lambda u: LOG_2 + np.log(u) - np.log1p(u),
        activation=lambda v: LOG_2 - tf.nn.softplus(-v),
        conjugate=lambda t: -tf.math.log(2.0 - tf.exp(t)),
        activation_conjugate=lambda v: tf.nn.softplus(v) - LOG_2),
    Divergence(
        "pearson", f=lambda u: np.square(np.asarray(u) - 1.0),
        f_prime=lambda u: 2.0 * (np.asarray(u) - 1.0),
        activation=lambda v: v,
        conjugate=lambda t: 0.25 * tf.square(t) + t,
        activation_conjugate=lambda v: 0.25 * tf.square(v) + v,
        gaussian=_pearson_gaussians),
    Divergence(
        "squared_hellinger", f=lambda u: np.square(np.sqrt(u) - 1.0),
        f_prime=lambda u: 1.0 - 1.0 / np.sqrt(u),
        activation=lambda v: -tf.math.expm1(-v),
        conjugate=lambda t: t / (1.0 - t),
        activation_conjugate=tf.math.expm1,
        gaussian=_hellinger_gaussians),
)}


def get(name):
    """The ``Divergence`` called ``name``.

    Raises:
        ValueError: naming ``divergence`` and listing the choices.
    """
    checks.one_of("divergence", name, available())
    return DIVERGENCES[name]


def available():
    """The divergence names, sorted."""
    return tuple(sorted(DIVERGENCES))


def gaussian_divergence(divergence, mu_p, sigma_p, mu_q, sigma_q, method="auto"):
    """D_f(P || Q) in nats for P = N(mu_p, sigma_p^2) and Q = N(mu_q, sigma_q^2) in 1-D.

    Args:
        divergence: a name of ``available()``.
        mu_p, sigma_p, mu_q, sigma_q: floats, the means and standard deviations (> 0).
        method: ``"auto"`` (closed form where there is one, else quadrature),
            ``"closed_form"`` or ``"quadrature"`` (``scipy.integrate.quad`` of
            q f(p / q) over the real line).

    Returns:
        float; ``inf`` for ``pearson`` when 2 sigma_q^2 <= sigma_p^2.

    Raises:
        ValueError: naming ``divergence``, ``method``, ``sigma_p`` or ``sigma_q``.
    """
    div = get(divergence)
    checks.one_of("method", method, ("auto", "closed_form", "quadrature"))
    for name, value in (("sigma_p", sigma_p), ("sigma_q", sigma_q)):
        if checks.non_negative_float(name, value) == 0:
            raise ValueError(f"`{name}` must be > 0. Received: {name}={value}")
    args = tuple(float(a) for a in (mu_p, sigma_p, mu_q, sigma_q))
    if method == "closed_form" and div.gaussian is None:
        raise ValueError(f"`method` 'closed_form' needs a closed form, which "
                         f"{divergence!r} has not. Received: method={method!r}")
    if method != "quadrature" and div.gaussian is not None:
        return float(div.gaussian(*args))
    return _quadrature(div, *args)


def _quadrature(div, mu1, s1, mu2, s2):
    from scipy import integrate, stats

    p, q = stats.norm(mu1, s1), stats.norm(mu2, s2)

    def integrand(x):
        # The log ratio is clipped to +-300 (u in [1e-130, 1e130], f(u) finite), which
        # changes the integrand only where p or q is below about 1e-130 of the other.
        log_p, log_q = p.logpdf(x), q.logpdf(x)
        u = math.exp(min(max(log_p - log_q, -300.0), 300.0))
        if log_p > log_q:  # q f(p / q) = p f(u) / u: no overflow where q is tiny
            return math.exp(log_p) * float(div.f(u)) / u
        return math.exp(log_q) * float(div.f(u))

    low = min(mu1 - 30 * s1, mu2 - 30 * s2)
    high = max(mu1 + 30 * s1, mu2 + 30 * s2)
    points = sorted({mu1 - s1, mu1, mu1 + s1, mu2 - s2, mu2, mu2 + s2})
    value, _ = integrate.quad(integrand, low, high, points=points, limit=400,
                              epsabs=1e-12, epsrel=1e-10)
    return float(value)


__all__ = ["DIVERGENCES", "Divergence", "available", "gaussian_divergence", "get"]
