"""Shared parts of the GAN family's measuring programs (issue 13): the common flags,
images in the generators' [-1, 1], training under a wall-time budget with learning-curve
checkpoints, FID in kgen's Fashion-MNIST classifier space, and the JSON record.

The budget counts training time only: the clock (``BudgetClock``) runs from the first
training step (so tracing and XLA compilation count) and is paused while a checkpoint
of the learning curve is scored. Training stops at the end of the first chunk of
``--chunk`` steps past ``--minutes``; the final checkpoint is the result.
"""

import argparse
import os
import time

import numpy as np

from benchmarks import common

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def add_common_args(parser, minutes, batch_size=128, base_filters=64, latent_dim=100):
    """The flags every GAN measuring program takes."""
    parser.add_argument("--minutes", type=float, default=minutes,
                        help="training budget in minutes (training time, compilation "
                             "included, scoring excluded)")
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--base-filters", type=int, default=base_filters,
                        help="channels of the networks' first / last hidden map")
    parser.add_argument("--latent-dim", type=int, default=latent_dim)
    parser.add_argument("--chunk", type=int, default=50,
                        help="training steps between two looks at the clock")
    parser.add_argument("--checkpoints", type=int, default=4,
                        help="points of the learning curve, evenly spaced in training "
                             "time; the last is the final result")
    parser.add_argument("--num-samples", type=int, default=10000,
                        help="generated images (and reference images) of each score")
    parser.add_argument("--jit-compile", action=argparse.BooleanOptionalAction, default=True,
                        help="XLA for training (the DCGAN preset's setting)")
    parser.add_argument("--train-examples", type=int, default=None,
                        help="train on the first N training images (default all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None,
                        help="the JSON to write (default benchmarks/results/<name>.json)")
    return parser


def scaled(images):
    """[0, 1] images as float32 in [-1, 1] (the ``scale`` preprocessing)."""
    return (np.asarray(images, np.float32) * 2.0 - 1.0).astype(np.float32)


def fashion_mnist(split, num_examples=None):
    """``(images in [-1, 1], int64 labels)`` of a Fashion-MNIST split, the first
    ``num_examples`` (all if None)."""
    from kgen.data import fashion_mnist as fm

    x, y = fm.load_arrays(split)
    return scaled(x[:num_examples]), y[:num_examples]


def batched(images, batch_size, seed, labels=None):
    """A shuffled (each epoch), batched, repeated, prefetched ``tf.data.Dataset``."""
    import tensorflow as tf

    data = images if labels is None else (images, labels.astype(np.int32))
    return (tf.data.Dataset.from_tensor_slices(data)
            .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size).repeat().prefetch(2))


def adam_pair(generator_lr=2e-4, discriminator_lr=2e-4, beta_1=0.5):
    """``{"generator": Adam, "discriminator": Adam}`` (DCGAN's Adam(2e-4, 0.5) each)."""
    import keras

    return {"generator": keras.optimizers.Adam(generator_lr, beta_1),
            "discriminator": keras.optimizers.Adam(discriminator_lr, beta_1)}


def in_batches(fn, count, batch_size=500):
    """``np.concatenate([fn(start, stop) ...])`` over ``[0, count)`` in batches."""
    return np.concatenate([np.asarray(fn(i, min(i + batch_size, count)))
                           for i in range(0, count, batch_size)])


class BudgetClock:
    """Training time against a budget, paused while the learning curve is scored.

    ``tick(steps, logs)`` is called after every chunk of steps; at each of
    ``checkpoints`` evenly spaced training times (and when the budget is spent) it
    calls ``evaluate()`` (untimed) and appends ``{"steps", "train_seconds", **logs,
    **evaluate()}`` to ``curve``. It returns True once the budget is spent (after the
    final checkpoint), or once ``max_steps`` steps are done.
    """

    def __init__(self, minutes, checkpoints, evaluate, max_steps=None):
        self.budget = float(minutes) * 60.0
        self.times = [self.budget * (k + 1) / max(1, checkpoints) for k in range(checkpoints)]
        self.evaluate, self.max_steps = evaluate, max_steps
        self.curve, self.start, self.paused = [], None, 0.0

    def begin(self):
        self.start, self.paused = time.perf_counter(), 0.0

    @property
    def train_seconds(self):
        return time.perf_counter() - self.start - self.paused

    def tick(self, steps, logs=None):
        seconds = self.train_seconds
        done = seconds >= self.budget or (self.max_steps is not None
                                          and steps >= self.max_steps)
        if done or (self.times and seconds >= self.times[0]):
            while self.times and self.times[0] <= seconds:
                self.times.pop(0)
            paused = time.perf_counter()
            point = {"steps": int(steps), "train_seconds": round(seconds, 1),
                     **{k: float(v) for k, v in (logs or {}).items()}, **self.evaluate()}
            self.curve.append(point)
            self.paused += time.perf_counter() - paused
            print("checkpoint " + ", ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                for k, v in point.items() if not isinstance(v, (dict, list))), flush=True)
        return done


def budget_callback(clock, chunk):
    """A Keras callback driving a begun ``clock`` from ``fit(..., steps_per_epoch=chunk)``."""
    import keras

    class Budget(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if clock.tick((epoch + 1) * chunk, logs):
                self.model.stop_training = True

    return Budget()


def fit_for_budget(model, data, clock, chunk):
    """``model.fit`` on the repeated ``data`` in epochs of ``chunk`` steps until
    ``clock`` says stop (its time counts from this call); returns the steps run."""
    clock.begin()
    model.fit(data, steps_per_epoch=chunk, epochs=10**9, verbose=0,
              callbacks=[budget_callback(clock, chunk)])
    return clock.curve[-1]["steps"]


def fid_scorer(reference, num_samples, batch_size=500, metrics=("fid",)):
    """``score(images) -> {"fid_<n>": ...}`` against ``reference`` (images in [-1, 1])
    in kgen's Fashion-MNIST classifier's feature space; the reference is read once."""
    import kgen.features
    from kgen.metrics import SampleQuality

    extractor = kgen.features.get_extractor("fashion_mnist", data_range=(-1, 1))
    quality = SampleQuality(extractor, reference[:num_samples], num_samples, metrics,
                            batch_size=batch_size)
    quality.reference_statistics  # read now, before any clock runs
    return lambda images: {k: v for k, v in quality(images).items() if k != "num_samples"}


def write(name, args, result):
    """Writes ``result`` with the command, commit, machine and date (``common``) to
    ``args.output`` or ``benchmarks/results/<name>.json``."""
    path = args.output or os.path.join(RESULTS, f"{name}.json")
    return common.write_result(name, {"args": vars(args), **result}, path=path)
