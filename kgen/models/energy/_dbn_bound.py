"""A DBN's variational lower bound on log p(v) (``DBN.lower_bound``), exact or sampled.

With h_0 = v and log p_top(u) = -F_top(u) - log Z_top (Salakhutdinov & Murray 2008,
sec. 5), log p(v) >= E_q [sum_l (log p(h_{l-1} | h_l) - log q(h_l | h_{l-1}))
+ log p_top(h_{L-1})]: ``exact`` enumerates h_1 ... h_{L-1} (<= 20 units),
``sampled`` averages draws of q.
"""

import numpy as np
import tensorflow as tf

from kgen.models.base import sub_seed
from kgen.models.energy import _gibbs
from kgen.models.energy.fvbm import binary_states

# Enumerated hidden states per chunk of the exact bound (memory: batch x chunk x H).
CHUNK = 1024


def gap_terms(dbn, hs):
    """sum_l log p(h_{l-1} | h_l) - log q(h_l | h_{l-1}) + log p*_top(h_{L-1}) and
    sum_l log q(h_l | h_{l-1}), both ``[batch, S]``, for ``hs`` = [v, h_1, ...,
    h_{L-1}], each ``[batch or 1, S or 1, units]``."""
    gap, log_q = 0.0, 0.0
    for rbm, below, h in zip(dbn.rbms, hs[:-1], hs[1:]):
        logits_q = tf.einsum("...i,ij->...j", below, rbm.kernel) + rbm.hidden_bias
        logits_p = tf.einsum("...j,ij->...i", h, rbm.kernel) + rbm.visible_bias
        log_q_l = tf.reduce_sum(h * logits_q - tf.nn.softplus(logits_q), -1)
        log_p_l = tf.reduce_sum(below * logits_p - tf.nn.softplus(logits_p), -1)
        gap, log_q = gap + log_p_l - log_q_l, log_q + log_q_l
    top = hs[-1]
    free = dbn.top._free_energy(tf.reshape(top, (-1, top.shape[-1])))
    return gap - tf.reshape(free, tf.shape(top)[:-1]), log_q


def split(dbn, states):
    """[1, S, units] slices of the joint states of h_1 ... h_{L-1}."""
    bounds = np.cumsum((0,) + dbn.hidden_units[:-1])
    return [states[None, :, a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def exact(dbn, v, log_z, chunk=CHUNK):
    """The bound of flat ``v`` ``[batch, D]``, the expectation over q by enumerating
    h_1 ... h_{L-1} (``chunk`` states at a time), ``[batch]`` nats."""
    v = v[:, None, :]
    if dbn.num_layers == 1:
        return gap_terms(dbn, [v])[0][:, 0] - log_z
    states = binary_states(sum(dbn.hidden_units[:-1]), tf.float32)
    total = 0.0
    for start in range(0, int(states.shape[0]), chunk):
        gap, log_q = gap_terms(dbn, [v] + split(dbn, states[start:start + chunk]))
        total += tf.reduce_sum(tf.exp(log_q) * gap, -1)
    return total - log_z


def sampled(dbn, v, log_z, num_samples, seed=None):
    """The bound of flat ``v`` with the expectation over q a mean over ``num_samples``
    draws h ~ q (an unbiased estimate of it), ``[batch]`` nats."""
    hs = [tf.repeat(v[:, None, :], num_samples, axis=1)]
    for i, rbm in enumerate(dbn.rbms[:-1]):
        hs.append(_gibbs.bernoulli(dbn.uniform, rbm.hidden_probabilities(hs[-1]),
                                   sub_seed(seed, i)))
    return tf.reduce_mean(gap_terms(dbn, hs)[0], -1) - log_z


def bound_function(dbn, log_z, num_samples):
    """``bound(v, seed)`` of flat ``v``: ``exact`` if ``num_samples`` is None, else
    ``sampled`` with that many draws (``evaluation.bound_nll`` calls it per batch)."""
    def bound(v, seed):
        if num_samples is None:
            return exact(dbn, v, log_z)
        return sampled(dbn, v, log_z, num_samples, seed)

    return bound


__all__ = ["bound_function", "exact", "gap_terms", "sampled", "split"]
