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
import sys

import keras
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kgen  # noqa: E402
from benchmarks import common  # noqa: E402

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

    def loss(x):
        x = tf.reshape(x, (-1, 784))
        loc, raw = tf.split(enc(x), 2, axis=-1)
        scale = tf.nn.softplus(raw) + 1e-4
        z = loc + scale * tf.random.normal(tf.shape(loc))
        logits = dec(z)
        rec = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(x, logits), -1)
        kl = 0.5 * tf.reduce_sum(tf.square(loc) + tf.square(scale) - 1
                                 - 2 * tf.math.log(scale), -1)
        return tf.reduce_mean(rec + kl)

    return common.plain_adam_epoch(loss, enc.trainable_variables + dec.trainable_variables, jit)


class AutoSelectRNGVAE(kgen.models.vae.VAE):
    """The VAE with TensorFlow's default ``auto_select`` generator instead of
    kgen's named Philox (``kgen.models.base.RNG_ALG``): the A/B of that choice."""

    def standard_normal(self, shape, seed=None):
        return tf.random.stateless_normal(shape, seed=self._draw_seed(seed), alg="auto_select")


def fit_epoch_fn(jit, steps_per_execution, cls=kgen.models.vae.VAE):
    return common.fit_epoch(cls(latent_dim=50, seed=0), jit, steps_per_execution)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = common.binarized_mnist("train", args.examples)
    ds = common.in_memory(x, args.batch_size)
    makers = {"plain": lambda: plain_epoch_fn(False), "plain_xla": lambda: plain_epoch_fn(True)}
    for spe in (1, 10, 50):
        suffix = "" if spe == 1 else f"_spe{spe}"
        makers["kgen_fit" + suffix] = lambda spe=spe: fit_epoch_fn(False, spe)
        makers["kgen_fit_xla" + suffix] = lambda spe=spe: fit_epoch_fn(True, spe)
    makers["kgen_fit_xla_spe50_auto_select_rng"] = lambda: fit_epoch_fn(True, 50, AutoSelectRNGVAE)
    seconds = common.round_robin({name: make() for name, make in makers.items()}, ds,
                                 args.rounds, print_rounds=False)
    runs = common.add_ratios(common.rates(seconds, len(x), flops=flops_per_example()),
                             common.same_jit_plain, "plain_same_jit",
                             line="{name:22s} {rate:9.0f} ex/s (best {best:7.0f})  x{ratio}")
    common.write_result("speed_vae", {
        "network": "784-200-200-50 tanh VAE, Bernoulli, Adam, batch %d" % args.batch_size,
        "examples_per_epoch": len(x),
        "rounds": args.rounds,
        "flops_per_example_train": flops_per_example(),
        "runs": runs,
    })


if __name__ == "__main__":
    main()
