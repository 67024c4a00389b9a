"""The GAN losses: per-example discriminator and generator losses from D's outputs.

Each loss maps the discriminator's raw outputs (logits, or critic values) on a real
batch ``r = D(x)`` and a generated batch ``f = D(G(z))``, each ``[batch]``, to per-example
losses that the players minimise (``sigma`` is the logistic sigmoid, so for the first two
``D(x) = sigma(r)`` is a probability; ``softplus(t) = log(1 + e^t)``):

| name | discriminator loss | generator loss | source |
| --- | --- | --- | --- |
| ``minimax`` | softplus(-r) + softplus(f) | -softplus(f) = log(1 - sigma(f)) | Goodfellow et al. 2014, eq. 1 |
| ``non_saturating`` | softplus(-r) + softplus(f) | softplus(-f) = -log sigma(f) | Goodfellow et al. 2014, sec. 3 |
| ``wasserstein`` | f - r (critic weights clipped to [-c, c]) | -f | Arjovsky et al. 2017, alg. 1 |
| ``wasserstein_gp`` | f - r + lambda (‖grad D(x_hat)‖ - 1)^2 | -f | Gulrajani et al. 2017, alg. 1 |
| ``least_squares`` | (r - 1)^2 / 2 + f^2 / 2 | (f - 1)^2 / 2 | Mao et al. 2017, eq. 9 (a=0, b=c=1) |
| ``hinge`` | relu(1 - r) + relu(1 + f) | -f | Lim & Ye 2017; Miyato et al. 2018, eq. 17 |

The units are nats for the two cross-entropy losses; the others are in the critic's units.
A discriminator whose output has more than one value per example (a PatchGAN map) is
averaged over its non-batch axes first (``per_example``).

The gradient penalty (``gradient_penalty``) is computed at x_hat = x + eps (G(z) - x)
with **one** eps ~ U[0, 1] per example, drawn by the model from its own noise source;
the gradient's norm is over **all** non-batch axes of x_hat, and a small constant
inside the square root keeps the gradient of the norm finite where D's gradient is zero.

New losses are added with ``register_loss(GANLoss(...))`` and chosen by name in
``kgen.models.gan.GAN(loss=...)``.

References:
    1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
       https://arxiv.org/abs/1406.2661
    2. Arjovsky, Chintala, Bottou, "Wasserstein GAN", ICML 2017.
       https://arxiv.org/abs/1701.07875
    3. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
       https://arxiv.org/abs/1704.00028
    4. Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017.
       https://arxiv.org/abs/1611.04076
    5. Lim & Ye, "Geometric GAN", 2017. https://arxiv.org/abs/1705.02894
    6. Miyato et al., "Spectral Normalization for GANs", ICLR 2018.
       https://arxiv.org/abs/1802.05957
"""

import dataclasses
from typing import Callable

import tensorflow as tf

from kgen import checks

# Inside the square root of the gradient norm: sqrt(|g|^2 + eps) has a finite gradient at
# g = 0 (sqrt alone has an infinite one there, which makes the critic's update NaN).
NORM_STABILIZER = 1e-12


@dataclasses.dataclass(frozen=True)
class GANLoss:
    """A GAN loss: per-example losses of both players from D's raw outputs.

    Args:
        name: str, the name ``GAN(loss=...)`` takes.
        discriminator: ``fn(real, fake) -> [batch]``, D's loss from its outputs on a real
            and a generated batch (``[batch]`` each).
        generator: ``fn(fake) -> [batch]``, G's loss from D's outputs on generated data.
        probability: bool, whether D's output is a logit, so that ``sigmoid`` of it is
            the probability "real" that ``d_real`` / ``d_fake`` report.
        wasserstein: bool, whether mean(r) - mean(f) estimates a Wasserstein distance
            (reported as ``wasserstein_estimate``).
        gradient_penalty: bool, whether the critic's loss adds ``gp_weight`` times the
            gradient penalty (reported as ``grad_penalty``).
        clip_weights: bool, whether the critic's weights are clipped to ``[-c, c]``
            after each of its steps.
    """

    name: str
    discriminator: Callable
    generator: Callable
    probability: bool = False
    wasserstein: bool = False
    gradient_penalty: bool = False
    clip_weights: bool = False

    def discriminator_loss(self, real, fake):
        """D's per-example loss, ``[batch]``, from its outputs on real and generated data."""
        return self.discriminator(tf.convert_to_tensor(real), tf.convert_to_tensor(fake))

    def generator_loss(self, fake):
        """G's per-example loss, ``[batch]``, from D's outputs on generated data."""
        return self.generator(tf.convert_to_tensor(fake))

    def output(self, logits):
        """What ``d_real`` / ``d_fake`` report: D(x) as a probability for the
        cross-entropy losses, the raw critic value for the others."""
        logits = tf.convert_to_tensor(logits)
        return tf.sigmoid(logits) if self.probability else logits


_LOSSES = {}


def register_loss(loss):
    """Adds a ``GANLoss`` under its ``name``; returns it.

    Raises:
        ValueError: naming ``loss`` if the name is taken.
        TypeError: if ``loss`` is not a ``GANLoss``.
    """
    if not isinstance(loss, GANLoss):
        raise TypeError(f"`loss` must be a GANLoss. Received: loss={loss!r}")
    if loss.name in _LOSSES:
        raise ValueError(f"`loss` name {loss.name!r} is already registered. "
                         f"Received: loss={loss!r}")
    _LOSSES[loss.name] = loss
    return loss


def get(name):
    """The registered ``GANLoss`` called ``name``.

    Raises:
        ValueError: naming ``loss`` and listing the registered losses.
    """
    checks.one_of("loss", name, tuple(_LOSSES))
    return _LOSSES[name]


def available():
    """The registered loss names, sorted."""
    return tuple(sorted(_LOSSES))


def per_example(outputs):
    """D's outputs as ``[batch]``: ``[batch]`` and ``[batch, 1]`` as they are, larger
    maps averaged over their non-batch axes."""
    outputs = tf.convert_to_tensor(outputs)
    if outputs.shape.rank == 1:
        return outputs
    return tf.reduce_mean(tf.reshape(outputs, (tf.shape(outputs)[0], -1)), axis=1)


def interpolate(real, fake, epsilon):
    """x_hat = real + eps (fake - real), one ``eps`` per example (``epsilon``: ``[batch]``)
    broadcast over every other axis."""
    epsilon = tf.reshape(epsilon, tf.concat([[-1], tf.ones(tf.rank(real) - 1, tf.int32)], 0))
    return real + epsilon * (fake - real)


def gradient_norm(critic, x, training=True):
    """‖grad_x D(x)‖ per example: ``sqrt(sum of squares over all non-batch axes +
    NORM_STABILIZER)``, ``[batch]``.

    The gradient of the summed outputs is the per-example gradient only if D treats the
    examples of a batch independently: no batch normalization in the critic.
    """
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(per_example(critic(x, training=training)))
    grads = tape.gradient(total, x)
    axes = tf.range(1, tf.rank(grads))
    return tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + NORM_STABILIZER)


def gradient_penalty(critic, real, fake, epsilon, target=1.0, training=True):
    """The WGAN-GP penalty (‖grad D(x_hat)‖ - target)^2 per example (Gulrajani et al.
    2017, alg. 1, line 8).

    Args:
        critic: callable ``critic(x, training=...)``, the discriminator.
        real: ``[batch, *event_shape]`` real data.
        fake: ``[batch, *event_shape]`` generated data (no gradient to G is needed).
        epsilon: ``[batch]`` uniform draws in [0, 1], one per example.
        target: float, the norm the penalty pulls towards (1 for 1-Lipschitz).
        training: passed to the critic.

    Returns:
        ``(penalty, norm)``, each ``[batch]``.
    """
    norm = gradient_norm(critic, interpolate(real, fake, epsilon), training=training)
    return tf.square(norm - target), norm


register_loss(GANLoss(
    "minimax",
    discriminator=lambda r, f: tf.nn.softplus(-r) + tf.nn.softplus(f),
    generator=lambda f: -tf.nn.softplus(f),
    probability=True))
register_loss(GANLoss(
    "non_saturating",
    discriminator=lambda r, f: tf.nn.softplus(-r) + tf.nn.softplus(f),
    generator=lambda f: tf.nn.softplus(-f),
    probability=True))
register_loss(GANLoss(
    "wasserstein",
    discriminator=lambda r, f: f - r,
    generator=lambda f: -f,
    wasserstein=True, clip_weights=True))
register_loss(GANLoss(
    "wasserstein_gp",
    discriminator=lambda r, f: f - r,
    generator=lambda f: -f,
    wasserstein=True, gradient_penalty=True))
register_loss(GANLoss(
    "least_squares",
    discriminator=lambda r, f: 0.5 * tf.square(r - 1.0) + 0.5 * tf.square(f),
    generator=lambda f: 0.5 * tf.square(f - 1.0)))
register_loss(GANLoss(
    "hinge",
    discriminator=lambda r, f: tf.nn.relu(1.0 - r) + tf.nn.relu(1.0 + f),
    generator=lambda f: -f))

__all__ = ["GANLoss", "available", "get", "gradient_norm", "gradient_penalty", "interpolate",
           "per_example", "register_loss"]
