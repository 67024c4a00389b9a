"""kgen's ``GAN.fit`` against a plain hand-written ``tf.GradientTape`` DCGAN loop of the
same networks: training speed, and FID at the same wall time (issue 13).

Both train the networks of the preset ``dcgan_fashion_mnist`` (Radford et al. 2015,
arXiv:1511.06434; ``kgen.models.gan.preset_args.build_args`` of its ``model_args``,
``--base-filters`` replacing its 64, the same seeds) with the non-saturating loss
(Goodfellow et al. 2014, arXiv:1406.2661, sec. 3), one Adam(2e-4, beta_1 = 0.5) per
player and batch 128 of Fashion-MNIST ``train`` in [-1, 1]:

- ``plain``: the keras-io DCGAN recipe as one ``tf.function`` step: a discriminator
  step on a real batch and G(z) (z ~ N(0, I) from a ``tf.random.Generator``), then a
  generator step with fresh z, each with its own ``tf.GradientTape`` and Adam; the
  losses are written out (softplus of the logits, the mean over the batch). Unlike
  keras-io, D sees the real and the generated batch in two calls (as kgen's step and
  the TensorFlow DCGAN tutorial do: batch norm's statistics per batch) and the labels
  carry no noise. No Keras ``fit``, no metrics.
- ``kgen_fit``: ``kgen.models.gan.GAN.from_preset`` of the same ``model_args`` and
  ``model.fit``.

(a) Speed: every configuration (each with and without XLA; ``fit`` also at 10 steps
per execution, the preset's) runs ``--steps`` steps on the same in-memory batches in
``--rounds`` round-robin rounds after a warm-up (``benchmarks.common.round_robin``);
examples/s and the ratio kgen / plain with the same ``jit_compile`` (goal >= 1.0).

(b) FID at the same wall time: each trains for ``--minutes`` of training time (the
shuffled ``train`` split, tracing and compilation counted, ``--jit-compile`` for both)
and is scored at ``--checkpoints`` evenly spaced times: FID of ``--num-samples``
samples G(z) (the same seeded z for both) against as many test images, in kgen's
Fashion-MNIST classifier's feature space (``fid_10k``).

    python benchmarks/dcgan_plain_loop.py --minutes 20 --rounds 3 --steps 20
    python benchmarks/dcgan_plain_loop.py --skip-fid --rounds 5       # speed only
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common, gan_budget  # noqa: E402

PRESET = "dcgan_fashion_mnist"
SPEED_RUNS = ("plain", "plain_xla", "kgen_fit", "kgen_fit_xla", "kgen_fit_xla_spe10")


def model_args(args):
    """The preset's ``model_args`` with ``--base-filters`` and ``--latent-dim``."""
    from kgen.cli import presets

    margs = presets.resolve(PRESET)["model_args"]
    margs["latent_dim"] = args.latent_dim
    for role in ("generator", "discriminator"):
        margs[role]["base_filters"] = args.base_filters
    return margs


def plain_step(generator, discriminator, latent_dim, seed, jit):
    """The hand-written step ``step(real) -> (d_loss, g_loss)`` and its optimizers."""
    import tensorflow as tf

    opt = gan_budget.adam_pair()
    opt["generator"].build(generator.trainable_variables)
    opt["discriminator"].build(discriminator.trainable_variables)
    rng = tf.random.Generator.from_seed(seed)

    def logit(x):
        return tf.reshape(discriminator(x, training=True), [-1])

    @tf.function(jit_compile=jit)
    def step(real):
        n = tf.shape(real)[0]
        fake = generator(rng.normal([n, latent_dim]), training=True)
        with tf.GradientTape() as tape:
            d_loss = tf.reduce_mean(tf.nn.softplus(-logit(real)) + tf.nn.softplus(logit(fake)))
        d_vars = discriminator.trainable_variables
        opt["discriminator"].apply(tape.gradient(d_loss, d_vars), d_vars)
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-logit(
                generator(rng.normal([n, latent_dim]), training=True))))
        g_vars = generator.trainable_variables
        opt["generator"].apply(tape.gradient(g_loss, g_vars), g_vars)
        return d_loss, g_loss

    return step


def make_plain(args, jit):
    """``(epoch(ds), step, generator)`` of a plain loop on freshly seeded networks."""
    import keras

    from kgen.models.gan import preset_args

    keras.utils.set_random_seed(args.seed)
    nets = preset_args.build_args(model_args(args), (28, 28, 1), args.seed)
    step = plain_step(nets["generator"], nets["discriminator"], args.latent_dim, args.seed,
                      jit)

    def epoch(ds):
        for real in ds:
            d_loss, _ = step(real)
        return float(d_loss)

    return epoch, step, nets["generator"]


def make_kgen(args, jit, steps_per_execution):
    """``(epoch(ds), model)`` of ``GAN.fit`` on freshly seeded networks."""
    import keras

    from kgen.models.gan import GAN

    keras.utils.set_random_seed(args.seed)
    model = GAN.from_preset(model_args(args), (28, 28, 1), seed=args.seed)
    model.compile(optimizer=gan_budget.adam_pair(), jit_compile=jit,
                  steps_per_execution=steps_per_execution)
    return (lambda ds: model.fit(ds, epochs=1, verbose=0).history["d_loss"][-1]), model


def speed_runs(args):
    """The names of ``--speed-runs``, checked: each with its plain reference."""
    names = SPEED_RUNS if args.speed_runs is None else tuple(args.speed_runs.split(","))
    if set(names) - set(SPEED_RUNS) or not {common.same_jit_plain(n) for n in names} <= set(
            names):
        raise ValueError(f"`--speed-runs` must name runs of {list(SPEED_RUNS)}, with the "
                         f"plain run of the same jit_compile for each. Received: "
                         f"--speed-runs {args.speed_runs}")
    return names


def speed(args, x):
    """The round-robin examples/s of each configuration, with the ratios to plain."""
    count = args.steps * args.batch_size
    ds = common.in_memory(x[:count], args.batch_size)
    makers = {"plain": lambda: make_plain(args, False)[0],
              "plain_xla": lambda: make_plain(args, True)[0],
              "kgen_fit": lambda: make_kgen(args, False, 1)[0],
              "kgen_fit_xla": lambda: make_kgen(args, True, 1)[0],
              "kgen_fit_xla_spe10": lambda: make_kgen(args, True, 10)[0]}
    fns = {name: makers[name]() for name in speed_runs(args)}
    seconds = common.round_robin(fns, ds, args.rounds)
    runs = common.rates(seconds, count, times_key="seconds")
    for run in runs.values():
        run["seconds_per_step"] = round(min(run["seconds"]) / args.steps, 4)
    return common.add_ratios(runs, common.same_jit_plain, "plain_same_jit",
                             line="{name:20s} {rate:8.1f} ex/s (best {best:7.1f})  x{ratio}")


def fid_at_same_time(args, x, test):
    """Each of kgen's fit and the plain loop trained for ``--minutes``, with its curve."""
    import numpy as np

    score = gan_budget.fid_scorer(test, args.num_samples)
    z = np.random.default_rng(args.seed + 1).standard_normal(
        (args.num_samples, args.latent_dim)).astype(np.float32)

    def evaluate(generator):
        return lambda: score(gan_budget.in_batches(
            lambda i, j: generator(z[i:j], training=False), len(z)))

    data = gan_budget.batched(x, args.batch_size, args.seed)
    result = {}
    # kgen first, then the plain loop: each from the same seeded networks.
    _, model = make_kgen(args, args.jit_compile, 10 if args.jit_compile else 1)
    clock = gan_budget.BudgetClock(args.minutes, args.checkpoints, evaluate(model.generator))
    gan_budget.fit_for_budget(model, data, clock, args.chunk)
    result["kgen_fit"] = {"curve": clock.curve, "final": clock.curve[-1]}
    _, step, generator = make_plain(args, args.jit_compile)
    clock = gan_budget.BudgetClock(args.minutes, args.checkpoints, evaluate(generator))
    batches, steps = iter(data), 0
    clock.begin()
    while True:
        for _ in range(args.chunk):
            d_loss, g_loss = step(next(batches))
        steps += args.chunk
        if clock.tick(steps, {"d_loss": float(d_loss), "g_loss": float(g_loss)}):
            break
    result["plain"] = {"curve": clock.curve, "final": clock.curve[-1]}
    key = next(k for k in clock.curve[-1] if k.startswith("fid"))
    result["final_fid"] = {run: result[run]["final"][key] for run in ("kgen_fit", "plain")}
    result["kgen_fid_below_plain"] = result["final_fid"]["kgen_fit"] < result["final_fid"][
        "plain"]
    print(f"{key} at {args.minutes:g} min: kgen {result['final_fid']['kgen_fit']:.2f}, "
          f"plain {result['final_fid']['plain']:.2f}", flush=True)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gan_budget.add_common_args(parser, minutes=20.0)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the speed part")
    parser.add_argument("--steps", type=int, default=20, help="steps of one timed call")
    parser.add_argument("--speed-runs", default=None,
                        help=f"comma-separated runs of the speed part (default all: "
                             f"{','.join(SPEED_RUNS)})")
    parser.add_argument("--skip-fid", action="store_true", help="the speed part only")
    parser.add_argument("--skip-speed", action="store_true", help="the FID part only")
    args = parser.parse_args(argv)
    speed_runs(args)
    import keras

    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    x, _ = gan_budget.fashion_mnist("train", args.train_examples)
    result = {"preset": PRESET, "model_args": model_args(args),
              "optimizers": "Adam(2e-4, beta_1=0.5) per player", "loss": "non_saturating",
              "data": f"fashion_mnist train ({len(x)} images) in [-1, 1], "
                      f"batch {args.batch_size}"}
    if not args.skip_speed:
        result["speed"] = {"steps_per_call": args.steps, "rounds": args.rounds,
                           "examples_per_call": args.steps * args.batch_size,
                           "runs": speed(args, x),
                           "goal": "kgen_fit examples/s >= plain's with the same jit_compile"}
    if not args.skip_fid:
        test, _ = gan_budget.fashion_mnist("test", args.num_samples)
        result["fid_at_same_wall_time"] = {
            "minutes": args.minutes, "jit_compile": args.jit_compile,
            "steps_per_execution_of_fit": 10 if args.jit_compile else 1,
            "features": "fashion_mnist", "reference": f"fashion_mnist test, first "
                                                      f"{len(test)} images",
            **fid_at_same_time(args, x, test)}
    result["wall_time_seconds"] = round(time.perf_counter() - start, 1)
    result["load_average_at_end"] = list(os.getloadavg())
    return gan_budget.write("dcgan_plain_loop", args, result)


if __name__ == "__main__":
    main()
