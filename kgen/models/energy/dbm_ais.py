"""Annealed importance sampling of a DBM's log partition function."""

import math
import time

import numpy as np
import tensorflow as tf

from kgen.metrics.ais import _runs_and_seed, _schedule, _summary
from kgen.models.base import sub_seed
from kgen.models.energy import _gibbs


def dbm_ais_log_partition(model, num_betas=None, betas=None, num_runs=100, seed=0,
                          base_logits=None):
    """Estimates log Z of a ``DBM`` by AIS (Salakhutdinov & Hinton 2009, sec. 4).

    The odd layers are summed out in closed form, so the AIS state is the even
    layers x_e = (v, x_2, ...), and with a (scaled) energy the intermediate
    distributions are

        log p*_beta(x_e) = (1 - beta) v.b_A + beta sum_{l even} b_l.x_l
                           + sum_{l odd} sum_j softplus(beta a_l,j),

    a_l = b_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T; at beta = 0 the base is
    independent Bernoullis with logits b_A on v and uniform elsewhere, with
    log Z_0 = sum_i softplus(b_A,i) + (number of hidden units) log 2. Each run
    adds log p*_beta_k - log p*_beta_(k-1) at its state, then moves by one Gibbs
    sweep of p_beta_k over all layers (odd given even, even given odd). As for
    an RBM (``kgen.metrics.ais_log_partition``) the estimate of Z is unbiased,
    so log Z is biased low. Each step's increment is one float64 difference,

        (beta_k - beta_(k-1)) (sum_{l even} b_l.x_l - v.b_A)
            + sum_{l odd} sum_j [softplus(beta_k a_l,j) - softplus(beta_(k-1) a_l,j)],

    with a_l in float64 (``_log_weight_step``), not the difference of two float32
    log p* (|log p*| ~ 460 nats on a 784-500-1000 DBM, increments ~2e-3: that lost
    ~3e-5 nats a step, biased by -1e-6 to -2.4e-6 a step, -0.015 to -0.035 nats
    over the paper's 14,500 steps). The betas are rounded to float32 once, so the
    weights and the float32 Gibbs sweeps use the same intermediate distributions.
    The runs are one batch and the loop one ``tf.while_loop``; noise from
    ``model.uniform``.

    Args:
        model: a ``kgen.models.energy.DBM``.
        num_betas: int >= 2 evenly spaced betas; or ``betas``: an increasing
            array from 0 to 1 or ``"salakhutdinov_murray_2008"`` (the default).
        num_runs: int >= 1 runs; default 100.
        seed: int >= 0.
        base_logits: optional ``[D]`` base-rate logits b_A (e.g.
            ``kgen.models.energy.base_rate_logits(train)``); default 0.

    Returns:
        dict ``log_z``, ``log_z_std_error``, ``log_weights`` ([num_runs]),
        ``log_z_base``, ``method`` (``"ais"``), ``num_betas``, ``num_runs``,
        ``schedule``, ``seconds``; ``model.set_log_partition`` takes it.

    Raises:
        ValueError / TypeError: naming ``model``, ``num_betas`` (< 2), ``betas``,
            ``num_runs`` (< 1), ``seed`` or ``base_logits``.
    """
    if not hasattr(model, "kernels") or not hasattr(model, "mean_field_steps"):
        raise ValueError(f"`model` must be a kgen DBM. Received: {type(model).__name__}")
    betas, schedule = _schedule(num_betas, betas)
    num_runs, seed = _runs_and_seed(num_runs, seed)
    d = model.num_visible
    base = np.zeros(d, np.float32) if base_logits is None else np.asarray(base_logits,
                                                                        np.float32)
    if base.shape != (d,) or not np.all(np.isfinite(base)):
        raise ValueError(f"`base_logits` must be finite with shape [{d}]. "
                         f"Received: base_logits of shape {base.shape}")
    start = time.time()
    betas = tf.constant(betas.astype(np.float32).astype(np.float64))
    log_w = _anneal(model, tf.constant(base), betas, num_runs,
                    tf.constant(seed, tf.int64)).numpy()
    log_z_base = float(np.logaddexp(0.0, base.astype(np.float64)).sum()
                       + sum(model.hidden_units) * math.log(2.0))
    return {**_summary(log_w, log_z_base, reverse=False), "method": "ais",
            "num_betas": int(len(betas)), "num_runs": num_runs, "schedule": schedule,
            "seconds": time.time() - start}


def _odd_inputs(ws, bs, xs):
    """{l: a_l} of the odd layers, a_l = b_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T,
    ``[runs, n_l]`` float64 from the float64 weights ``ws`` and biases ``bs``."""
    inputs = {}
    for l in range(1, len(xs), 2):
        a = bs[l] + tf.matmul(tf.cast(xs[l - 1], tf.float64), ws[l - 1])
        if l + 1 < len(xs):
            a += tf.matmul(tf.cast(xs[l + 1], tf.float64), ws[l], transpose_b=True)
        inputs[l] = a
    return inputs


def _log_weight_step(xs, inputs, bs, base, beta0, beta1):
    """log p*_beta1(x_e) - log p*_beta0(x_e), ``[runs]`` float64, as one difference
    (no cancellation of two ~|log p*| terms): the even layers' linear term times
    beta1 - beta0 plus the odd layers' softplus differences of ``inputs``."""
    linear = -tf.linalg.matvec(tf.cast(xs[0], tf.float64), base)
    for l in range(0, len(xs), 2):
        linear += tf.linalg.matvec(tf.cast(xs[l], tf.float64), bs[l])
    total = (beta1 - beta0) * linear
    for a in inputs.values():
        total += tf.reduce_sum(tf.nn.softplus(beta1 * a) - tf.nn.softplus(beta0 * a), -1)
    return total


@tf.function
def _anneal(model, base, betas, num_runs, seed):
    """The runs' log-weights ``[num_runs]`` float64 along float64 ``betas``."""
    ws = [tf.cast(w, tf.float64) for w in model.kernels]
    bs = [tf.cast(b, tf.float64) for b in model.biases]
    base64 = tf.cast(base, tf.float64)
    xs = [tf.cast(model.uniform((num_runs, n), seed=sub_seed(seed, l)) < 0.5, tf.float32)
          for l, n in enumerate(model.sizes)]
    xs[0] = _gibbs.bernoulli(model.uniform,
                             tf.broadcast_to(tf.sigmoid(base), (num_runs, model.num_visible)),
                             sub_seed(seed, len(xs)))

    def body(k, xs, log_w):
        xs = list(xs)
        inputs = _odd_inputs(ws, bs, xs)  # the odd draws below see the same even layers
        log_w += _log_weight_step(xs, inputs, bs, base64, betas[k - 1], betas[k])
        beta = tf.cast(betas[k], tf.float32)
        step_seed = sub_seed(seed, len(xs) + k)
        for parity in (1, 0):
            for l in range(parity, len(xs), 2):
                a = tf.cast(inputs[l], tf.float32) if parity else model._input(l, xs)
                logits = beta * a
                if l == 0:
                    logits += (1.0 - beta) * base
                xs[l] = _gibbs.bernoulli(model.uniform, tf.sigmoid(logits),
                                         sub_seed(step_seed, l))
        return k + 1, xs, log_w

    _, _, log_w = tf.while_loop(lambda k, *_: k < tf.shape(betas)[0], body,
                                (tf.constant(1), xs, tf.zeros((num_runs,), tf.float64)))
    return log_w


__all__ = ["dbm_ais_log_partition"]
