"""BigGAN's truncation curve on class-conditional Fashion-MNIST.

Brock et al. 2019 (arXiv:1809.11096, sec. 3.1 and fig. 2) draw z from N(0, I)
truncated to [-t, t] at sampling time: as t falls, each sample gets more typical
(IS and precision rise) and the set gets less diverse (recall falls, FID rises once
the loss of variety outweighs the gain in quality). This program measures that curve
for a model of the preset ``biggan_fashion_mnist``:

1. It takes a finished training run of the preset (``--run-dir``, default
   ``runs/biggan_fashion_mnist``, holding ``model.keras``, ``config.yaml`` and
   ``metrics.json``), or trains one there first for ``--minutes`` (default 60) with
   the preset's model, optimizers and data (``train``; no resume: an unfinished
   directory is trained again from the start).
2. For every threshold of ``--thresholds`` (default none, 2.0, 1.5, 1.0, 0.75,
   0.5, 0.25) it scores ``--num-samples`` class-balanced samples
   (``model.sample(n, seed, truncation=t)``, the classes in turn; the EMA
   generator if the run kept one) against the test split in kgen's Fashion-MNIST
   classifier's feature space: FID, the Inception-Score analogue (that
   classifier's class probabilities) and precision/recall (k = 3), one
   ``kgen.metrics.SampleQuality`` whose reference statistics are read once.
   Every threshold uses the same seed, so the curve compares the same uniform
   draws mapped through different truncations.
3. It writes ``benchmarks/results/biggan_truncation.json`` (``--output``): the
   figures per threshold, the run's training summary, the commands, machine and
   commit.

    python benchmarks/biggan_truncation.py                  # train 60 min, then score
    python benchmarks/biggan_truncation.py --run-dir runs/biggan_fashion_mnist --no-train
    python benchmarks/biggan_truncation.py --minutes 2 --chunk 20 --num-samples 1000 \\
        --run-dir runs/biggan_check --output runs/biggan_check.json  # end-to-end check
"""

import argparse
import json
import pathlib
import shlex
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import COMMIT_AT_START, machine  # noqa: E402

PRESET = "biggan_fashion_mnist"
THRESHOLDS = (None, 2.0, 1.5, 1.0, 0.75, 0.5, 0.25)
METRICS = ("fid", "inception_score", "precision_recall")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", default=f"runs/{PRESET}",
                        help="a kgen train run of the preset (trained there if unfinished)")
    parser.add_argument("--minutes", type=float, default=60.0,
                        help="train.max_minutes of the training run (default 60)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="overrides of the preset for the training run (as kgen's --set)")
    parser.add_argument("--chunk", type=int, default=100,
                        help="training steps per epoch (the time limit is checked per epoch)")
    parser.add_argument("--no-train", action="store_true",
                        help="score the run as it is; fail if it is not finished")
    parser.add_argument("--thresholds", default=",".join("none" if t is None else str(t)
                                                          for t in THRESHOLDS),
                        help="comma-separated truncation thresholds > 0, 'none' for none")
    parser.add_argument("--num-samples", type=int, default=10000,
                        help="samples per threshold and reference images (fid_10k)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results"
                                                / "biggan_truncation.json"))
    return parser


def thresholds(text):
    """The thresholds of ``--thresholds``: floats > 0, or None for 'none'."""
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        value = None if part == "none" else float(part)
        if value is not None and not value > 0:
            raise ValueError(f"`--thresholds` must be > 0 (or none): a truncation threshold "
                             f"<= 0 leaves no z. Received: truncation={value}")
        out.append(value)
    return out


def train(run_dir, minutes, overrides=(), chunk=100):
    """Trains the preset in ``run_dir`` for ``minutes``; returns a summary.

    Through kgen's Python API rather than ``kgen train``: the command line cannot yet
    train on ``(images, labels)`` batches (``kgen.cli.datasets.event_shape`` reads the
    shape of a tuple spec). The preset, its optimizers (``kgen.cli.train``) and the
    data pipeline are the CLI's; ``fit`` runs epochs of ``chunk`` steps over the
    repeated training split, so that ``TimeLimit`` can stop within the budget.
    """
    import keras

    from kgen import callbacks as kcallbacks
    from kgen.cli import datasets, presets
    from kgen.cli.train import make_optimizer

    config = presets.resolve(PRESET, overrides=[f"train.max_minutes={minutes:g}",
                                                *overrides])
    seed, data = config["seed"], config["data"]
    keras.utils.set_random_seed(seed)
    train_ds = datasets.load_split(data, "train_split", seed, training=True)
    keras.utils.set_random_seed(seed)
    model = presets.build_model(config, tuple(train_ds.element_spec[0].shape[1:]))
    model.compile(optimizer=make_optimizer(config["train"], chunk, model),
                  jit_compile=config["train"]["jit_compile"],
                  steps_per_execution=config["train"]["steps_per_execution"])
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(presets.to_yaml(config))
    guard = kcallbacks.NaNGuard()
    start = time.time()
    history = model.fit(train_ds.repeat(), steps_per_epoch=chunk, epochs=10**6, verbose=2,
                        callbacks=[guard, kcallbacks.TimeLimit(minutes),
                                   kcallbacks.SampleGrid(100, png_dir=str(run_dir / "samples"),
                                                         seed=seed, padding=1)])
    wall = time.time() - start
    model.save(run_dir / "model.keras")
    summary = {"epochs_run": len(history.epoch), "steps_per_epoch": chunk,
               "wall_time_seconds": round(wall, 1), "stopped_on_nan": guard.stopped_at,
               "history": {k: [float(v) for v in vs] for k, vs in history.history.items()}}
    (run_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def curve(model, data, values, num_samples, batch_size, seed):
    """``[{truncation, fid_<n>, inception_score_<n>, ...}]`` for each threshold."""
    import kgen.features
    from kgen.cli import datasets
    from kgen.metrics import SampleQuality

    reference = datasets.load_split({**data, "labels": False, "reference": "test"},
                                    "reference", seed, batch_size=batch_size)
    extractor = kgen.features.get_extractor("fashion_mnist", data_range=model.data_range)
    quality = SampleQuality(extractor, reference, num_samples, METRICS, batch_size=batch_size)
    rows = []
    for t in values:
        start = time.time()
        figures = quality(model, seed=seed) if t is None else quality(model, seed=seed,
                                                                      truncation=t)
        rows.append({"truncation": t, **figures, "seconds": round(time.time() - start, 1)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None):
    args = build_parser().parse_args(argv)
    values = thresholds(args.thresholds)
    run_dir = pathlib.Path(args.run_dir)
    record = {"preset": PRESET, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "commit": COMMIT_AT_START,
              "benchmark_command": shlex.join(["python", "benchmarks/biggan_truncation.py",
                                               *(argv if argv is not None else sys.argv[1:])])}
    finished = (run_dir / "metrics.json").is_file() and (run_dir / "model.keras").is_file()
    if not finished:
        if args.no_train:
            raise SystemExit(f"biggan_truncation: --no-train and {run_dir} holds no finished "
                             f"run (metrics.json and model.keras)")
        train(run_dir, args.minutes, args.set, args.chunk)
    import keras
    import yaml

    import kgen  # noqa: F401  (registers the classes the .keras file names)

    model = keras.models.load_model(run_dir / "model.keras", safe_mode=True)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    record["run"] = {
        **{k: metrics.get(k) for k in ("epochs_run", "steps_per_epoch", "wall_time_seconds",
                                       "stopped_on_nan")},
        "generator_steps": int(model.generator_optimizer.iterations.numpy()),
        "max_minutes": config.get("train", {}).get("max_minutes"), "ema": bool(model.ema),
        "final_losses": {k: v[-1] for k, v in metrics.get("history", {}).items() if v}}
    record["machine"] = machine()
    record["num_samples"] = args.num_samples
    record["features"] = "fashion_mnist"
    record["curve"] = curve(model, config["data"], values, args.num_samples, args.batch_size,
                            args.seed)
    out = pathlib.Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"biggan_truncation: wrote {out.name}", flush=True)
    return out


if __name__ == "__main__":
    main()
