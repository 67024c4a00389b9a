"""The GAN lectures' three small experiments, as PNG line plots.

1. ``gan_optimal_discriminator.png``: an MLP discriminator trained with the GAN's
   cross-entropy loss against a fixed p_g = N(1.5, 0.7^2), with p_data = N(0, 1):
   sigmoid(D(x)) (blue dots) on D*(x) = p_data / (p_data + p_g) (red line; Goodfellow
   et al. 2014, Prop. 1), with p_data (green) and p_g (orange) scaled to [0, 1].
2. ``gan_bilinear_game.png``: min_x max_y x y from (1, 0.5) with step 0.1 over the
   square [-3, 3]^2: simultaneous steps spiral out (red), alternating steps stay on the
   ellipse x^2 + y^2 - h x y = const (blue), the alternating iterates' running mean
   closes in on (0, 0) (green; Mescheder et al. 2017, 2018).
3. ``gan_parallel_lines.png``: P_0 = (0, U[0, 1]) against P_theta = (theta, U[0, 1]) for
   theta in [-2, 2]: a trained classifier's JS estimate (red) sits at log 2 (orange)
   for every theta != 0, a WGAN-GP critic's estimate (blue) follows W1 = |theta|
   (green; Arjovsky et al. 2017, Example 1).

Prints the figures behind each plot. About a minute on a laptop CPU:

    python examples/gan_lectures.py
    python examples/gan_lectures.py --steps 200 --num-thetas 5 --output-dir /tmp  # a quick look
"""

import argparse
import math
import os

import numpy as np

import kgen
from kgen.callbacks import _images
from kgen.models.gan.lectures import bilinear_game, optimal_discriminator, parallel_lines
from kgen.models.gan.lectures.plots import line_plot

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=1500, help="discriminator steps per fit")
parser.add_argument("--output-dir", default=os.path.dirname(os.path.abspath(__file__)),
                    help="where the PNGs go (default: examples/)")
parser.add_argument("--num-thetas", type=int, default=17, help="thetas in [-2, 2]")
args = parser.parse_args()

# 1. The optimal discriminator.
od = optimal_discriminator
d = kgen.networks.mlp_discriminator(1, (64, 64), seed=0)
od.fit_optimal_discriminator(d, steps=args.steps, seed=0)
x = np.linspace(-3.0, 4.0, 141)
learned, formula = od.discriminator_probability(d, x), od.optimal_discriminator(x)
bulk = od.bulk_grid()
error = np.abs(od.discriminator_probability(d, bulk) - od.optimal_discriminator(bulk)).max()
print(f"D vs D* = p_data / (p_data + p_g): max |error| {error:.4f} on [{bulk[0]:.2f}, "
      f"{bulk[-1]:.2f}] (plot: x in [-3, 4], y in [0, 1])")
p_data = np.exp(od.normal_log_prob(x, *od.DATA))
p_g = np.exp(od.normal_log_prob(x, *od.GENERATOR))
scale = max(p_data.max(), p_g.max())
image = line_plot([
    {"points": np.stack([x, formula], 1)},
    {"points": np.stack([x, learned], 1), "style": "dots", "thickness": 3},
    {"points": np.stack([x, p_data / scale], 1), "thickness": 1},
    {"points": np.stack([x, p_g / scale], 1), "thickness": 1}], (-3.0, 4.0), (0.0, 1.0))
_images.save_png(os.path.join(args.output_dir, "gan_optimal_discriminator.png"), image)

# 2. Gradient steps on x y.
lr, z0, steps = 0.1, (1.0, 0.5), 200
sim = bilinear_game.simultaneous(z0, lr, steps)
alt = bilinear_game.alternating(z0, lr, steps)
avg = bilinear_game.running_average(alt)
print(f"x y, h = {lr}, {steps} steps: simultaneous radius {bilinear_game.radius(sim)[0]:.3f}"
      f" -> {bilinear_game.radius(sim)[-1]:.3f} (x sqrt(1 + h^2) a step); alternating "
      f"radius <= {bilinear_game.radius(alt).max():.3f} (bound "
      f"{bilinear_game.orbit_bound(z0, lr):.3f}); mean of the alternating iterates at "
      f"{bilinear_game.radius(avg)[-1]:.4f} from (0, 0)")
image = line_plot([{"points": sim}, {"points": alt}, {"points": avg}], (-3.0, 3.0),
                  (-3.0, 3.0), height=320)
_images.save_png(os.path.join(args.output_dir, "gan_bilinear_game.png"), image)

# 3. Two parallel lines.
thetas = np.linspace(-2.0, 2.0, args.num_thetas)
js = parallel_lines.estimate_curve(thetas, "non_saturating", steps=min(args.steps, 400))
w1 = parallel_lines.estimate_curve(thetas, "wasserstein_gp", steps=min(args.steps, 400))
for t, j, w in zip(thetas, js, w1):
    print(f"theta {t:+.2f}: JS estimate {j:.3f} nats (exact "
          f"{parallel_lines.exact_distances(t)['js']:.3f}), critic {w:.3f} (W1 {abs(t):.2f})")
image = line_plot([
    {"points": np.stack([thetas, js], 1)},
    {"points": np.stack([thetas, w1], 1)},
    {"points": np.stack([thetas, np.abs(thetas)], 1), "thickness": 1},
    {"points": np.array([[-2.0, math.log(2.0)], [2.0, math.log(2.0)]]), "thickness": 1}],
    (-2.0, 2.0), (-0.1, 2.3))
_images.save_png(os.path.join(args.output_dir, "gan_parallel_lines.png"), image)
print("wrote", ", ".join(f"gan_{n}.png" for n in ("optimal_discriminator", "bilinear_game",
                                                   "parallel_lines")), "in", args.output_dir)
