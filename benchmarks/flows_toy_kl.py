"""KL(p || q) of normalizing flows on the 2-D toys with a known density.

For each toy of ``kgen.data.toy`` with an exact log-density (the ring of 8
Gaussians, the grid of 25 Gaussians, the checkerboard) and each flow, trains the
flow by ``fit`` (maximum likelihood) on fresh i.i.d. samples and estimates

    KL(p || q) = E_p[log p(x) - log q(x)]       (nats)

on 100,000 further samples of p (another seed), with its standard error (the
standard deviation of the log-ratio over sqrt(N)). Issue 14's goal: <= 0.02
nats on each toy for the best flow. The estimate is unbiased for the trained q;
it can come out slightly negative only by noise.

Every flow gets the same budget: ``--steps`` optimizer steps of batch 512 from
``--train-size`` samples (Adam, cosine decay from 1e-3), capped by ``--minutes``
per flow and toy (then the KL is that of the weights reached). Writes
``benchmarks/results/flows_toy_kl.json`` (the KL table, the training curves per
epoch, wall times) and, with ``--png-dir``, density and sample pictures.

    python benchmarks/flows_toy_kl.py
    python benchmarks/flows_toy_kl.py --flows maf realnvp --toys ring_of_gaussians --steps 2000
"""

import argparse
import math
import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402

TOYS = ("ring_of_gaussians", "grid_of_gaussians", "checkerboard")
# Registered flow name -> constructor arguments (2-D data). The coupling flows
# alternate which coordinate is transformed; the MLPs are the same size.
FLOWS = {
    "maf": {"num_flows": 8, "hidden_units": [128, 128]},
    "realnvp": {"num_flows": 8, "hidden_units": [128, 128]},
    "neural_spline_flow": {"num_flows": 4, "hidden_units": [128, 128]},
    "glow": None,          # images only here (1x1 convolutions over channels)
    "planar_flow": {"num_flows": 32},
}


def build(name, seed):
    import kgen.models

    return kgen.models.get(name)(event_shape=(2,), seed=seed, **FLOWS[name])


def kl_estimate(model, toy, num_samples, seed, batch_size=10_000):
    from kgen.data import toy as toys

    x = toys.sample_toy(toy, num_samples, seed=seed).astype(np.float32)
    log_q = np.concatenate([np.asarray(model.log_prob(x[i:i + batch_size]), np.float64)
                            for i in range(0, len(x), batch_size)])
    ratio = toys.toy_log_prob(toy, x) - log_q
    finite = np.isfinite(ratio)
    return {"kl": float(ratio[finite].mean()) if finite.all() else float("inf"),
            "kl_std_error": float(ratio.std(ddof=1) / math.sqrt(len(ratio))),
            "num_samples": int(num_samples), "non_finite": int((~finite).sum())}


class _Deadline(keras.callbacks.Callback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.start = seconds, time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


def run(name, toy, args, seed):
    from kgen.data import toy as toys

    keras.utils.set_random_seed(seed)
    x = toys.sample_toy(toy, args.train_size, seed=seed).astype(np.float32)
    model = build(name, seed)
    steps_per_epoch = args.train_size // args.batch_size
    epochs = max(1, args.steps // steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, epochs * steps_per_epoch)
    model.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=args.jit,
                  steps_per_execution=steps_per_epoch)
    start = time.perf_counter()
    history = model.fit(x, batch_size=args.batch_size, epochs=epochs, verbose=0, shuffle=True,
                        callbacks=[_Deadline(args.minutes * 60)]).history
    seconds = time.perf_counter() - start
    result = kl_estimate(model, toy, args.eval_size, seed + 1000)
    result.update({"train_seconds": seconds, "epochs_run": len(history["loss"]),
                   "epochs_planned": epochs, "steps": len(history["loss"]) * steps_per_epoch,
                   "train_loss_curve": [float(v) for v in history["loss"]],
                   "num_parameters": int(sum(np.prod(w.shape) for w in model.trainable_weights))})
    if args.png_dir:
        _pictures(model, toy, name, pathlib.Path(args.png_dir), seed)
    return result


def _pictures(model, toy, name, out, seed, size=300, extent=4.5):
    """``<toy>_<name>.png``: q(x) on a grid (left) beside a histogram of 20,000
    samples (right), each scaled to its maximum, gray levels."""
    from kgen.callbacks import _images

    out.mkdir(parents=True, exist_ok=True)
    grid = np.linspace(-extent, extent, size, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    log_q = np.nan_to_num(np.asarray(model.log_prob(points), np.float64), nan=-np.inf)
    density = np.exp(np.minimum(log_q, 50.0)).reshape(xx.shape)
    samples = np.asarray(model.sample(20_000, seed=seed), np.float64)
    counts, _, _ = np.histogram2d(samples[:, 1], samples[:, 0], bins=size,
                                  range=[[-extent, extent], [-extent, extent]])
    # Each panel scaled to its 99.5th percentile (a peaked density would show one dot).
    panels = [np.flipud(np.clip(a / max(np.quantile(a, 0.995), 1e-12), 0, 1))
              for a in (density, counts)]
    image = np.concatenate([panels[0], np.ones((size, 4)), panels[1]], axis=1)
    _images.save_png(out / f"{toy}_{name}.png", image[..., None].astype(np.float32))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", nargs="+", default=["maf", "realnvp", "neural_spline_flow",
                                                        "planar_flow"], choices=sorted(FLOWS))
    parser.add_argument("--toys", nargs="+", default=list(TOYS), choices=TOYS)
    parser.add_argument("--steps", type=int, default=6000, help="optimizer steps per flow")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--train-size", type=int, default=102_400)
    parser.add_argument("--eval-size", type=int, default=100_000)
    parser.add_argument("--minutes", type=float, default=6.0, help="cap per flow and toy")
    parser.add_argument("--jit", action="store_true", help="fit with jit_compile=True")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png-dir", help="write density and sample PNGs here")
    parser.add_argument("--tag", default="", help="suffix of the JSON name")
    args = parser.parse_args(argv)
    for name in args.flows:
        if FLOWS[name] is None:
            parser.error(f"--flows: {name} has no 2-D configuration here")
    results, load = {}, [os.getloadavg()[0]]
    for toy in args.toys:
        results[toy] = {}
        for name in args.flows:
            r = run(name, toy, args, args.seed)
            results[toy][name] = r
            print(f"{toy:18s} {name:20s} KL {r['kl']:.4f} +- {r['kl_std_error']:.4f} nats "
                  f"({r['steps']} steps, {r['train_seconds']:.0f} s)", flush=True)
        load.append(os.getloadavg()[0])
    best = {toy: min(results[toy].items(), key=lambda kv: kv[1]["kl"])[0] for toy in results}
    common.write_result(f"flows_toy_kl{args.tag}", {
        "protocol": ("fit on --train-size i.i.d. samples (batch 512, Adam, cosine decay from "
                     "1e-3), KL(p||q) = mean(log p - log q) on --eval-size fresh samples"),
        "goal": "KL <= 0.02 nats on each toy for the best flow",
        "args": vars(args), "flows": {n: FLOWS[n] for n in args.flows},
        "results": results, "best": best,
        "goal_reached": {toy: results[toy][best[toy]]["kl"] <= 0.02 for toy in results},
        "load_average_1min": load})


if __name__ == "__main__":
    main()
