"""f-GAN's variational bound of a trained critic against the true f-divergence.

Issue 17's exact check of ``kgen.models.gan.FGAN`` (Nowozin et al. 2016): with the
generator fixed, the critic's lower bound

    E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] <= D_f(P || Q)      (nats)

must converge to the true divergence between two known 1-D Gaussians, within 5 % for
each of ``kl``, ``reverse_kl``, ``jensen_shannon`` (2 JSD), ``pearson`` and
``squared_hellinger``. The generator is the affine map G(z) = mu_q + sigma_q z (so
Q = N(mu_q, sigma_q^2) exactly), compiled with SGD at rate 0; the critic (an MLP of
``--hidden`` ReLU units, linear output) is trained by ``FGAN.fit`` on fresh samples of
P, ``--steps`` Adam steps of ``--batch``. Every ``--every`` steps the bound is measured
on 200,000 fresh samples of each distribution (the curve); at the end on 10^6 (another
seed), with its standard error. The true values: closed forms for KL, reverse KL,
Pearson chi^2 and the squared Hellinger distance, ``scipy.integrate.quad`` for
Jensen-Shannon (``kgen.models.gan.divergences.gaussian_divergence``).

The pairs keep sigma_q / sigma_p in (sqrt(2/3), sqrt(2)), where every bound's Monte
Carlo estimate at the optimal critic has a finite variance (e.g. E_P[(q / p)^2] for the
reverse KL). Writes ``benchmarks/results/fgan_divergences.json``.

    python benchmarks/fgan_divergences.py
    python benchmarks/fgan_divergences.py --seeds 0 --divergences kl pearson --steps 200
"""

import argparse
import math
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402

# (name, (mu_p, sigma_p), (mu_q, sigma_q)): a wider and a narrower generated Q.
PAIRS = (("wider_q", (0.0, 1.0), (1.0, 1.25)), ("narrower_q", (0.0, 1.0), (0.5, 0.9)))
GOAL = 0.05  # |bound - D_f| / D_f, issue 17


def build(divergence, q, hidden, seed):
    import keras

    import kgen
    from kgen.models.gan import FGAN

    generator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(q[1]),
        bias_initializer=keras.initializers.Constant(q[0]))], name="generator")
    critic = kgen.networks.mlp_discriminator(1, tuple(hidden), activation="relu", seed=seed)
    return FGAN(generator, critic, divergence=divergence, seed=seed)


def bound(model, p, num, seed):
    """(mean, standard error) of the bound's per-example terms on ``num`` fresh pairs."""
    x = np.random.default_rng(seed).normal(p[0], p[1], (num, 1)).astype(np.float32)
    terms = np.asarray(model.divergence_estimate(x, seed=seed), np.float64)
    return float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(num))


def run(divergence, p, q, args, seed):
    import keras

    from kgen.models.gan import divergences

    keras.utils.set_random_seed(seed)
    model = build(divergence, q, args.hidden, seed)
    model.compile(optimizer={"generator": keras.optimizers.SGD(0.0),
                             "discriminator": keras.optimizers.Adam(args.learning_rate)},
                  steps_per_execution=args.every)
    rng = np.random.default_rng(1000 + seed)
    curve, start = [], time.perf_counter()
    for done in range(args.every, args.steps + 1, args.every):
        x = rng.normal(p[0], p[1], (args.every * args.batch, 1)).astype(np.float32)
        logs = model.fit(x, batch_size=args.batch, epochs=1, verbose=0).history
        value, _ = bound(model, p, 200_000, seed=2000 + done)
        curve.append({"step": done, "bound": value,
                      "fit_divergence_estimate": float(logs["divergence_estimate"][0])})
    seconds = time.perf_counter() - start
    final, error = bound(model, p, 1_000_000, seed=3000 + seed)
    true = divergences.gaussian_divergence(divergence, *p, *q)
    return {"seed": seed, "bound": final, "bound_std_error": error,
            "relative_error": (final - true) / true, "train_seconds": round(seconds, 1),
            "curve": curve}


def main():
    from kgen.models.gan import divergences

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--divergences", nargs="+", default=list(divergences.available()))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--hidden", nargs="+", type=int, default=[64, 64])
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    args = parser.parse_args()
    start = time.perf_counter()
    results = []
    for pair, p, q in PAIRS:
        for divergence in args.divergences:
            true = divergences.gaussian_divergence(divergence, *p, *q)
            method = "closed_form" if divergences.get(divergence).gaussian else "quadrature"
            runs = [run(divergence, p, q, args, seed) for seed in args.seeds]
            errors = [r["relative_error"] for r in runs]
            row = {"pair": pair, "p": list(p), "q": list(q), "divergence": divergence,
                   "true": true, "true_method": method,
                   "bound_mean": float(np.mean([r["bound"] for r in runs])),
                   "relative_error_mean": float(np.mean(errors)),
                   "relative_error_max_abs": float(np.max(np.abs(errors))),
                   "within_goal": bool(np.max(np.abs(errors)) <= GOAL), "runs": runs}
            results.append(row)
            print(f"{pair:10s} {divergence:18s} true {true:.4f} bound "
                  f"{row['bound_mean']:.4f} max |rel err| {row['relative_error_max_abs']:.2%}",
                  flush=True)
    common.write_result("fgan_divergences", {
        "settings": {"steps": args.steps, "batch": args.batch, "every": args.every,
                     "hidden": args.hidden, "activation": "relu",
                     "optimizer": f"Adam({args.learning_rate})", "seeds": args.seeds,
                     "eval_samples": 1_000_000, "curve_eval_samples": 200_000,
                     "goal_relative_error": GOAL},
        "all_within_goal": all(r["within_goal"] for r in results),
        "results": results, "wall_minutes": round((time.perf_counter() - start) / 60, 2)})


if __name__ == "__main__":
    main()
