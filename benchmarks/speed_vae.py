"""Training speed of kgen's VAE `fit` against a plain hand-written loop.

Same network (Burda et al. 2016: 784-200-200-50 tanh, Bernoulli, Adam),
same data (binarized MNIST train, in memory, batch 100), same process:

- ``plain``: a hand-written ``tf.function`` step with ``tf.GradientTape``,
  plain Keras ``Dense`` layers and the ELBO written out in TensorFlow ops;
- ``kgen_fit``: ``kgen.models.vae.VAE`` trained with ``model.fit``;
- each with and without XLA (``jit_compile``), and ``fit`` also with
  ``steps_per_execution=50``.

Reports examples/s (median of ``--repeats`` timed epochs after one warm-up
epoch), the ratio to the plain loop, and achieved GFLOP/s (dense layers only,
forward + backward = 3x the forward multiply-adds x 2).

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


def fit_epoch_fn(jit, steps_per_execution):
    model = kgen.models.vae.VAE(latent_dim=50, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit,
                  steps_per_execution=steps_per_execution)
    return lambda ds: model.fit(ds, epochs=1, verbose=0).history["loss"][-1]


def time_epochs(epoch, ds, repeats):
    epoch(ds)  # warm-up: tracing and compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch(ds)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = np.concatenate([b.numpy() for b in kgen.data.load("binarized_mnist", "train",
                                                          batch_size=10000)])[:args.examples]
    ds = tf.data.Dataset.from_tensor_slices(x).batch(args.batch_size).cache().prefetch(2)
    runs = {}
    for name, make in [
        ("plain", lambda: plain_epoch_fn(False)),
        ("plain_xla", lambda: plain_epoch_fn(True)),
        ("kgen_fit", lambda: fit_epoch_fn(False, 1)),
        ("kgen_fit_xla", lambda: fit_epoch_fn(True, 1)),
        ("kgen_fit_spe50", lambda: fit_epoch_fn(False, 50)),
        ("kgen_fit_xla_spe50", lambda: fit_epoch_fn(True, 50)),
    ]:
        seconds = time_epochs(make(), ds, args.repeats)
        runs[name] = {"examples_per_second": round(len(x) / seconds, 1),
                      "gflops": round(len(x) * flops_per_example() / seconds / 1e9, 2)}
        print(name, runs[name], flush=True)
    for name, run in runs.items():
        ref = runs["plain_xla" if "xla" in name else "plain"]["examples_per_second"]
        run["ratio_to_plain_same_jit"] = round(run["examples_per_second"] / ref, 3)
    write_result("speed_vae", {
        "network": "784-200-200-50 tanh VAE, Bernoulli, Adam, batch %d" % args.batch_size,
        "examples_per_epoch": len(x),
        "flops_per_example_train": flops_per_example(),
        "runs": runs,
    })


if __name__ == "__main__":
    main()
