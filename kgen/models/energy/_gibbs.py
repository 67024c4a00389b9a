"""Block Gibbs sampling of two-layer energy models (RBM, Gaussian-Bernoulli RBM)."""

import tensorflow as tf

from kgen.models.base import sub_seed


def bernoulli(uniform, probs, seed):
    """Binary draws with P(1) = ``probs``, from ``uniform(shape, seed)`` noise."""
    return tf.cast(uniform(tf.shape(probs), seed=seed) < probs, tf.float32)


def block_gibbs(model, v, num_steps, seed=None, mean=False, temperature=1.0):
    """``num_steps`` block sweeps v -> h -> v from flat ``v`` at ``temperature`` T
    (p_T(v, h) ∝ exp(-E(v, h) / T)), as one ``tf.while_loop``.

    Sweep i draws h ~ sigmoid(model._hidden_logits(v) / T) with seed
    ``sub_seed(seed, 2 i + 1)`` and then v, mean = model._visible_step(h, seed', T)
    with seed' = ``sub_seed(seed, 2 i + 2)``; with ``mean`` the last sweep's mean of
    p_T(v | h) is returned instead of the draw.
    """
    beta = 1.0 / temperature

    def body(i, v, means):
        h = bernoulli(model.uniform, tf.sigmoid(beta * model._hidden_logits(v)),
                      sub_seed(seed, 2 * i + 1))
        v, means = model._visible_step(h, sub_seed(seed, 2 * i + 2), temperature)
        return i + 1, v, means

    _, v, means = tf.while_loop(lambda i, *_: i < num_steps, body,
                                (tf.constant(0), v, tf.zeros_like(v)))
    return means if mean else v


__all__ = ["bernoulli", "block_gibbs"]
