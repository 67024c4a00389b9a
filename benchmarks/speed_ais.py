"""Speed of kgen's AIS (``kgen.metrics.ais_log_partition``) against plain NumPy.

The full protocol of Salakhutdinov & Murray (2008): a 784 x 500 Bernoulli RBM,
the paper's 14,500-step schedule, 100 runs, the base-rate model from the
binarized-MNIST training images. In one process:

- ``numpy``: a plain NumPy implementation of the same algorithm (float32 Gibbs
  sweeps, the float64 softplus differences of the log-weights), the reference;
- ``kgen``: ``ais_log_partition`` as it runs by default (float32 state and
  cancellation-free float32 increments summed in float64, 10 steps per
  iteration of one compiled ``tf.while_loop``, no XLA);
- ``kgen_xla`` (with ``--xla``): the same with ``jit_compile=True``;
- ``kgen_float64_terms``: the earlier loop (float64 softplus differences, one
  step per iteration), kept for the ratio.

The model is the preset's architecture with weights drawn as N(0, 0.05^2) and
visible biases at the base rates plus N(0, 0.5^2): the speed does not depend on
the weights, and every implementation's log Z is reported (they estimate the
same number with different noise). Warm-up (tracing) first, then ``--rounds``
rounds of every configuration in turn, each round starting one later (this VM
is shared: trust ratios within a run, not absolute times across runs).

    python benchmarks/speed_ais.py [--rounds 2] [--steps 14500]
"""

import os

# One BLAS thread: on this shared 2-core VM, OpenBLAS's two threads made a
# 100 x 784 x 500 product 25x slower (47 ms against 2 ms, measured); TensorFlow
# keeps its own thread pool.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kgen.data  # noqa: E402
import kgen.metrics  # noqa: E402
from benchmarks.common import write_result  # noqa: E402
from kgen.metrics import ais  # noqa: E402
from kgen.models.energy import RBM, base_rate_logits  # noqa: E402


def numpy_ais(w, b, c, base, betas, num_runs, seed):
    """Plain NumPy AIS (hidden units summed out); returns the log-weights, float64."""
    rng = np.random.default_rng(seed)
    w32, b32, c32, base32 = (a.astype(np.float32) for a in (w, b, c, base))
    visible_term = (b - base).astype(np.float32)
    v = (rng.random((num_runs, len(b)), dtype=np.float32) < 1 / (1 + np.exp(-base32))
         ).astype(np.float32)
    log_w = np.zeros(num_runs)
    for beta0, beta1 in zip(betas[:-1], betas[1:]):
        x = (v @ w32 + c32).astype(np.float64)
        log_w += (beta1 - beta0) * (v @ visible_term) + (
            np.logaddexp(0.0, beta1 * x) - np.logaddexp(0.0, beta0 * x)).sum(axis=1)
        beta = np.float32(beta1)
        p_h = 1 / (1 + np.exp(-beta * x.astype(np.float32)))
        h = (rng.random(p_h.shape, dtype=np.float32) < p_h).astype(np.float32)
        p_v = 1 / (1 + np.exp(-((1 - beta) * base32 + beta * (h @ w32.T + b32))))
        v = (rng.random(p_v.shape, dtype=np.float32) < p_v).astype(np.float32)
    return log_w


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None,
                        help="STEPS betas interpolated along the paper's schedule, for "
                             "quick checks (default: its 14,500 steps)")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--xla", action="store_true",
                        help="also time jit_compile=True (1.6x slower than without here)")
    args = parser.parse_args()
    train = np.concatenate([x.numpy() for x in kgen.data.load("binarized_mnist", "train",
                                                              batch_size=10000)])
    base = base_rate_logits(train)
    rng = np.random.default_rng(0)
    model = RBM(num_visible=784, num_hidden=500, seed=0)
    model.kernel.assign(rng.normal(0, 0.05, (784, 500)).astype(np.float32))
    model.visible_bias.assign(base + rng.normal(0, 0.5, 784).astype(np.float32))
    model.hidden_bias.assign(rng.normal(0, 0.5, 500).astype(np.float32) - 1.0)
    betas = ais.paper_betas()
    if args.steps is not None:
        betas = np.interp(np.linspace(0, len(betas) - 1, args.steps + 1),
                          np.arange(len(betas)), betas)
    w, b, c = kgen.metrics.partition.rbm_parameters(model)
    log_z_base = ais._log_z_base(base, 500)

    def kgen_run(jit_compile=False, loop=None):
        def run():
            if loop is None:
                return kgen.metrics.ais_log_partition(
                    model, betas=betas, num_runs=args.runs, seed=0, base_logits=base,
                    jit_compile=jit_compile)["log_z"]
            fn = ais._compiled(loop, jit_compile)
            import tensorflow as tf

            log_w = fn(model, *(tf.constant(a, tf.float32) for a in (w, b, c, base)),
                       tf.constant(betas, tf.float64), args.runs,
                       tf.constant([0, 0], tf.int64), None).numpy()
            return ais._summary(log_w, log_z_base, reverse=False)["log_z"]
        return run

    def numpy_run():
        log_w = numpy_ais(w, b, c, base, betas, args.runs, seed=0)
        return ais._summary(log_w, log_z_base, reverse=False)["log_z"]

    configs = {"numpy": numpy_run, "kgen": kgen_run(),
               "kgen_float64_terms": kgen_run(False, ais._runs)}
    if args.xla:
        configs["kgen_xla"] = kgen_run(True)
    warm = np.concatenate([betas[:21], [1.0]])
    for name in configs:  # warm-up: trace and compile on a short schedule
        if name != "numpy":
            kgen.metrics.ais_log_partition(model, betas=warm, num_runs=args.runs, seed=0,
                                           base_logits=base, jit_compile=name == "kgen_xla")
    ais._compiled(ais._runs, False)(
        model, *(__import__("tensorflow").constant(a, "float32") for a in (w, b, c, base)),
        __import__("tensorflow").constant(warm, "float64"), args.runs,
        __import__("tensorflow").constant([0, 0], "int64"), None)
    names, seconds, log_z = list(configs), {n: [] for n in configs}, {}
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            log_z[name] = configs[name]()
            seconds[name].append(time.perf_counter() - start)
            print(f"round {r}: {name:20s} {seconds[name][-1]:7.1f} s  log Z {log_z[name]:.3f}",
                  flush=True)
    runs = {}
    for name in names:
        median = statistics.median(seconds[name])
        runs[name] = {"seconds_median": round(median, 2),
                      "seconds_best": round(min(seconds[name]), 2),
                      "seconds": [round(s, 2) for s in seconds[name]],
                      "speedup_over_numpy": round(
                          statistics.median(seconds["numpy"]) / median, 2),
                      "log_z": log_z[name]}
        print(f"{name:20s} median {median:6.1f} s  x{runs[name]['speedup_over_numpy']} "
              f"over numpy  log Z {log_z[name]:.3f}")
    write_result("speed_ais", {
        "protocol": f"784 x 500 RBM, {len(betas) - 1} AIS steps "
                    f"({'the paper schedule' if args.steps is None else 'a prefix of it'}), "
                    f"{args.runs} runs, base rates of binarized MNIST train",
        "goal": "the full protocol under 40 s on this machine",
        "rounds": args.rounds,
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "runs": runs,
    })


if __name__ == "__main__":
    main()
