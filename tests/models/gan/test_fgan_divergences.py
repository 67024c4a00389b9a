"""The f-divergences of f-GAN: conjugates against sup_u (u t - f(u)), the activations'
ranges and stable forms, the Gaussian closed forms against quadrature, and the Fenchel
bound: below the divergence for any critic, equal to it at f'(p / q)."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import optimize, stats

from kgen import testing
from kgen.models.gan import divergences

NAMES = divergences.available()
# Points t inside dom f* (Table 2); pearson's t >= -2, where the sup over u >= 0 is the
# paper's t^2 / 4 + t (below -2 it is -1, see the module's docstring).
POINTS = {"kl": [-2.0, -0.5, 0.0, 1.0, 2.0], "reverse_kl": [-3.0, -1.0, -0.2],
          "pearson": [-1.5, 0.0, 1.0, 3.0], "squared_hellinger": [-2.0, 0.0, 0.5, 0.9],
          "jensen_shannon": [-2.0, 0.0, 0.5, 0.69]}
# The right end of dom f* (Table 2), which g_f must stay below.
EDGE = {"kl": math.inf, "reverse_kl": 0.0, "pearson": math.inf, "squared_hellinger": 1.0,
        "jensen_shannon": math.log(2.0)}
# f'(1), Table 2's last column.
F_PRIME_AT_1 = {"kl": 1.0, "reverse_kl": -1.0, "pearson": 0.0, "squared_hellinger": 0.0,
                "jensen_shannon": 0.0}
# The optimal critic V* = g_f^{-1}(f'(u)) as a function of log u = log p / q.
OPTIMAL_V = {"kl": lambda r: 1.0 + r, "reverse_kl": lambda r: r,
             "pearson": lambda r: 2.0 * np.expm1(r), "squared_hellinger": lambda r: 0.5 * r,
             "jensen_shannon": lambda r: r}
P, Q = (0.0, 1.0), (1.0, 1.25)  # (mean, standard deviation) of the 1-D Gaussians


def _sup(f, t):
    """sup_u (u t - f(u)) over u > 0, by Brent's method on s = log u (unimodal)."""
    res = optimize.minimize_scalar(lambda s: -(math.exp(s) * t - float(f(math.exp(s)))),
                                   bounds=(-30.0, 15.0), method="bounded",
                                   options={"xatol": 1e-11})
    return -res.fun


@pytest.mark.parametrize("name", NAMES)
def test_the_conjugate_is_the_sup_of_ut_minus_f(name):
    div = divergences.get(name)
    assert div.f(1.0) == pytest.approx(0.0, abs=1e-12)
    assert div.f_prime(1.0) == pytest.approx(F_PRIME_AT_1[name], abs=1e-12)
    u = np.array([0.3, 1.0, 2.5])
    numeric = (div.f(u + 1e-6) - div.f(u - 1e-6)) / 2e-6
    np.testing.assert_allclose(div.f_prime(u), numeric, rtol=1e-6, atol=1e-8)
    t = np.array(POINTS[name])
    expected = [_sup(div.f, v) for v in t]
    got = div.conjugate(tf.constant(t, tf.float64)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_the_activation_maps_into_the_domain_and_the_stable_form_is_the_composition(name):
    div = divergences.get(name)
    v = tf.constant(np.linspace(-8.0, 8.0, 161), tf.float64)
    t = div.activation(v).numpy()
    assert np.all(t < EDGE[name])
    np.testing.assert_allclose(div.activation_conjugate(v).numpy(),
                               div.conjugate(tf.constant(t)).numpy(), rtol=1e-9, atol=1e-12)
    # float32 at |v| = 30: the composition of the two rounds g_f(30) to the domain's edge
    # for squared_hellinger / jensen_shannon (f* = inf there); the stable form stays finite.
    wide = tf.constant([-30.0, -10.0, 0.0, 10.0, 30.0])
    assert np.all(np.isfinite(div.activation_conjugate(wide).numpy()))
    assert np.all(np.isfinite(div.activation(wide).numpy()))


@pytest.mark.parametrize("name", [n for n in NAMES if divergences.get(n).gaussian])
@pytest.mark.parametrize("args", [(0.0, 1.0, 1.0, 1.25), (0.5, 1.2, -0.3, 0.9),
                                  (2.0, 0.5, -1.0, 2.0), (0.3, 0.7, 0.3, 0.7)])
def test_the_gaussian_closed_forms_agree_with_quadrature(name, args):
    closed = divergences.gaussian_divergence(name, *args, method="closed_form")
    quadrature = divergences.gaussian_divergence(name, *args, method="quadrature")
    assert closed == pytest.approx(quadrature, rel=1e-6, abs=1e-12)
    assert (closed == 0) == (args[:2] == args[2:])


def test_the_named_divergences_are_the_textbook_ones():
    args = (0.0, 1.0, 1.0, 1.25)
    kl = divergences.gaussian_divergence("kl", *args)
    assert kl == pytest.approx(math.log(1.25) + 2.0 / (2 * 1.25 ** 2) - 0.5)
    assert divergences.gaussian_divergence("reverse_kl", *args) == pytest.approx(
        divergences.gaussian_divergence("kl", 1.0, 1.25, 0.0, 1.0))
    # jensen_shannon is 2 JSD = KL(P || M) + KL(Q || M), M the even mixture.
    p, q = stats.norm(*P), stats.norm(*Q)
    x = np.linspace(-20, 20, 400001)
    m = 0.5 * (p.pdf(x) + q.pdf(x))
    two_jsd = np.trapezoid(p.pdf(x) * np.log(p.pdf(x) / m) + q.pdf(x) * np.log(q.pdf(x) / m), x)
    assert divergences.gaussian_divergence("jensen_shannon", *args) == pytest.approx(
        two_jsd, rel=1e-7)
    assert divergences.gaussian_divergence("pearson", 0.0, 1.0, 0.0, 0.7) == math.inf


def test_the_jensen_shannon_bound_is_2_log_2_minus_the_gan_discriminator_loss():
    from kgen.models.gan import losses

    r, f = np.linspace(-6.0, 6.0, 13), np.linspace(5.0, -7.0, 13)
    np.testing.assert_allclose(
        divergences.get("jensen_shannon").bound_terms(r, f).numpy(),
        2 * math.log(2.0) - losses.get("minimax").discriminator_loss(r, f).numpy(),
        rtol=1e-12, atol=1e-12)


def _grid_bound(div, v, x):
    """E_P[g_f(V)] - E_Q[f*(g_f(V))] by the trapezoid rule on the grid x (float64)."""
    v = tf.constant(v, tf.float64)
    p, q = stats.norm(*P).pdf(x), stats.norm(*Q).pdf(x)
    return (np.trapezoid(p * div.activation(v).numpy(), x)
            - np.trapezoid(q * div.activation_conjugate(v).numpy(), x))


@pytest.mark.parametrize("name", NAMES)
def test_the_bound_is_tight_at_the_optimal_critic_and_below_for_any_other(name):
    div = divergences.get(name)
    true = divergences.gaussian_divergence(name, *P, *Q)
    x = np.linspace(-20.0, 20.0, 40001)
    log_ratio = stats.norm(*P).logpdf(x) - stats.norm(*Q).logpdf(x)
    best = OPTIMAL_V[name](log_ratio)
    # V* is g_f^{-1}(f'(p / q)), and the bound there is the divergence.
    np.testing.assert_allclose(div.activation(tf.constant(best)).numpy(),
                               div.f_prime(np.exp(log_ratio)), rtol=1e-9, atol=1e-12)
    assert _grid_bound(div, best, x) == pytest.approx(true, rel=1e-7)
    rng = np.random.default_rng(0)
    for scale in (1e-2, 0.1, 0.5):  # near the optimum, where the inequality is tight
        for _ in range(5):
            a, b, c = rng.normal(size=3)
            bump = np.tanh(a + b * x) + c * np.sin(2.0 * x)
            assert _grid_bound(div, best + scale * bump, x) < true
    for _ in range(10):  # arbitrary critics: random quadratics
        a, b, c = rng.normal(size=3)
        assert _grid_bound(div, a + b * x + 0.1 * c * x ** 2, x) < true


def test_bad_input_raises_naming_the_argument():
    for call in (lambda: divergences.get("wasserstein"),
                 lambda: divergences.gaussian_divergence("js", 0, 1, 0, 1)):
        with pytest.raises(ValueError, match="`divergence` must be one of .*'kl'.*"
                                             "'squared_hellinger'.*Received: divergence="):
            call()
    testing.assert_raises_naming(ValueError, "method", divergences.gaussian_divergence,
                                 "kl", 0, 1, 0, 1, method="exact")
    testing.assert_raises_naming(ValueError, "method", divergences.gaussian_divergence,
                                 "jensen_shannon", 0, 1, 0, 1, method="closed_form")
    testing.assert_raises_naming(ValueError, "sigma_q", divergences.gaussian_divergence,
                                 "kl", 0, 1, 0, 0.0)
    testing.assert_raises_naming(ValueError, "sigma_p", divergences.gaussian_divergence,
                                 "kl", 0, -1, 0, 1)
