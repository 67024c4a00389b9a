"""Preprocessing of image flows as bijectors: the dequantization scale and the logit.

Flows on 8-bit images model the density of dequantized data ``v = x + u``, ``u ~
U[0, 1)^D`` (Theis et al. 2016, https://arxiv.org/abs/1511.01844, sec. 3.1), whose
log-density is a lower bound on the discrete log-likelihood of ``x``. The chain from data
to latent starts with two bijectors (the latent -> data direction is ``forward``):

    dequantization:  v -> v / L                 log|det| = -D log L    (``Dequantization``)
    logit:           w -> logit(a + (1 - 2a) w)                         (``LogitTransform``)
                     log|det| = sum_d [log(1 - 2a) - log p_d - log(1 - p_d)],
                     p = a + (1 - 2a) w      (Dinh et al. 2016, arXiv:1605.08803, sec. 4.1)

so ``log p(v)`` and bits/dim include both Jacobians, as the papers report them
(``bits/dim = -log p(v) / (D ln 2)`` with ``D = prod(event_shape)`` and L = 256).
Both are ``FlowBijector``s (no cache, one pass) summing their log-dets over the
``event_ndims`` last axes.
"""

import math

import tensorflow as tf

from kgen.bijectors.flow_bijector import FlowBijector


def _event_sum(values, event_ndims):
    return tf.reduce_sum(values, axis=list(range(-event_ndims, 0)))


def _event_size(x, event_ndims):
    return tf.cast(tf.reduce_prod(tf.shape(x)[-event_ndims:]), x.dtype)


def dequantization(num_levels, event_ndims, name="dequantization"):
    """The bijector ``w -> L w`` (forward: latent side ``[0, 1)`` to levels ``[0, L)``).

    Its inverse maps dequantized levels ``v = x + u`` to ``[0, 1)`` with
    ``log|det| = -D log L`` per example; the noise ``u`` is the model's.

    Args:
        num_levels: int L >= 2 (256 for 8-bit data).
        event_ndims: int >= 1, the rank of one event.
        name: the bijector's name.

    Returns:
        A ``FlowBijector``.
    """
    log_levels = math.log(num_levels)

    def forward(w):
        return w * num_levels, tf.fill(tf.shape(w)[:1], log_levels) * _event_size(w, event_ndims)

    def inverse(v):
        return v / num_levels, -tf.fill(tf.shape(v)[:1], log_levels) * _event_size(v, event_ndims)

    return FlowBijector(forward, inverse, event_ndims, name=name)


def logit_transform(alpha, event_ndims, name="logit_transform"):
    """The bijector whose inverse is ``w -> logit(alpha + (1 - 2 alpha) w)``.

    ``forward(y) = (sigmoid(y) - alpha) / (1 - 2 alpha)``, with
    ``log|det| = sum [log_sigmoid(y) + log_sigmoid(-y) - log(1 - 2 alpha)]``; the
    inverse's log-det is ``sum [log(1 - 2 alpha) - log p - log(1 - p)]`` with
    ``p = alpha + (1 - 2 alpha) w`` (RealNVP uses alpha = 0.05).

    Args:
        alpha: float in (0, 0.5).
        event_ndims: int >= 1, the rank of one event.
        name: the bijector's name.

    Returns:
        A ``FlowBijector``.
    """
    log_span = math.log1p(-2.0 * alpha)

    def forward(y):
        w = (tf.sigmoid(y) - alpha) / (1.0 - 2.0 * alpha)
        return w, _event_sum(tf.math.log_sigmoid(y) + tf.math.log_sigmoid(-y) - log_span,
                             event_ndims)

    def inverse(w):
        p = alpha + (1.0 - 2.0 * alpha) * w
        return (tf.math.log(p) - tf.math.log1p(-p),
                _event_sum(log_span - tf.math.log(p) - tf.math.log1p(-p), event_ndims))

    return FlowBijector(forward, inverse, event_ndims, name=name)


__all__ = ["dequantization", "logit_transform"]
