"""Reverse AIS from exact samples of a small RBM: is the estimator, or the start, biased?

Reverse AIS (Burda, Grosse & Salakhutdinov 2015) is a stochastic upper bound on
log Z only when its runs start at exact samples of the RBM. ``kgen train`` starts
them at the PCD chains (after burn-in sweeps), which may cover only part of the
model's mass; then the estimate comes out low. For an RBM with <= 20 hidden units
exact samples are cheap: enumerate the 2^H hidden states, draw h from its marginal
p(h) ∝ exp(c·h + Σ_i softplus((W h)_i + b_i)), then v ~ p(v | h). This program
runs reverse AIS (the paper's 14,500 betas, 100 runs, base rates of the training
images) from such samples and from the chains the model stores, beside the exact
log Z, and writes ``benchmarks/results/rbm_reverse_ais_exact_start.json``.

    python benchmarks/run_preset.py rbm20_binarized_mnist
    python benchmarks/rbm_reverse_ais_exact_start.py runs/rbm20_binarized_mnist/model.keras
"""

import argparse
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402


def exact_samples(w, b, c, num_samples, seed, chunk=1 << 16):
    """Exact visible samples and log Z of an RBM with few hidden units (float64)."""
    num_hidden = w.shape[1]
    bits = 1 << np.arange(num_hidden)
    log_p = []
    for start in range(0, 2 ** num_hidden, chunk):
        h = ((np.arange(start, min(start + chunk, 2 ** num_hidden))[:, None] & bits) > 0)
        h = h.astype(np.float64)
        log_p.append(h @ c + np.logaddexp(0.0, h @ w.T + b).sum(axis=1))
    log_p = np.concatenate(log_p)
    log_z = float(np.logaddexp.reduce(log_p))
    rng = np.random.default_rng(seed)
    p = np.exp(log_p - log_z)
    index = rng.choice(len(p), num_samples, p=p / p.sum())
    h = ((index[:, None] & bits) > 0).astype(np.float64)
    v = rng.random((num_samples, w.shape[0])) < 1.0 / (1.0 + np.exp(-(h @ w.T + b)))
    return v.astype(np.float32), log_z


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_path", help="a .keras file of an RBM with <= 20 hidden units")
    parser.add_argument("--num-runs", type=int, default=100)
    parser.add_argument("--burn-in", type=int, default=1000, help="sweeps before the chains' runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import kgen.data
    import kgen.metrics
    from kgen.metrics.partition import rbm_parameters

    model = keras.saving.load_model(args.model_path, safe_mode=True)
    w, b, c = [np.asarray(a, np.float64) for a in rbm_parameters(model)]
    if w.shape[1] > 20:
        parser.error(f"the RBM has {w.shape[1]} hidden units; exact samples need <= 20")
    train = kgen.data.load("binarized_mnist", "train", batch_size=1000)
    v, log_z = exact_samples(w, b, c, args.num_runs, args.seed)
    results = {"exact_log_z": log_z}
    chains = (keras.ops.convert_to_numpy(model.chains) if getattr(model, "persistent", False)
              else None)
    for name, start, burn_in in (("exact_samples", v, 0), ("chains", chains, args.burn_in)):
        if start is None:
            continue
        began = time.time()
        r = kgen.metrics.reverse_ais_log_partition(
            model, start, betas="salakhutdinov_murray_2008", num_runs=args.num_runs,
            burn_in=burn_in, seed=args.seed, data=train)
        results[f"reverse_ais_from_{name}"] = {
            "log_z": r["log_z"], "log_z_std_error": r["log_z_std_error"],
            "log_weights_std": r["log_weights_std"], "burn_in": burn_in,
            "minus_exact": r["log_z"] - log_z, "seconds": time.time() - began}
        print(name, r["log_z"], "+-", r["log_z_std_error"], "exact", log_z, flush=True)
    common.write_result("rbm_reverse_ais_exact_start", {
        "model": "RBM of " + pathlib.Path(args.model_path).as_posix().split("runs/")[-1],
        "num_hidden": int(w.shape[1]), "schedule": "salakhutdinov_murray_2008",
        "num_runs": args.num_runs, "results": results})


if __name__ == "__main__":
    main()
