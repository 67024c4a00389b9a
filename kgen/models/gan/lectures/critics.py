"""Training a discriminator (or critic) alone, against a fixed generator distribution.

The lectures' experiments hold the generator still and ask what the other player
learns: the optimal discriminator (Goodfellow et al. 2014, Prop. 1) and the critic's
Wasserstein estimate (Arjovsky et al. 2017). ``train_discriminator`` minimises the
discriminator loss of one of ``kgen.models.gan.losses`` (with its gradient penalty or
weight clipping, as ``GAN`` does) on fresh real and "generated" batches drawn directly
from two NumPy samplers; ``divergence_estimates`` reads the variational estimates off
the trained network.

All draws come from ``np.random.default_rng(seed)``; the whole run is one
``tf.function`` call (a ``tf.while_loop`` over the steps), traced once per
discriminator, so several runs (``reset`` between them) cost one trace.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.models._updates import apply_after_loss
from kgen.models.gan import losses as gan_losses


def make_trainer(discriminator, loss="non_saturating", learning_rate=1e-3, gp_weight=10.0,
                 clip_value=0.01, beta_1=0.5, beta_2=0.9):
    """A function that trains ``discriminator`` on given batches, and its optimizer.

    Args:
        discriminator: ``keras.Model`` from ``[batch, d]`` to ``[batch]`` or ``[batch, 1]``
            raw outputs (logits or critic values).
        loss: a name of ``kgen.models.gan.losses.available()``; its discriminator loss is
            minimised, plus ``gp_weight`` times the gradient penalty for
            ``wasserstein_gp``, with the weights clipped to ``[-clip_value, clip_value]``
            after every step for ``wasserstein``.
        learning_rate: float > 0 of Adam (``beta_1``, ``beta_2``), or a schedule.
        gp_weight: float >= 0, lambda of the gradient penalty.
        clip_value: float > 0, c of the weight clipping.

    Returns:
        ``(train, optimizer)``: ``train(real, fake, epsilon)`` takes ``[steps, batch, d]``
        real and generated batches and ``[steps, batch]`` uniforms (the penalty's
        interpolation points) and returns the ``[steps]`` mean losses.

    Raises:
        ValueError: naming ``loss``, ``gp_weight`` or ``clip_value``.
    """
    loss_fn = gan_losses.get(loss)
    gp_weight = checks.non_negative_float("gp_weight", gp_weight)
    if checks.non_negative_float("clip_value", clip_value) == 0:
        raise ValueError(f"`clip_value` must be > 0. Received: clip_value={clip_value}")
    optimizer = keras.optimizers.Adam(learning_rate, beta_1, beta_2)
    variables = discriminator.trainable_variables

    def step(real, fake, epsilon):
        with tf.GradientTape() as tape:
            r = gan_losses.per_example(discriminator(real, training=True))
            f = gan_losses.per_example(discriminator(fake, training=True))
            d_loss = loss_fn.discriminator_loss(r, f)
            if loss_fn.gradient_penalty:
                penalty, _ = gan_losses.gradient_penalty(discriminator, real, fake, epsilon)
                d_loss += gp_weight * penalty
            mean = tf.reduce_mean(d_loss)
        apply_after_loss(optimizer, mean, tape.gradient(mean, variables), variables)
        if loss_fn.clip_weights:
            for v in variables:
                v.assign(tf.clip_by_value(v, -clip_value, clip_value))
        return mean

    @tf.function
    def train(real, fake, epsilon):
        steps = tf.shape(real)[0]
        history = tf.TensorArray(tf.float32, size=steps)
        for i in tf.range(steps):
            history = history.write(i, step(real[i], fake[i], epsilon[i]))
        return history.stack()

    optimizer.build(variables)
    return train, optimizer


def snapshot(discriminator, optimizer):
    """The weights of ``discriminator`` and the state of its ``optimizer`` (moments, step
    count, learning rate), for ``reset``."""
    return ([w.copy() for w in discriminator.get_weights()],
            [np.array(v.numpy()) for v in optimizer.variables])


def reset(discriminator, optimizer, state):
    """Puts back a ``snapshot`` of ``discriminator`` and its ``optimizer``, so that one
    trainer (one trace) serves several runs from the same start."""
    weights, optimizer_values = state
    discriminator.set_weights(weights)
    for v, value in zip(optimizer.variables, optimizer_values):
        v.assign(value)


def train_discriminator(train, sample_real, sample_fake, steps=1000, batch_size=512, seed=0):
    """Runs a trainer of ``make_trainer`` on fresh batches of two samplers.

    Args:
        train: the first value of ``make_trainer``.
        sample_real, sample_fake: ``fn(n, rng) -> (n, d)`` arrays (``rng`` a NumPy
            ``Generator``): the data and the fixed generator's distribution.
        steps: int >= 1, discriminator steps, each with new batches of both.
        batch_size: int >= 1.
        seed: int >= 0 of the draws.

    Returns:
        float32 ``(steps,)`` NumPy array, the mean loss of each step.
    """
    steps = checks.positive_int("steps", steps)
    batch_size = checks.positive_int("batch_size", batch_size)
    rng = np.random.default_rng(checks.seed("seed", seed))
    n = steps * batch_size
    real = np.asarray(sample_real(n, rng), np.float32).reshape(steps, batch_size, -1)
    fake = np.asarray(sample_fake(n, rng), np.float32).reshape(steps, batch_size, -1)
    epsilon = rng.uniform(size=(steps, batch_size)).astype(np.float32)
    return train(tf.constant(real), tf.constant(fake), tf.constant(epsilon)).numpy()


def divergence_estimates(discriminator, real, fake, loss="non_saturating"):
    """The variational divergence estimates read off a trained discriminator.

    For the cross-entropy losses, with D = sigmoid(logit):
    ``V = E_data log D + E_g log(1 - D) <= 2 JS(p_data || p_g) - log 4``
    (Goodfellow et al. 2014, Theorem 1), so ``js_estimate = (V + log 4) / 2`` is a lower
    bound on the Jensen-Shannon divergence (nats, in [0, log 2] at the optimum). For a
    critic, ``wasserstein_estimate = E_data D - E_g D``, the Kantorovich-Rubinstein
    lower bound on W1 when D is 1-Lipschitz (Arjovsky et al. 2017, eq. 3).

    Args:
        discriminator: the trained ``keras.Model``.
        real, fake: ``(n, d)`` held-out samples of the two distributions.
        loss: the loss it was trained with.

    Returns:
        dict of ``js_estimate`` (cross-entropy losses) or ``wasserstein_estimate``
        (others), floats.
    """
    loss_fn = gan_losses.get(loss)
    r = gan_losses.per_example(discriminator(np.asarray(real, np.float32), training=False))
    f = gan_losses.per_example(discriminator(np.asarray(fake, np.float32), training=False))
    if loss_fn.probability:
        value = -tf.reduce_mean(tf.nn.softplus(-r)) - tf.reduce_mean(tf.nn.softplus(f))
        return {"js_estimate": float((value + math.log(4.0)) / 2.0)}
    return {"wasserstein_estimate": float(tf.reduce_mean(r) - tf.reduce_mean(f))}


__all__ = ["divergence_estimates", "make_trainer", "reset", "snapshot", "train_discriminator"]
