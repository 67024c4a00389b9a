"""The optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x)).

For a fixed generator, the discriminator's objective
``V(D) = E_{p_data} log D(x) + E_{p_g} log(1 - D(x))`` is maximised pointwise by
``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (Goodfellow et al. 2014, Proposition 1:
``a log y + b log(1 - y)`` peaks at ``y = a / (a + b)``), whose logit is the log
density ratio ``log p_data(x) - log p_g(x)``. The experiment trains an MLP with the
GAN's discriminator loss (``softplus(-r) + softplus(f)``, ``kgen.models.gan.losses``)
against a generator distribution that is sampled directly and never moves, and
compares sigmoid(D(x)) with D* on a grid.

The default densities are two 1-D normals, ``p_data = N(0, 1)`` and
``p_g = N(1.5, 0.7^2)``.

References:
    1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Prop. 1.
       https://arxiv.org/abs/1406.2661
"""

import math

import numpy as np

from kgen import checks
from kgen.models.gan.lectures import critics

DATA = (0.0, 1.0)       # p_data = N(0, 1): (mean, std)
GENERATOR = (1.5, 0.7)  # p_g = N(1.5, 0.7^2)


def normal_log_prob(x, mean, std):
    """log N(x; mean, std^2) in nats, elementwise (float64)."""
    x = np.asarray(x, np.float64)
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)


def optimal_discriminator(x, data=DATA, generator=GENERATOR):
    """D*(x) = p_data / (p_data + p_g) for two 1-D normals (Goodfellow et al. 2014,
    Prop. 1), computed as sigmoid(log p_data - log p_g) so it is finite in the tails.

    Args:
        x: array of points.
        data, generator: ``(mean, std)`` of p_data and p_g.

    Returns:
        float64 array shaped as ``x``, in [0, 1].
    """
    logit = normal_log_prob(x, *data) - normal_log_prob(x, *generator)
    return 0.5 * (1.0 + np.tanh(0.5 * logit))  # a sigmoid without overflow


def normal_sampler(mean, std):
    """``fn(n, rng) -> (n, 1)`` draws of N(mean, std^2)."""
    return lambda n, rng: mean + std * rng.standard_normal((n, 1))


def fit_optimal_discriminator(discriminator, data=DATA, generator=GENERATOR, steps=1500,
                              batch_size=512, learning_rate=3e-3, seed=0):
    """Trains ``discriminator`` with the non-saturating GAN's discriminator loss
    (the cross-entropy of Goodfellow et al. 2014, eq. 1) against the fixed p_g.

    Args:
        discriminator: ``keras.Model`` from ``[batch, 1]`` to logits ``[batch, 1]``,
            e.g. ``kgen.networks.mlp_discriminator(1, (64, 64))``.
        data, generator: ``(mean, std)`` of p_data and p_g.
        steps, batch_size, seed: as ``critics.train_discriminator``.
        learning_rate: Adam's initial rate, decayed by a cosine to 0 over ``steps``
            (the last steps average out the batches' noise).

    Returns:
        float32 ``(steps,)``, the loss curve (nats per pair of examples).
    """
    import keras

    steps = checks.positive_int("steps", steps)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    train, _ = critics.make_trainer(discriminator, "non_saturating", schedule)
    return critics.train_discriminator(train, normal_sampler(*data), normal_sampler(*generator),
                                       steps, batch_size, seed)


def discriminator_probability(discriminator, x):
    """sigmoid(D(x)) at 1-D points ``x``, float64 shaped as ``x``."""
    x = np.asarray(x, np.float32)
    logits = np.asarray(discriminator(x.reshape(-1, 1), training=False), np.float64)
    return (0.5 * (1.0 + np.tanh(0.5 * logits))).reshape(x.shape)


def bulk_grid(data=DATA, generator=GENERATOR, num_points=201, mass=0.05):
    """Points where both densities have support worth learning: the grid over
    ``[min mean - 3 std, max mean + 3 std]`` where ``p_data + p_g`` exceeds ``mass``
    times its maximum on the grid (a discriminator sees few samples elsewhere)."""
    low = min(data[0] - 3 * data[1], generator[0] - 3 * generator[1])
    high = max(data[0] + 3 * data[1], generator[0] + 3 * generator[1])
    x = np.linspace(low, high, num_points)
    total = np.exp(normal_log_prob(x, *data)) + np.exp(normal_log_prob(x, *generator))
    return x[total > mass * total.max()]


__all__ = ["DATA", "GENERATOR", "bulk_grid", "discriminator_probability",
           "fit_optimal_discriminator", "normal_log_prob", "normal_sampler",
           "optimal_discriminator"]
