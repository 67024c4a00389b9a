"""Mode collapse of GAN losses on PacGAN's ring of 8 and grid of 25 Gaussians.

The VEEGAN / PacGAN protocol (``kgen.models.gan.lectures.mode_collapse``): for each toy,
loss and seed, a GAN of two 3 x 128 ReLU MLPs (2-D noise) trains for ``--steps``
generator steps of batch ``--batch-size`` (``n_critic`` critic steps each, per
``LOSS_SETTINGS``) on fresh samples of the toy with PacGAN's parameters (ring: radius 1,
std 0.01; grid: {-4, -2, 0, 2, 4}^2, std 0.05); then 2,500 samples give the modes
covered, the high-quality fraction (within 3 std of the nearest mode) and the reverse
KL of the mode histogram (nats). Reported per loss as mean +- standard error over the
seeds, with every run's figures after each epoch of 200 generator steps (the curve).

Issue 13's goal: 8/8 modes with >= 95 % high-quality on the ring and 25/25 with >= 95 %
on the grid for at least one loss (PacGAN4: 7.9 / 95.6 % and 24.8 / 93.6 %). Writes
``benchmarks/results/gan_mode_collapse<tag>.json`` (a run without high-quality samples
has ``reverse_kl`` = ``null`` there). The defaults (2 toys x 4 losses x 5 seeds,
3,000 steps, at most 4 minutes a run) take about an hour on 2 CPU cores.

    python benchmarks/gan_mode_collapse.py
    python benchmarks/gan_mode_collapse.py --toys ring_of_gaussians --losses hinge --seeds 0 1
"""

import argparse
import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import common  # noqa: E402

DEFAULT_LOSSES = ["non_saturating", "least_squares", "hinge", "wasserstein_gp"]


def _goal(summary, toy):
    modes = {"ring_of_gaussians": 8, "grid_of_gaussians": 25}[toy]
    return {loss: s["modes_covered"]["mean"] >= modes
            and s["high_quality_fraction"]["mean"] >= 0.95 for loss, s in summary.items()}


def main(argv=None):
    from kgen.models.gan.lectures import mode_collapse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toys", nargs="+", default=list(mode_collapse.TOYS),
                        choices=mode_collapse.TOYS)
    parser.add_argument("--losses", nargs="+", default=DEFAULT_LOSSES,
                        choices=sorted(mode_collapse.LOSS_SETTINGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=3000, help="generator steps per run")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden-units", nargs="+", type=int, default=[128, 128, 128])
    parser.add_argument("--steps-per-epoch", type=int, default=200,
                        help="generator steps between two points of the curve")
    parser.add_argument("--minutes", type=float, default=4.0, help="cap per run")
    parser.add_argument("--tag", default="", help="suffix of the JSON name")
    args = parser.parse_args(argv)
    start, results, load = time.perf_counter(), {}, [os.getloadavg()[0]]
    for toy in args.toys:
        results[toy] = mode_collapse.run_protocol(
            args.losses, args.seeds, toy, args.steps, batch_size=args.batch_size,
            hidden_units=tuple(args.hidden_units), steps_per_epoch=args.steps_per_epoch,
            max_seconds=args.minutes * 60)
        load.append(os.getloadavg()[0])
        for loss, s in results[toy].items():
            figures = "  ".join(
                f"{name} {s[name]['mean']:.3f} +- " + (
                    "-" if s[name]["std_error"] is None else f"{s[name]['std_error']:.3f}")
                for name in mode_collapse.FIGURES)
            print(f"{toy:18s} {loss:15s} {figures}", flush=True)
    common.write_result(f"gan_mode_collapse{args.tag}", {
        "protocol": ("VEEGAN / PacGAN: 2,500 samples after training; high-quality within "
                     "3 std of the nearest mode; a mode is covered when it is the nearest "
                     "mode of a high-quality sample; reverse KL of the high-quality mode "
                     "histogram against uniform (nats); mean +- s.e. over seeds"),
        "goal": ("8/8 modes with >= 95 % high-quality on the ring, 25/25 with >= 95 % on "
                 "the grid, for at least one loss (PacGAN4: 7.9/95.6 %, 24.8/93.6 %)"),
        "args": vars(args), "loss_settings": {
            loss: mode_collapse.LOSS_SETTINGS[loss] for loss in args.losses},
        "results": results,
        "goal_reached": {toy: _goal(results[toy], toy) for toy in results},
        "wall_seconds": time.perf_counter() - start, "load_average_1min": load})


if __name__ == "__main__":
    main()
