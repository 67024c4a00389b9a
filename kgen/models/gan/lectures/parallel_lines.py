"""Two parallel lines: JS stays log 2 while the Wasserstein distance is |theta|.

Arjovsky et al. 2017, Example 1: with Z ~ U[0, 1], let P_0 be the law of (0, Z) and
P_theta that of (theta, Z), two segments in the plane. For theta != 0 the supports are
disjoint, so

* ``W1(P_0, P_theta) = |theta|`` (move every point sideways by |theta|),
* ``JS(P_0, P_theta) = log 2`` nats (0 at theta = 0): a jump, with no gradient in theta,
* ``KL(P_theta || P_0) = +inf`` and the total variation is 1.

A trained classifier's ``js_estimate`` (``critics.divergence_estimates``) saturates
near log 2 for every theta != 0, while a WGAN critic's estimate of
``E_{P_0} f - E_{P_theta} f`` tracks |theta|. With the gradient penalty (weight lambda)
the critic of a linear slope s along the first axis gets ``s |theta| - lambda (s - 1)^2``,
largest at ``s = 1 + |theta| / (2 lambda)``: its estimate is
``|theta| (1 + |theta| / (2 lambda))`` (``gp_critic_optimum``), slightly above W1.
With weight clipping the estimate is K |theta| for the (unknown) Lipschitz constant K
the clipped network reaches.

References:
    1. Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017, Example 1.
       https://arxiv.org/abs/1701.07875
    2. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
       https://arxiv.org/abs/1704.00028
"""

import math

import numpy as np

from kgen import checks
from kgen.models.gan.lectures import critics


def line_sampler(theta):
    """``fn(n, rng) -> (n, 2)`` draws of (theta, Z), Z ~ U[0, 1]."""
    theta = float(theta)
    return lambda n, rng: np.stack([np.full(n, theta), rng.uniform(size=n)], axis=1)


def exact_distances(theta):
    """The distances between P_0 and P_theta (Arjovsky et al. 2017, Example 1).

    Returns:
        dict of ``wasserstein`` (|theta|), ``js`` (log 2 or 0, nats), ``kl``
        (``inf`` or 0, nats) and ``total_variation`` (1 or 0).
    """
    theta = float(theta)
    apart = theta != 0.0
    return {"wasserstein": abs(theta), "js": math.log(2.0) if apart else 0.0,
            "kl": math.inf if apart else 0.0, "total_variation": 1.0 if apart else 0.0}


def gp_critic_optimum(theta, gp_weight=10.0):
    """The WGAN-GP critic's objective at its best linear critic: ``|theta| (1 + |theta|
    / (2 gp_weight))`` (the value of ``E_0 f - E_theta f`` there)."""
    theta = abs(float(theta))
    return theta * (1.0 + theta / (2.0 * gp_weight))


def estimate_curve(thetas, loss="wasserstein_gp", steps=400, batch_size=256,
                   hidden_units=(64, 64), learning_rate=1e-3, eval_size=10_000, seed=0):
    """Trains one fresh discriminator per theta on P_0 (real) against P_theta (fake)
    and reads its estimate on held-out samples.

    The same network is reset to its initial weights for each theta (one trace).

    Args:
        thetas: sequence of floats.
        loss: a GAN loss name: ``"non_saturating"`` (or ``"minimax"``) gives
            ``js_estimate``, ``"wasserstein_gp"`` / ``"wasserstein"`` give
            ``wasserstein_estimate``.
        steps, batch_size: discriminator steps and batch per theta.
        hidden_units: the ``kgen.networks.mlp_discriminator`` layers.
        learning_rate: Adam's (beta_1 = 0.5, beta_2 = 0.9), constant.
        eval_size: held-out samples of each line for the estimate.
        seed: int >= 0, of the weights and every draw.

    Returns:
        float64 ``(len(thetas),)`` estimates (nats for JS).

    Raises:
        ValueError: naming ``thetas``, ``loss``, ``steps`` or ``batch_size``.
    """
    import kgen.networks

    thetas = [float(t) for t in np.atleast_1d(np.asarray(thetas, np.float64))]
    if not thetas or not np.all(np.isfinite(thetas)):
        raise ValueError(f"`thetas` must be finite floats. Received: thetas={thetas!r}")
    seed = checks.seed("seed", seed) or 0
    d = kgen.networks.mlp_discriminator(2, tuple(hidden_units), seed=seed)
    train, optimizer = critics.make_trainer(d, loss, learning_rate)
    initial = critics.snapshot(d, optimizer)
    key = "js_estimate" if critics.gan_losses.get(loss).probability else "wasserstein_estimate"
    out = []
    for i, theta in enumerate(thetas):
        critics.reset(d, optimizer, initial)
        critics.train_discriminator(train, line_sampler(0.0), line_sampler(theta), steps,
                                    batch_size, seed + i)
        rng = np.random.default_rng(seed + 10_000 + i)
        real, fake = line_sampler(0.0)(eval_size, rng), line_sampler(theta)(eval_size, rng)
        out.append(critics.divergence_estimates(d, real, fake, loss)[key])
    return np.asarray(out, np.float64)


__all__ = ["estimate_curve", "exact_distances", "gp_critic_optimum", "line_sampler"]
