"""Training speed of kgen's PixelCNN `fit` against a plain hand-written loop.

Same network (the preset's: ``kgen/configs/pixelcnn_binarized_mnist.yaml``
``model_args``, Bernoulli, 32 filters, a 7x7 mask-"A" layer, 4 residual blocks
of 3x3 mask-"B" convolutions; Adam 1e-3), same data (the first ``--examples``
statically binarized MNIST training images, in memory, batch 100), same
process:

- ``plain``: a hand-written ``tf.function`` step with ``tf.GradientTape`` and
  Adam over the model's own layers (``model.conditionals``), the Bernoulli
  log-likelihood written out (``sigmoid_cross_entropy_with_logits``): no
  Keras ``fit``, no metrics, no data adapter;
- ``kgen_fit``: ``kgen.models.autoregressive.PixelCNN`` trained with
  ``model.fit``;
- each with and without XLA (``jit_compile``); ``fit`` also at 10 steps per
  execution (the preset runs 50; an epoch of the subset has only
  ``examples / 100`` steps).

Every model starts from the same seeded weights. Timing is the house method of
``speed_vae.py``: every configuration is built and warmed up with one epoch
(tracing, compilation), then ``--rounds`` rounds of one epoch of each in turn,
starting one later each round, so host load drifts over all alike. Reports
examples/s (median and best), the ratios to the plain loop with the same
``jit_compile``, and achieved GFLOP/s (convolutions only, forward + backward =
3x the forward multiply-adds x 2; the masks' zeros counted, as the
convolutions compute them). Then one epoch of each of ``--profile`` under
``cProfile`` (the Python side, and the time inside TensorFlow's execute), and
single convolutions of the network's three kinds timed forward + backward
without and with XLA (``conv_microbenchmark``).

    python benchmarks/speed_pixelcnn_fit.py --rounds 3
"""

import argparse
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from kgen.models.autoregressive import PixelCNN  # noqa: E402

PRESET = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kgen",
                      "configs", "pixelcnn_binarized_mnist.yaml")


def preset_args():
    with open(PRESET) as f:
        return yaml.safe_load(f)["model_args"]


def make_model():
    return PixelCNN(event_shape=(28, 28, 1), seed=0, **preset_args())


def flops_per_example(model):
    """3 x 2 x the forward multiply-adds of every convolution, per 28x28 image."""
    macs = 0
    for layer in model._flatten_layers(include_self=False):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            macs += 28 * 28 * int(np.prod(kernel.shape))
    return 3 * 2 * macs


def plain_epoch_fn(jit):
    """The model's layers in a hand-written step: the reference."""
    model = make_model()

    def loss(x):
        logits = model.conditionals(x, training=True)
        return tf.reduce_mean(tf.reduce_sum(
            tf.nn.sigmoid_cross_entropy_with_logits(x, logits), [1, 2, 3]))

    return common.plain_adam_epoch(loss, model.trainable_variables, jit), model


def fit_epoch_fn(jit, steps_per_execution):
    model = make_model()
    return common.fit_epoch(model, jit, steps_per_execution), model


def conv_microbenchmark(calls=20):
    """Seconds per forward + backward of single convolutions at batch 100, 28x28,
    without and with XLA: where the XLA rows' time goes on this CPU."""
    out = {}
    for name, (size, c_in, c_out) in {"conv3x3_32_to_32": (3, 32, 32),
                                      "conv1x1_64_to_32": (1, 64, 32),
                                      "conv7x7_1_to_64": (7, 1, 64)}.items():
        x = tf.random.normal((100, 28, 28, c_in), seed=0)
        kernel = tf.Variable(tf.random.normal((size, size, c_in, c_out), seed=1) * 0.1)
        for jit in (False, True):
            @tf.function(jit_compile=jit)
            def step(x):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = tf.nn.conv2d(x, kernel, 1, "SAME")
                    loss = tf.reduce_sum(y * y)
                return tape.gradient(loss, [x, kernel])
            step(x)
            start = time.perf_counter()
            for _ in range(calls):
                grads = step(x)
            grads[0].numpy()
            out[name + ("_xla" if jit else "")] = round((time.perf_counter() - start) / calls, 5)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", nargs="*",
                        default=["plain", "kgen_fit", "plain_xla", "kgen_fit_xla"],
                        help="configurations to run one more epoch of under cProfile")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = common.binarized_mnist("train", args.examples)
    ds = common.in_memory(x, args.batch_size)
    makers = {"plain": lambda: plain_epoch_fn(False), "plain_xla": lambda: plain_epoch_fn(True),
              "kgen_fit": lambda: fit_epoch_fn(False, 1),
              "kgen_fit_xla": lambda: fit_epoch_fn(True, 1),
              "kgen_fit_xla_spe10": lambda: fit_epoch_fn(True, 10)}
    made = {name: make() for name, make in makers.items()}
    flops = flops_per_example(made["plain"][1])
    seconds = common.round_robin({n: m[0] for n, m in made.items()}, ds, args.rounds)
    runs = common.add_ratios(common.rates(seconds, len(x), flops=flops), common.same_jit_plain,
                             "plain_same_jit",
                             line="{name:20s} {rate:8.1f} ex/s (best {best:7.1f})  x{ratio}")
    micro = conv_microbenchmark()
    print("one convolution, forward + backward, s:", micro, flush=True)
    # last: the profiled epochs train on
    profiles = common.profile_epochs({n: m[0] for n, m in made.items()}, args.profile, ds)
    common.write_result("speed_pixelcnn_fit", {
        "network": "PixelCNN %s (the preset's model_args), Bernoulli, Adam 1e-3, batch %d"
                   % (preset_args(), args.batch_size),
        "data": "binarized_mnist train, first %d images" % len(x),
        "examples_per_epoch": len(x),
        "rounds": args.rounds,
        "flops_per_example_train": flops,
        "load_average_at_end": list(os.getloadavg()),
        "runs": runs,
        "profile_one_epoch": profiles,
        "conv_forward_backward_seconds_batch100": micro,
    })


if __name__ == "__main__":
    main()
