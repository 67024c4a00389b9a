"""Annealed importance sampling (AIS) of an RBM's log partition function."""

import math
import time

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.metrics.partition import rbm_parameters

# The schedule of Salakhutdinov & Murray (2008, sec. 4.2): beta in steps of 1e-3 up to
# 0.5, of 1e-4 up to 0.9 and of 1e-5 up to 1: 14,500 steps (14,501 betas from 0 to 1).
PAPER_SCHEDULE = "salakhutdinov_murray_2008"


def paper_betas():
    """The 14,501 inverse temperatures 0 = beta_0 < ... < beta_14500 = 1 of
    ``PAPER_SCHEDULE``, float64."""
    return np.concatenate([np.linspace(0.0, 0.5, 501)[:-1], np.linspace(0.5, 0.9, 4001)[:-1],
                           np.linspace(0.9, 1.0, 10001)])


def ais_log_partition(model, num_betas=None, betas=None, num_runs=100, seed=0, data=None,
                      pseudo_count=1.0, base_logits=None, jit_compile=False):
    """Estimates log Z of a Bernoulli-Bernoulli RBM by annealed importance sampling.

    AIS (Neal 2001) anneals from a base model p_A with a known Z_A to the RBM
    through the intermediate distributions of Salakhutdinov & Murray (2008,
    ICML, eq. 11-13), whose state is the visible units with the hidden units
    summed out:

        log p*_beta(v) = (1 - beta) v.b_A + beta v.b + sum_j softplus(beta (v W + c)_j),
        log Z_A = sum_i softplus(b_A,i) + H log 2.

    Each of ``num_runs`` runs starts at v ~ p_A (independent Bernoullis with
    logits b_A), adds log p*_beta_k(v) - log p*_beta_(k-1)(v) to its log-weight
    and moves v by one Gibbs sweep that leaves p_beta_k invariant
    (h ~ sigmoid(beta_k (v W + c)), v ~ sigmoid((1 - beta_k) b_A + beta_k (W h + b))).
    Then Z / Z_A is estimated by the mean importance weight, unbiased in Z (so
    log Z is biased low, a stochastic lower bound in expectation):
    log Z = log Z_A + logmeanexp(log w). The log-weights are accumulated in
    float64, the runs are one batch, the loop is one compiled ``tf.while_loop``
    and the noise comes from ``model.uniform`` with seeds derived from ``seed``.

    The base b_A is the logits of the training pixel means smoothed with
    ``pseudo_count`` (``kgen.models.energy.base_rate_logits``), as in the
    paper: the closer p_A is to the RBM, the fewer betas are needed.

    Args:
        model: an RBM (weights ``kernel`` [D, H], ``visible_bias``, ``hidden_bias``;
            noise from its ``uniform(shape, seed)``).
        num_betas: int >= 2: that many betas, evenly spaced from 0 to 1 (2 is
            plain importance sampling from p_A).
        betas: instead, an increasing 1-D array from 0 to 1, or ``PAPER_SCHEDULE``
            (``"salakhutdinov_murray_2008"``, 14,500 steps; the default when
            neither is given).
        num_runs: int >= 1 independent runs; the paper's 100 by default.
        seed: int >= 0; the estimate is a pure function of it.
        data: optional training data (array ``[N, *event_shape]`` or a batched
            ``tf.data.Dataset``, read whole) for the base rates.
        pseudo_count: float >= 0, the base rates' smoothing.
        base_logits: instead of ``data``, the base logits b_A ``[D]``; with
            neither, b_A = 0 (a uniform base: correct, but needing more betas).
        jit_compile: bool, compile the loop with XLA (default False: on 2 shared CPU
            cores XLA was 1.6x slower; ``benchmarks/speed_ais.py`` times the full
            protocol on a 784 x 500 RBM: 53.5 s, plain NumPy 82.4 s, in one run).

    Returns:
        dict: ``log_z`` (float, nats), ``log_z_std_error`` (delta-method standard
        error of log Z over the runs, sd(w) / (mean(w) sqrt(num_runs)), nats),
        ``log_weights_std`` (sd of the log-weights over runs), ``log_weights``
        (``[num_runs]`` float64, log w), ``log_z_base`` (log Z_A), ``method``
        (``"ais"``), ``num_betas``, ``num_runs``, ``schedule``, ``seconds``.
        ``model.set_log_partition`` takes it.

    Raises:
        ValueError / TypeError: naming ``model``, ``num_betas`` (< 2), ``betas``,
            ``num_runs`` (< 1), ``seed``, ``base_logits`` or ``data``.

    Example:

    >>> result = kgen.metrics.ais_log_partition(model, data=train_images, seed=0)
    >>> result["log_z"], result["log_z_std_error"]
    >>> model.set_log_partition(result)
    """
    w, b, c = rbm_parameters(model)
    betas, schedule = _schedule(num_betas, betas)
    num_runs, seed = _runs_and_seed(num_runs, seed)
    base = _base_logits(model, data, pseudo_count, base_logits, w.shape[0])
    start = time.time()
    log_w = _anneal(model, w, b, c, base, betas, None, num_runs, [seed, 0], jit_compile)
    result = _summary(log_w, _log_z_base(base, w.shape[1]), reverse=False)
    return {**result, "method": "ais", "num_betas": int(len(betas)), "num_runs": num_runs,
            "schedule": schedule, "seconds": time.time() - start}


def reverse_ais_log_partition(model, start, num_betas=None, betas=None, num_runs=100,
                              burn_in=0, seed=0, data=None, pseudo_count=1.0,
                              base_logits=None, jit_compile=False):
    """Estimates log Z of an RBM by reverse AIS, annealing from the RBM to the base.

    The other side of the sandwich (Burda, Grosse & Salakhutdinov 2015,
    arXiv:1412.8566, sec. 3; Grosse et al. 2016, arXiv:1511.02543): the runs
    start at states of the target p_B = p_1 and pass through the intermediate
    distributions of ``ais_log_partition`` in the opposite order,
    beta = 1 -> 0, each run adding log p*_beta_(k-1)(v) - log p*_beta_k(v)
    before a Gibbs sweep that leaves p_beta_(k-1) invariant. With exact
    samples of p_B the mean weight is unbiased for Z_A / Z_B, so

        log Z = log Z_A - logmeanexp(log w)

    is biased high, a stochastic upper bound in expectation, where forward AIS
    is biased low: the two bracket log Z, and their gap bounds the error of
    both. Exact samples of an RBM are not available; the runs start from
    ``start`` (e.g. PCD chains, or training data) after ``burn_in`` Gibbs
    sweeps at beta = 1, and the bound holds only as far as these follow p_B.

    Args:
        model: an RBM, as for ``ais_log_partition``.
        start: ``[N, *event_shape]`` (or ``[N, D]``) binary start states; run i
            starts at ``start[i % N]``.
        num_betas, betas: the schedule, as for ``ais_log_partition`` (run
            backwards).
        num_runs: int >= 1.
        burn_in: int >= 0 Gibbs sweeps at beta = 1 before annealing.
        seed: int >= 0; runs draw other noise than forward AIS of the same seed.
        data, pseudo_count, base_logits, jit_compile: as for ``ais_log_partition``.

    Returns:
        dict: the keys of ``ais_log_partition`` with ``method`` ``"reverse_ais"``
        (``log_weights`` are the reverse log-weights, log w of Z_A / Z_B),
        ``burn_in`` and ``num_start_states``.

    Raises:
        ValueError / TypeError: naming ``start`` (wrong size, not binary),
            ``burn_in`` or an argument of ``ais_log_partition``.
    """
    w, b, c = rbm_parameters(model)
    betas, schedule = _schedule(num_betas, betas)
    num_runs, seed = _runs_and_seed(num_runs, seed)
    if isinstance(burn_in, bool) or not isinstance(burn_in, (int, np.integer)) or burn_in < 0:
        raise ValueError(f"`burn_in` must be an integer >= 0. Received: burn_in={burn_in!r}")
    states = np.asarray(start if not isinstance(start, tf.Tensor) else start.numpy(),
                        np.float32)
    states = states.reshape(len(states), -1) if states.ndim >= 2 and states.size else states
    if states.ndim != 2 or states.shape[1] != w.shape[0] or len(states) == 0 or \
            not np.all((states == 0) | (states == 1)):
        raise ValueError(f"`start` must be binary states [N, {w.shape[0]}] of the RBM (N >= 1)."
                         f" Received: start of shape {np.shape(start)}")
    base = _base_logits(model, data, pseudo_count, base_logits, w.shape[0])
    began = time.time()
    path = np.concatenate([np.ones(int(burn_in)), betas[::-1]])
    log_w = _anneal(model, w, b, c, base, path, states[np.arange(num_runs) % len(states)],
                    num_runs, [seed, 1], jit_compile)
    result = _summary(log_w, _log_z_base(base, w.shape[1]), reverse=True)
    return {**result, "method": "reverse_ais", "num_betas": int(len(betas)),
            "num_runs": num_runs, "schedule": schedule, "burn_in": int(burn_in),
            "num_start_states": int(len(states)), "seconds": time.time() - began}


def _runs_and_seed(num_runs, seed):
    num_runs = checks.positive_int("num_runs", num_runs)
    if seed is None:
        raise ValueError("`seed` must be an integer >= 0 (the estimate is reproducible). "
                         "Received: seed=None")
    return num_runs, checks.seed("seed", seed)


def _log_z_base(base, num_hidden):
    """log Z_A = sum_i softplus(b_A,i) + H log 2, float."""
    return float(np.logaddexp(0.0, base.astype(np.float64)).sum() + num_hidden * math.log(2))


def _summary(log_w, log_z_base, reverse):
    """log Z and its delta-method standard error from the runs' log-weights."""
    top = log_w.max()
    weights = np.exp(log_w - top)
    log_ratio = top + math.log(weights.mean())  # log Z_B/Z_A (forward), Z_A/Z_B (reverse)
    return {
        "log_z": float(log_z_base - log_ratio if reverse else log_z_base + log_ratio),
        "log_z_std_error": float(weights.std() / (weights.mean() * math.sqrt(len(log_w)))),
        "log_weights_std": float(log_w.std()),
        "log_weights": log_w,
        "log_z_base": log_z_base,
    }


def _anneal(model, w, b, c, base, betas, start, num_runs, seed, jit_compile, unroll=None):
    """The log-weights ``[num_runs]`` (float64, NumPy) of runs along ``betas``.

    On a schedule whose steps keep |(beta_k - beta_(k-1)) (v W + c)_j| < 1 for
    every v (the paper's: 1e-3 times the largest sum_i |W_ij| + |c_j|), each
    step's hidden term is computed in float32 without cancellation,
    softplus(beta_k x) - softplus(beta_(k-1) x) = -log1p(sigmoid(beta_k x)
    expm1(-(beta_k - beta_(k-1)) x)), from the same sigmoid the Gibbs sweep
    draws h with, and only the sum over runs' steps is float64 (``_fast_runs``);
    other schedules take the float64 differences (``_runs``).
    """
    bound = np.max(np.abs(w).sum(axis=0) + np.abs(c)) * np.max(np.abs(np.diff(betas)))
    start = None if start is None else tf.constant(start, tf.float32)
    args = (tf.constant(w, tf.float32), tf.constant(b, tf.float32), tf.constant(c, tf.float32),
            tf.constant(base, tf.float32))
    if bound < 1.0:
        unroll = unroll or _UNROLL
        steps = len(betas) - 1
        padded = np.concatenate([betas, np.full(-steps % unroll, betas[-1])])  # zero steps
        run = _compiled(_fast_runs, bool(jit_compile))
        return run(model, *args, tf.constant(padded, tf.float64), num_runs,
                   tf.constant(seed, tf.int64), start, unroll).numpy()
    run = _compiled(_runs, bool(jit_compile))
    return run(model, *args, tf.constant(betas, tf.float64), num_runs,
               tf.constant(seed, tf.int64), start).numpy()


# Gibbs steps per iteration of the compiled loop (fewer loop iterations, fused work).
_UNROLL = 10
_COMPILED = {}


def _compiled(fn, jit_compile):
    """One ``tf.function`` per (loop, XLA) pair, so repeated estimates reuse the trace."""
    key = (fn, jit_compile)
    if key not in _COMPILED:
        _COMPILED[key] = tf.function(fn, jit_compile=jit_compile)
    return _COMPILED[key]


def _fast_runs(model, w, b, c, base, betas, num_runs, seed, start, unroll):
    """``_runs`` for fine schedules: float32 state and increments (see ``_anneal``),
    ``unroll`` steps per loop iteration, one noise draw per step, float64 sums."""
    num_visible, num_hidden = w.shape
    # v @ [W | b - b_A] gives the hidden logits and the visible term in one product.
    w_joint = tf.concat([w, (b - base)[:, None]], axis=1)
    w_t = tf.transpose(w)  # h @ W^T from a stored W^T: ~25 % faster than transpose_b here
    deltas = tf.cast(betas[1:] - betas[:-1], tf.float32)
    betas32 = tf.cast(betas, tf.float32)

    def step(k, v, log_w):
        beta, delta = betas32[k], deltas[k - 1]
        joint = tf.matmul(v, w_joint)
        logits = joint[:, :num_hidden] + c
        probs = tf.sigmoid(beta * logits)
        hidden_term = -tf.reduce_sum(tf.math.log1p(probs * tf.math.expm1(-delta * logits)), -1)
        log_w += tf.cast(hidden_term + delta * joint[:, num_hidden], tf.float64)
        u = model.uniform((num_runs, num_hidden + num_visible),
                          seed=tf.random.experimental.stateless_fold_in(seed, k))
        h = tf.cast(u[:, :num_hidden] < probs, tf.float32)
        top_down = tf.matmul(h, w_t)
        v = tf.cast(u[:, num_hidden:] < tf.sigmoid(beta * (top_down + b) + (1.0 - beta) * base),
                    tf.float32)
        return v, log_w

    def body(k, v, log_w):
        for i in range(unroll):
            v, log_w = step(k + i, v, log_w)
        return k + unroll, v, log_w

    if start is None:
        start = tf.cast(model.uniform((num_runs, num_visible),
                                      seed=tf.random.experimental.stateless_fold_in(seed, 0))
                        < tf.sigmoid(base), tf.float32)
    _, _, log_w = tf.while_loop(lambda k, *_: k < tf.shape(betas)[0], body,
                                (tf.constant(1), start, tf.zeros((num_runs,), tf.float64)))
    return log_w


def _runs(model, w, b, c, base, betas, num_runs, seed, start=None):
    """The log-weights of ``num_runs`` AIS runs along ``betas`` (from ``start``, or
    from the base model), ``[num_runs]`` float64, with float64 softplus differences."""
    def bernoulli(probs, index):
        u = model.uniform(tf.shape(probs), seed=tf.random.experimental.stateless_fold_in(
            seed, index))
        return tf.cast(u < probs, tf.float32)

    def body(k, v, log_w):
        beta0, beta1 = betas[k - 1], betas[k]
        logits = tf.matmul(v, w) + c
        wide = tf.cast(logits, tf.float64)
        log_w += ((beta1 - beta0) * tf.cast(tf.linalg.matvec(v, b - base), tf.float64)
                  + tf.reduce_sum(tf.nn.softplus(beta1 * wide) - tf.nn.softplus(beta0 * wide),
                                  axis=-1))
        beta = tf.cast(beta1, tf.float32)
        h = bernoulli(tf.sigmoid(beta * logits), 2 * k)
        v = bernoulli(tf.sigmoid((1.0 - beta) * base
                                 + beta * (tf.matmul(h, w, transpose_b=True) + b)), 2 * k + 1)
        return k + 1, v, log_w

    v = (bernoulli(tf.broadcast_to(tf.sigmoid(base), (num_runs, w.shape[0])), 0)
         if start is None else start)
    _, _, log_w = tf.while_loop(lambda k, *_: k < tf.shape(betas)[0], body,
                                (tf.constant(1), v, tf.zeros((num_runs,), tf.float64)))
    return log_w


def _schedule(num_betas, betas):
    if num_betas is not None and betas is not None:
        raise ValueError(f"`num_betas` and `betas` are alternatives; give one. Received: "
                         f"num_betas={num_betas!r} and betas of type {type(betas).__name__}")
    if num_betas is not None:
        num_betas = checks.positive_int("num_betas", num_betas, minimum=2)
        return np.linspace(0.0, 1.0, num_betas), f"linear_{num_betas}"
    if betas is None or (isinstance(betas, str) and betas == PAPER_SCHEDULE):
        return paper_betas(), PAPER_SCHEDULE
    if isinstance(betas, str):
        raise ValueError(f"`betas` must be an array or {PAPER_SCHEDULE!r}. Received: "
                         f"betas={betas!r}")
    betas = np.asarray(betas, np.float64)
    if betas.ndim != 1 or len(betas) < 2 or betas[0] != 0.0 or betas[-1] != 1.0 \
            or np.any(np.diff(betas) < 0):
        raise ValueError(f"`betas` must be a non-decreasing 1-D array of >= 2 values from 0 "
                         f"to 1. Received: betas of shape {betas.shape}"
                         + (f" from {betas.flat[0]} to {betas.flat[-1]}" if betas.size else ""))
    return betas, "custom"


def _base_logits(model, data, pseudo_count, base_logits, num_visible):
    from kgen.models.energy import partition

    if data is not None and base_logits is not None:
        raise ValueError("`data` and `base_logits` are alternatives; give one. Received both")
    if base_logits is not None:
        base = np.asarray(base_logits, np.float32).reshape(-1)
        if base.shape != (num_visible,) or not np.all(np.isfinite(base)):
            raise ValueError(f"`base_logits` must be {num_visible} finite logits. Received: "
                             f"base_logits of shape {np.shape(base_logits)}")
        return base
    if data is None:
        return np.zeros((num_visible,), np.float32)
    x = partition.first_examples(data)
    if hasattr(model, "validate_inputs"):
        x = model.validate_inputs(x, name="data")
    return partition.base_rate_logits(x, pseudo_count)


__all__ = ["PAPER_SCHEDULE", "ais_log_partition", "paper_betas", "reverse_ais_log_partition"]
