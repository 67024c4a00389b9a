"""Sampling speed: kgen's exact cached sampler against the naive sampler, same run.

64 binary images of 28x28 from the preset-sized networks (weights from their seeded
initialisation; the speed does not depend on them):

- ``pixelcnn``: PixelCNN, 32 filters (64 channels in the residual stream), a 7x7
  mask-"A" layer, 4 residual blocks with 3x3 mask-"B" convolutions
  (``kgen/configs/pixelcnn_binarized_mnist.yaml``);
- ``gated_pixelcnn``: Gated PixelCNN, 32 filters, 5 gated layers (7x7 then 3x3),
  conditioned on 10 classes, labels 0..9 in turn
  (``kgen/configs/gated_pixelcnn_fashion_mnist.yaml``).

``naive``: ``model.sample(64, seed)``, one full network pass per pixel (784 passes
in one compiled ``tf.while_loop``). ``cached``:
``kgen.models.autoregressive.CachedSampler(model).sample(64, seed)``, each
activation computed once. Both are traced first (on 1 sample, then on 2 for the
labelled model, so that the timed calls trace nothing). The cached sampler is timed
just before and just after the naive one, so load drift on this shared machine
brackets the naive run; the ratio is naive over the mean of the two. The run also
checks that both drew the same pixels, and how far the cached sampler's
conditionals are from one full pass over the samples.

If the naive run of a model would push the whole run past ``--budget-minutes``
(estimated from the time of one full pass x 784), it is not run and the JSON
records the estimate instead, marked as such.

    python benchmarks/speed_pixelcnn_sampling.py
"""

import argparse
import os
import sys
import time

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import write_result  # noqa: E402
from kgen.models.autoregressive import CachedSampler, GatedPixelCNN, PixelCNN  # noqa: E402

MODELS = {
    "pixelcnn": lambda: (PixelCNN(filters=32, num_residual_blocks=4, first_kernel_size=7,
                                  kernel_size=3, seed=0), {}),
    "gated_pixelcnn": lambda: (GatedPixelCNN(filters=32, num_layers=5, first_kernel_size=7,
                                             kernel_size=3, num_classes=10, seed=0),
                               {"labels": np.arange(64) % 10}),
}


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run_model(name, num_samples, seed, deadline):
    model, condition = MODELS[name]()
    condition = {k: v[:num_samples] for k, v in condition.items()}
    sampler = CachedSampler(model)
    # Tracing, on 1 and 2 samples: a second shape of labels makes tf.function trace once
    # more, for any batch (reduce_retracing), so the timed calls below trace nothing.
    warm_up = [1, 2] if condition else [1]
    trace_cached = trace_naive = 0.0
    for n in warm_up:
        small = {k: v[:n] for k, v in condition.items()}
        trace_cached += timed(lambda: sampler.sample(n, seed=seed, **small))[1]
        trace_naive += timed(lambda: model.sample(n, seed=seed, **small))[1]
    x_full = tf.zeros((num_samples,) + model.event_shape)
    one_pass = tf.function(lambda x: model.conditionals(x, **condition))
    one_pass(x_full)
    _, pass_seconds = timed(lambda: one_pass(x_full).numpy())
    estimate = pass_seconds * model.num_dims

    (cached_x, params), before = timed(
        lambda: sampler.sample_with_params(num_samples, seed=seed, **condition))
    result = {"num_samples": num_samples, "event_shape": list(model.event_shape),
              "parameters": int(model.count_params()), "trace_seconds": {
                  "cached": round(trace_cached, 2), "naive": round(trace_naive, 2)},
              "one_full_pass_seconds": round(pass_seconds, 4),
              "naive_seconds_estimated_from_one_pass": round(estimate, 1)}
    if time.perf_counter() + estimate > deadline:
        _, after = timed(lambda: sampler.sample(num_samples, seed=seed, **condition))
        result.update({"naive_run": False, "cached_seconds": [round(before, 3), round(after, 3)],
                       "speedup_vs_estimated_naive": round(estimate / ((before + after) / 2), 1),
                       "note": "naive run skipped: it would exceed the time budget"})
        return result
    naive, naive_seconds = timed(lambda: model.sample(num_samples, seed=seed, **condition))
    _, after = timed(lambda: sampler.sample(num_samples, seed=seed, **condition))
    cached_mean = (before + after) / 2
    full = model.conditionals(naive, **condition).numpy()
    naive = naive.numpy()
    result.update({
        "naive_run": True,
        "naive_seconds": round(naive_seconds, 2),
        "cached_seconds": [round(before, 3), round(after, 3)],
        "speedup": round(naive_seconds / cached_mean, 1),
        "samples_equal": bool(np.array_equal(cached_x.numpy(), naive)),
        "pixels_differing": int(np.sum(cached_x.numpy() != naive)),
        "max_abs_logit_difference_vs_one_full_pass": float(np.abs(params.numpy() - full).max()),
        "fraction_of_ones": round(float(naive.mean()), 4),
    })
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="pixelcnn,gated_pixelcnn")
    parser.add_argument("--num-samples", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget-minutes", type=float, default=10.0)
    args = parser.parse_args()
    start = time.perf_counter()
    deadline = start + 60 * args.budget_minutes - 30
    results = {}
    for name in args.models.split(","):
        results[name] = run_model(name, args.num_samples, args.seed, deadline)
        print(name, results[name], flush=True)
    write_result("speed_pixelcnn_sampling", {
        "what": "exact cached sampling (kgen.models.autoregressive.CachedSampler) against "
                "the naive sampler (model.sample: one full pass per pixel), same run, same "
                "seed; 28x28 binary images; goal >= 20x",
        "models": results, "total_minutes": round((time.perf_counter() - start) / 60, 2)})


if __name__ == "__main__":
    main()
