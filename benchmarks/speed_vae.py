"""Training speed of kgen's VAE `fit` against a plain hand-written loop.

Same network (Burda et al. 2016: 784-200-200-50 tanh, Bernoulli, Adam),
same data (binarized MNIST train, in memory, batch 100), same process:

- ``plain``: a hand-written ``tf.function`` step with ``tf.GradientTape``,
  plain Keras ``Dense`` layers and the ELBO written out in TensorFlow ops;
- ``kgen_fit``: ``kgen.models.vae.VAE`` trained with ``model.fit``;
- each with and without XLA (``jit_compile``), and ``fit`` at
  ``steps_per_execution`` 1, 10 and 50.

Every configuration is built and warmed up (tracing, compilation) first; then
``--rounds`` rounds each time one epoch of every configuration in turn,
starting each round one configuration later, so that the host's load drifts
over all of them alike and none is always first (this machine is a shared VM:
one epoch's wall time varies by up to ~2.9x, with epochs often stalled to
about 1.26 s or 2.54 s whatever runs; timing the configurations one after the
other made their order matter). Reports examples/s (median and best of the
rounds), the ratios of the medians and of the bests to the plain loop with
the same ``jit_compile``, and achieved GFLOP/s of the median (dense layers
only, forward + backward = 3x the forward multiply-adds x 2).

    python benchmarks/speed_vae.py
"""

import argparse
import os
import statistics
import sys
import time

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kgen  # noqa: E402
import kgen.data  # noqa: E402
from benchmarks.common import write_result  # noqa: E402

SIZES = [784, 200, 200, 50]


def flops_per_example():
    enc = sum(a * b for a, b in zip(SIZES[:-2], SIZES[1:-1])) + SIZES[-2] * 2 * SIZES[-1]
    dec = sum(a * b for a, b in zip(SIZES[::-1][:-1], SIZES[::-1][1:]))
    return 3 * 2 * (enc + dec)


def plain_epoch_fn(jit):
    """A plain VAE written directly in TensorFlow: the reference."""
    enc = keras.Sequential([keras.Input((784,)), keras.layers.Dense(200, "tanh"),
                            keras.layers.Dense(200, "tanh"), keras.layers.Dense(100)])
    dec = keras.Sequential([keras.Input((50,)), keras.layers.Dense(200, "tanh"),
                            keras.layers.Dense(200, "tanh"), keras.layers.Dense(784)])
    variables = enc.trainable_variables + dec.trainable_variables
    opt = keras.optimizers.Adam(1e-3)
    opt.build(variables)

    @tf.function(jit_compile=jit)
    def step(x):
        x = tf.reshape(x, (-1, 784))
        with tf.GradientTape() as tape:
            loc, raw = tf.split(enc(x), 2, axis=-1)
            scale = tf.nn.softplus(raw) + 1e-4
            z = loc + scale * tf.random.normal(tf.shape(loc))
            logits = dec(z)
            rec = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(x, logits), -1)
            kl = 0.5 * tf.reduce_sum(tf.square(loc) + tf.square(scale) - 1
                                     - 2 * tf.math.log(scale), -1)
            loss = tf.reduce_mean(rec + kl)
        opt.apply(tape.gradient(loss, variables), variables)
        return loss

    def epoch(ds):
        for x in ds:
            loss = step(x)
        return float(loss)

    return epoch


class AutoSelectRNGVAE(kgen.models.vae.VAE):
    """The VAE with TensorFlow's default ``auto_select`` generator instead of
    kgen's named Philox (``kgen.models.base.RNG_ALG``): the A/B of that choice."""

    def standard_normal(self, shape, seed=None):
        return tf.random.stateless_normal(shape, seed=self._draw_seed(seed), alg="auto_select")


def fit_epoch_fn(jit, steps_per_execution, cls=kgen.models.vae.VAE):
    model = cls(latent_dim=50, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit,
                  steps_per_execution=steps_per_execution)
    return lambda ds: model.fit(ds, epochs=1, verbose=0).history["loss"][-1]


def time_round_robin(epochs, ds, rounds):
    """Seconds of each timed epoch, ``{name: [rounds floats]}``, interleaved."""
    for epoch in epochs.values():
        epoch(ds)  # warm-up: tracing and compilation
    names = list(epochs)
    seconds = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            epochs[name](ds)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = np.concatenate([b.numpy() for b in kgen.data.load("binarized_mnist", "train",
                                                          batch_size=10000)])[:args.examples]
    ds = tf.data.Dataset.from_tensor_slices(x).batch(args.batch_size).cache().prefetch(2)
    makers = {"plain": lambda: plain_epoch_fn(False), "plain_xla": lambda: plain_epoch_fn(True)}
    for spe in (1, 10, 50):
        suffix = "" if spe == 1 else f"_spe{spe}"
        makers["kgen_fit" + suffix] = lambda spe=spe: fit_epoch_fn(False, spe)
        makers["kgen_fit_xla" + suffix] = lambda spe=spe: fit_epoch_fn(True, spe)
    makers["kgen_fit_xla_spe50_auto_select_rng"] = lambda: fit_epoch_fn(True, 50, AutoSelectRNGVAE)
    seconds = time_round_robin({name: make() for name, make in makers.items()}, ds, args.rounds)
    runs = {}
    for name, times in seconds.items():
        median, best = statistics.median(times), min(times)
        runs[name] = {"examples_per_second": round(len(x) / median, 1),
                      "best_examples_per_second": round(len(x) / best, 1),
                      "gflops": round(len(x) * flops_per_example() / median / 1e9, 2),
                      "epoch_seconds": [round(t, 3) for t in times]}
    for name, run in runs.items():
        ref = runs["plain_xla" if "xla" in name else "plain"]
        run["ratio_to_plain_same_jit"] = round(
            run["examples_per_second"] / ref["examples_per_second"], 3)
        run["best_ratio_to_plain_same_jit"] = round(
            run["best_examples_per_second"] / ref["best_examples_per_second"], 3)
        print(f"{name:22s} {run['examples_per_second']:9.0f} ex/s (best "
              f"{run['best_examples_per_second']:7.0f})  x{run['ratio_to_plain_same_jit']}",
              flush=True)
    write_result("speed_vae", {
        "network": "784-200-200-50 tanh VAE, Bernoulli, Adam, batch %d" % args.batch_size,
        "examples_per_epoch": len(x),
        "rounds": args.rounds,
        "flops_per_example_train": flops_per_example(),
        "runs": runs,
    })


if __name__ == "__main__":
    main()
