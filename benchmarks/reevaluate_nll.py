"""Evaluates a saved NLL-benchmark model again and updates its result JSON.

For a run whose final evaluation was wrong while its training was sound: the
``.keras`` file that ``nll_binarized_mnist.py`` saved (the best validation
weights) is loaded, its test -ELBO and k-sample test NLL are computed on all
10,000 test images, and the JSON's test fields are replaced; the training
record (curve, epochs, minutes) is kept, and ``evaluations`` lists the old
values with the reason given.

    python benchmarks/reevaluate_nll.py --name nll_vae_binarized_mnist_burda_xla \
        --reason "..."
"""

import argparse
import json
import os
import sys
import time

import keras

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kgen  # noqa: E402
import kgen.data  # noqa: E402
import kgen.metrics  # noqa: E402
from benchmarks.common import COMMIT_AT_START  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
TEST_FIELDS = ("test_nll_nats", "test_nll_std_error", "test_nll_num_samples",
               "test_nll_num_examples", "test_nll_eval_minutes", "test_negative_elbo_nats")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True, help="result name, e.g. nll_vae_binarized_mnist")
    parser.add_argument("--reason", required=True)
    parser.add_argument("--num-samples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    json_path = os.path.join(RESULTS, f"{args.name}.json")
    with open(json_path) as f:
        result = json.load(f)
    model = keras.models.load_model(os.path.join(RESULTS, f"{args.name}.keras"), safe_mode=True)
    test = kgen.data.load("binarized_mnist", "test", batch_size=100)
    elbo = float(model.evaluate(test, verbose=0, return_dict=True)["elbo"])
    nll = kgen.metrics.nll(model, test, num_samples=args.num_samples, seed=args.seed)
    print(nll, flush=True)
    if nll["num_examples"] != kgen.data.binarized_mnist.NUM_EXAMPLES["test"]:
        raise RuntimeError(f"evaluated {nll['num_examples']} test images, not all 10,000")
    previous = {k: result.get(k) for k in TEST_FIELDS}
    result.update({
        "test_nll_nats": round(nll["nll"], 3),
        "test_nll_std_error": round(nll["nll_std_error"], 3),
        "test_nll_num_samples": args.num_samples,
        "test_nll_num_examples": nll["num_examples"],
        "test_nll_eval_minutes": round(nll["seconds"] / 60, 2),
        "test_negative_elbo_nats": round(-elbo, 3),
    })
    result.setdefault("evaluations", []).append({
        "command": "python benchmarks/reevaluate_nll.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": COMMIT_AT_START,
        "reason": args.reason,
        "replaced": previous,
    })
    with open(json_path + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(json_path + ".tmp", json_path)  # a failed write leaves the old file
    print("updated", json_path)


if __name__ == "__main__":
    main()
