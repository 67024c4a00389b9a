"""Trains kgen's shipped feature classifiers and records their accuracies.

    python benchmarks/train_feature_classifiers.py [--only fashion_mnist|mnist]

Writes ``kgen/features/weights/<name>_classifier.keras`` (the files the package
ships and ``kgen.features.classifier(name)`` loads) and
``benchmarks/results/feature_classifiers.json``. Seeded and deterministic: the same
command on the same machine and versions reproduces the weights (compare the
``weights_sha256`` of the JSON). About 6 minutes for Fashion-MNIST and 1 for MNIST
on 2 CPU cores. ``--out-dir`` writes the ``.keras`` files elsewhere (to check a
reproduction without replacing the shipped ones).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from kgen.features import classifiers, train  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=classifiers.NAMES, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default=classifiers.WEIGHTS_DIR)
    parser.add_argument("--no-json", action="store_true", help="do not write the JSON")
    args = parser.parse_args(argv)
    names = [args.only] if args.only else list(classifiers.NAMES)
    records = {}
    for name in names:
        output = os.path.join(args.out_dir, f"{name}_classifier.keras")
        _, records[name] = train.train_classifier(name, seed=args.seed, output=output)
        print(json.dumps(records[name], indent=2))
    if not args.no_json:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                            "feature_classifiers.json")
        if args.only and os.path.exists(path):  # keep the other classifier's record
            with open(path) as f:
                records = {**json.load(f).get("classifiers", {}), **records}
        common.write_result("feature_classifiers", {"classifiers": records})


if __name__ == "__main__":
    main()
