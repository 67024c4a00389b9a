"""Rebuilds the benchmark VAE as a ``.keras`` file from its SavedModel export.

The benchmarks' ``.keras`` files are not in git (``benchmarks/results/*.keras``
is ignored), so a new machine has lost the trained 88.28-nat VAE that
``--init-from`` continues. Its weights survive in the committed export
``savedmodels/vae_binarized_mnist/1`` (written by ``kgen.export.saved_model``
from that model's best weights): this script builds the benchmark's VAE
(784-200-200-50 tanh, Bernoulli; ``build("vae", seed)`` of
``nll_binarized_mnist.py``), copies the SavedModel's variables into it in
order (each shape must match) together with the seed generator's state, checks
that the rebuilt model's ``encode`` and ``decode`` signatures give exactly the
SavedModel's outputs on 1,000 test images, and saves it.

    python benchmarks/keras_from_savedmodel.py savedmodels/vae_binarized_mnist/1 \
        /work/runs/vae_burda_88.28.keras
"""

import argparse
import os
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kgen.data  # noqa: E402
from benchmarks.nll_binarized_mnist import build  # noqa: E402


def rebuild(savedmodel_dir, seed=0):
    """Returns the benchmark VAE holding the variables of ``savedmodel_dir``.

    Raises:
        ValueError: if the SavedModel's variables do not match the VAE's
            weights one for one in shape, or if the rebuilt model's
            ``encode``/``decode`` outputs differ from the SavedModel's.
    """
    loaded = tf.saved_model.load(savedmodel_dir)
    variables = [v for v in loaded.variables if "seed_generator" not in v.name]
    states = [v for v in loaded.variables if "seed_generator" in v.name]
    model = build("vae", seed)
    model.build((None, 28, 28, 1))
    ours = [tuple(w.shape) for w in model.weights]
    theirs = [tuple(v.shape) for v in variables]
    if ours != theirs or len(states) != 1:
        raise ValueError(f"`savedmodel_dir` {savedmodel_dir} does not hold the benchmark VAE: "
                         f"its variables have shapes {theirs} (and {len(states)} seed states), "
                         f"the VAE's weights {ours}. Received: {savedmodel_dir}")
    for weight, variable in zip(model.weights, variables):
        weight.assign(variable)
    model.seed_generator.state.assign(states[0])

    x = next(iter(kgen.data.load("binarized_mnist", "test", batch_size=1000)))
    served, mine = loaded.signatures, model.serving_signatures()
    z = served["encode"](x=x)["z"]
    outputs = {"encode": (z, mine["encode"](x=x)["z"]),
               "decode": (served["decode"](z=z)["x"], mine["decode"](z=z)["x"])}
    for name, (a, b) in outputs.items():
        a, b = a.numpy(), b.numpy()
        if not np.array_equal(a, b):
            raise ValueError(f"the rebuilt model's `{name}` differs from the SavedModel's by "
                             f"up to {np.max(np.abs(a - b))}. Received: {savedmodel_dir}")
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("savedmodel_dir")
    parser.add_argument("output", help="the .keras file to write")
    args = parser.parse_args()
    if not args.output.endswith(".keras"):
        parser.error(f"output must end in .keras. Received: {args.output}")
    model = rebuild(args.savedmodel_dir)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    model.save(args.output)
    print(f"wrote {args.output}: encode and decode equal the SavedModel's on 1,000 test images")


if __name__ == "__main__":
    main()
