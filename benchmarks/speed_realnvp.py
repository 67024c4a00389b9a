"""Training speed of kgen's RealNVP `fit` against a plain hand-written loop, and
its sampling speed.

Same network (``kgen.models.flows.RealNVP`` on 28x28x1 images: 2 scales,
``--couplings`` checkerboard / channel affine couplings per scale with ActNorm,
residual CNNs of ``--filters`` channels and ``--blocks`` blocks; 256 levels
dequantized, logit transform with alpha 0.05; Adam 1e-3), same data (the
first ``--examples`` Fashion-MNIST training images as levels 0..255, in memory,
batch 100), same process, every model from the same seeded weights and the
same ActNorm data-dependent initialization (the first batch):

- ``plain``: a hand-written ``tf.function`` step with ``tf.GradientTape`` and
  Adam that walks the model's own layers (``layer(h, inverse=True)`` for each
  of ``model.flow_layers``), with the dequantization (``x + u``, ``/ 256``:
  -D log 256), the logit transform and its log-det and the standard normal
  base written out in TensorFlow ops: no Keras ``fit``, no TFP chain, no
  metrics, no data adapter;
- ``plain_log_prob``: the same hand-written step calling the model's own
  ``_log_prob`` (the TFP ``tfb.Chain`` walked by ``inverse_and_log_det``):
  what the chain adds over the bare layers (nothing at run time if the traced
  graphs are the same);
- ``kgen_fit``: ``model.fit`` on the dataset;
- each with and without XLA (``jit_compile``); ``fit`` also at 10 steps per
  execution.

Timing is the house method of ``speed_vae.py``: every configuration is warmed
up with one epoch (tracing, compilation), then ``--rounds`` rounds of one
epoch each in turn, starting one later each round, so host load drifts over
all alike. Reports examples/s (median and best) and the ratios to the plain
loop with the same ``jit_compile``.

Sampling: images/s of ``model.sample(--sample-batch, seed, temperature=1)``
as users call it (eager; the chain built and walked op by op), and of
``model._sample`` under ``tf.function`` without and with XLA, timed in the same
round-robin after the training rounds (``--sample-calls`` calls a round, the
median of ``--rounds`` rounds, after a warm-up round).

    python benchmarks/speed_realnvp.py --rounds 3
"""

import argparse
import math
import os
import sys

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from kgen.data import fashion_mnist  # noqa: E402
from kgen.models.flows import RealNVP  # noqa: E402

ALPHA, LEVELS, D = 0.05, 256, 28 * 28


def make_model(args, first_batch):
    model = RealNVP(event_shape=(28, 28, 1), num_scales=2, num_couplings=args.couplings,
                    filters=args.filters, num_blocks=args.blocks, num_levels=LEVELS,
                    logit_alpha=ALPHA, seed=0)
    model.initialize_from_data(first_batch, seed=0)  # what fit would do on its first batch
    return model


def plain_log_prob_fn(model):
    """log p(x + u) in TensorFlow ops over the model's layers, ``[batch]`` nats."""
    log_span = math.log1p(-2.0 * ALPHA)

    def log_prob(x):
        v = (x + model.uniform(tf.shape(x))) / LEVELS
        p = ALPHA + (1.0 - 2.0 * ALPHA) * v
        h = tf.math.log(p) - tf.math.log1p(-p)
        total = -D * math.log(LEVELS) + tf.reduce_sum(
            log_span - tf.math.log(p) - tf.math.log1p(-p), [1, 2, 3])
        for layer in model.flow_layers:
            h, log_det = layer(h, inverse=True)
            total += log_det
        axes = list(range(1, len(h.shape)))
        return total - 0.5 * tf.reduce_sum(tf.square(h), axes) - 0.5 * D * math.log(2 * math.pi)

    return log_prob


def plain_epoch_fn(args, first_batch, jit, own_log_prob=False):
    model = make_model(args, first_batch)
    log_prob = model._log_prob if own_log_prob else plain_log_prob_fn(model)
    return common.plain_adam_epoch(lambda x: -tf.reduce_mean(log_prob(x)),
                                   model.trainable_variables, jit), model


def fit_epoch_fn(args, first_batch, jit, steps_per_execution):
    model = make_model(args, first_batch)
    return common.fit_epoch(model, jit, steps_per_execution), model


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=800)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--couplings", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", nargs="*",
                        default=["plain", "kgen_fit", "plain_xla", "kgen_fit_xla"],
                        help="configurations to run one more epoch of under cProfile")
    parser.add_argument("--sample-batch", type=int, default=100)
    parser.add_argument("--sample-calls", type=int, default=5)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = np.round(fashion_mnist.load_arrays("train")[0][:args.examples] * 255).astype(np.float32)
    first = x[:args.batch_size]
    ds = common.in_memory(x, args.batch_size)
    makers = {"plain": lambda: plain_epoch_fn(args, first, False),
              "plain_xla": lambda: plain_epoch_fn(args, first, True),
              "plain_log_prob": lambda: plain_epoch_fn(args, first, False, own_log_prob=True),
              "plain_log_prob_xla": lambda: plain_epoch_fn(args, first, True, own_log_prob=True),
              "kgen_fit": lambda: fit_epoch_fn(args, first, False, 1),
              "kgen_fit_xla": lambda: fit_epoch_fn(args, first, True, 1),
              "kgen_fit_xla_spe10": lambda: fit_epoch_fn(args, first, True, 10)}
    made = {name: make() for name, make in makers.items()}
    num_params = made["plain"][1].count_params()
    seconds = common.round_robin({n: m[0] for n, m in made.items()}, ds, args.rounds)
    runs = common.add_ratios(common.rates(seconds, len(x), times_key="seconds"),
                             common.same_jit_plain, "plain_same_jit",
                             line="{name:20s} {rate:8.1f} ex/s (best {best:7.1f})  x{ratio}")
    model = made["kgen_fit_xla"][1]
    n = args.sample_batch
    compiled = {jit: tf.function(lambda t, jit=jit: model._sample(n, t), jit_compile=jit)
                for jit in (False, True)}
    calls = args.sample_calls
    samplers = {"sample_eager": lambda _: [model.sample(n, temperature=1.0).numpy()
                                           for _ in range(calls)][-1],
                "sample_tf_function": lambda _: [compiled[False](tf.constant(1.0)).numpy()
                                                 for _ in range(calls)][-1],
                "sample_tf_function_xla": lambda _: [compiled[True](tf.constant(1.0)).numpy()
                                                     for _ in range(calls)][-1]}
    sampling = common.rates(common.round_robin(samplers, None, args.rounds), n * calls,
                            "images", times_key="seconds")
    finite = bool(np.all(np.isfinite(samplers["sample_tf_function_xla"](None))))
    # last: the profiled epochs train on
    profiles = common.profile_epochs({n: m[0] for n, m in made.items()}, args.profile, ds)
    common.write_result("speed_realnvp", {
        "network": (f"RealNVP 28x28x1, 2 scales, {args.couplings} couplings per mask and scale "
                    f"(+1 at the last), ActNorm, residual CNNs {args.filters} filters x "
                    f"{args.blocks} blocks, 256 levels dequantized, logit alpha {ALPHA}; "
                    f"{num_params} parameters; Adam 1e-3, batch {args.batch_size}"),
        "data": f"fashion_mnist train, first {len(x)} images, levels 0..255",
        "examples_per_epoch": len(x),
        "rounds": args.rounds,
        "load_average_at_end": list(os.getloadavg()),
        "runs": runs,
        "profile_one_epoch": profiles,
        "sampling": {"batch": n, "calls_per_round": calls, "temperature": 1.0,
                     "samples_finite": finite, "runs": sampling},
    })


if __name__ == "__main__":
    main()
