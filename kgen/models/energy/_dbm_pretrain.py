"""Greedy pre-training of a DBM: its RBMs with doubled weights (Salakhutdinov & Hinton 2009).

RBM l (0-based, between layers x_l and x_{l+1}, with the DBM's ``kernels[l]``,
``biases[l]`` and ``biases[l + 1]``) is trained as an RBM whose lower layer counts
``up`` times going up and whose upper layer counts ``down`` times going down
(sec. 3.1 of the paper: the bottom RBM has 2W bottom-up, the top one 2W top-down;
middle RBMs double both, Salakhutdinov & Hinton 2012, Neural Computation 24(8)):

    p(x_{l+1} | x_l) = sigmoid(b_{l+1} + up * x_l W),
    p(x_l | x_{l+1}) = sigmoid(b_l + down * W x_{l+1}),

with the CD surrogate F(a_data) - mean F(a~) of the free energy of that RBM with
tied copies, F(a) = -up * b_l.a - down * sum_j softplus(b_{l+1} + up * (a W)_j).
Once composed, a middle layer gets b_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T: the
average of the two doubled inputs each RBM was trained with, since RBM l > 0 keeps
the visible bias b_l that RBM l-1 learned as its hidden bias (``variables``).
"""

import tensorflow as tf

from kgen.models._updates import apply_after_loss
from kgen.models.base import sub_seed
from kgen.models.energy import _gibbs


def scales(model, layer):
    """(up, down) of RBM ``layer``: 2 where the DBM gives the unit a second input."""
    return (2.0 if layer < len(model.kernels) - 1 else 1.0, 2.0 if layer > 0 else 1.0)


def up(model, layer, a, seed=None):
    """Draws x_{layer+1} ~ sigmoid(b + up * a W) from x_layer ``a``."""
    u, _ = scales(model, layer)
    probs = tf.sigmoid(model.biases[layer + 1] + u * tf.matmul(a, model.kernels[layer]))
    return _gibbs.bernoulli(model.uniform, probs, seed)


def free_energy(model, layer, a):
    """F(a) of RBM ``layer`` with its tied copies, ``[batch]`` nats."""
    u, d = scales(model, layer)
    logits = model.biases[layer + 1] + u * tf.matmul(a, model.kernels[layer])
    return -(u * tf.linalg.matvec(a, model.biases[layer])
             + d * tf.reduce_sum(tf.nn.softplus(logits), -1))


def reconstruction(model, layer, a):
    """The mean-field reconstruction sigmoid(b_l + down * W sigmoid(b_{l+1} + up a W))."""
    u, d = scales(model, layer)
    w = model.kernels[layer]
    h = tf.sigmoid(model.biases[layer + 1] + u * tf.matmul(a, w))
    return tf.sigmoid(model.biases[layer] + d * tf.matmul(h, w, transpose_b=True))


def negative(model, layer, a, num_steps, seed=None):
    """CD-``num_steps`` negatives of RBM ``layer`` from its data ``a``."""
    _, d = scales(model, layer)
    w = model.kernels[layer]

    def body(i, a):
        h = up(model, layer, a, sub_seed(seed, 2 * i))
        probs = tf.sigmoid(model.biases[layer] + d * tf.matmul(h, w, transpose_b=True))
        return i + 1, _gibbs.bernoulli(model.uniform, probs, sub_seed(seed, 2 * i + 1))

    return tf.stop_gradient(tf.while_loop(lambda i, _: i < num_steps, body,
                                          (tf.constant(0), a))[1])


def variables(model, layer):
    """The weights RBM ``layer`` trains: W_{l+1} and b_{l+1}, and b_0 for RBM 0.

    Above the bottom, the visible bias b_l is RBM l-1's trained hidden bias,
    frozen: ``up(model, l - 1, .)`` draws this RBM's data with it, so training it
    here would move the data as the RBM learns and overwrite the lower RBM's
    bias. (Salakhutdinov's code trains a separate generative visible bias and
    discards it; sharing b_l makes a composed middle layer's input exactly the
    average of the two conditionals the RBMs were trained with.)
    """
    below = [model.biases[layer]] if layer == 0 else []
    return [model.kernels[layer]] + below + [model.biases[layer + 1]]


def step(model, v):
    """One CD-k step of RBM ``model.pretraining_layer`` on flat data ``v``; returns
    the per-example terms (``loss``, ``reconstruction_error``, and the DBM's
    ``mean_field_free_energy`` of ``v``)."""
    layer = model.pretraining_layer
    a = v
    for below in range(layer):  # the data of RBM `layer`: draws up the trained RBMs
        a = up(model, below, a)
    neg = negative(model, layer, a, model.k)
    trained = variables(model, layer)
    with tf.GradientTape() as tape:
        gap = free_energy(model, layer, a) - tf.reduce_mean(free_energy(model, layer, neg))
        loss = model.total_loss(gap)  # + the weight cost (of the trained kernel only)
    apply_after_loss(model.optimizer, loss, tape.gradient(loss, trained), trained)
    return {"loss": gap, "mean_field_free_energy": model._free_energy(v),
            "reconstruction_error": tf.reduce_sum(
                tf.square(a - reconstruction(model, layer, a)), -1)}


__all__ = ["free_energy", "negative", "reconstruction", "scales", "step", "up", "variables"]
