"""InfoGAN on the MNIST digits: how well does its 10-way categorical code classify real
digits? (issue 13)

Chen et al. 2016 (arXiv:1606.03657, sec. 7.1) train InfoGAN on MNIST with one 10-way
categorical code and two continuous codes and find that the categorical code
captures the digit class: matched to the classes, it classifies MNIST with about 5 %
error. This program trains ``kgen.models.gan.InfoGAN`` with DCGAN networks
(``kgen.networks.dcgan_generator(..., code_dim=12)``, ``dcgan_discriminator(...,
q_units=12)``: Q a head on D's body), z of 62 dimensions, 2 continuous codes with
sigma = 1 (the paper's MNIST settings), the non-saturating loss, Adam(2e-4, 0.5) for
D and Q and Adam(1e-3, 0.5) for G (the paper's learning rates), for ``--minutes`` of
training time.

Data: only the 10,000 MNIST test images are labelled here (``kgen.data`` ``mnist_test``;
``binarized_mnist`` has no labels). InfoGAN trains, without their labels, on the
8,000 of them that trained kgen's MNIST classifier (``kgen.features.classifiers.
mnist_split``); its code is scored on the other 2,000 (``held_out``) and on the 8,000
(``train``). Q's most likely category of every image (``InfoGAN.infer_codes``) is
cross-tabulated against the true digit; the categories are matched one-to-one to the
digits to maximise the hits on ``train`` (``scipy.optimize.linear_sum_assignment`` on
its confusion matrix), and that matching, fitted without the held-out labels, is
applied to ``held_out``: the reported accuracy. (A matching fitted on the held-out
images themselves, ``held_out_accuracy_own_matching``, is an upper bound.) Scored at
``--checkpoints`` evenly spaced training times (the curve), with the
mutual-information bound of the training logs.

    python benchmarks/infogan_digits.py --minutes 30
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import gan_budget  # noqa: E402

NUM_CATEGORIES, NUM_CONTINUOUS = 10, 2


def matched_accuracy(codes, labels, k=NUM_CATEGORIES):
    """``(accuracy, {code: digit}, confusion [k, k])``: the accuracy of ``codes`` as
    a classifier of ``labels`` after the one-to-one matching of codes to digits that
    maximises the hits (the Hungarian algorithm on the confusion matrix)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    codes, labels = np.asarray(codes).reshape(-1), np.asarray(labels).reshape(-1)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (codes, labels), 1)
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    return (float(confusion[rows, cols].sum() / max(1, len(codes))),
            {int(r): int(c) for r, c in zip(rows, cols)}, confusion)


def accuracy_with(matching, codes, labels):
    """The accuracy of ``codes`` mapped to digits by ``matching`` ({code: digit})."""
    import numpy as np

    codes, labels = np.asarray(codes).reshape(-1), np.asarray(labels).reshape(-1)
    lookup = np.array([matching[c] for c in range(len(matching))])
    return float(np.mean(lookup[codes] == labels))


def build_model(args):
    import keras

    import kgen
    from kgen.models.gan import InfoGAN
    from kgen.models.gan.infogan import code_sizes

    keras.utils.set_random_seed(args.seed)
    code_dim, q_units = code_sizes(NUM_CATEGORIES, NUM_CONTINUOUS)
    generator = kgen.networks.dcgan_generator(
        args.latent_dim, (28, 28, 1), base_filters=args.base_filters, seed=args.seed,
        code_dim=code_dim)
    discriminator = kgen.networks.dcgan_discriminator(
        (28, 28, 1), base_filters=args.base_filters, seed=args.seed + 1000, q_units=q_units)
    return InfoGAN(generator, discriminator, num_categories=NUM_CATEGORIES,
                   num_continuous=NUM_CONTINUOUS, info_weight=args.info_weight,
                   seed=args.seed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gan_budget.add_common_args(parser, minutes=30.0, batch_size=64, latent_dim=62)
    parser.add_argument("--info-weight", type=float, default=1.0)
    parser.add_argument("--generator-learning-rate", type=float, default=1e-3)
    parser.add_argument("--discriminator-learning-rate", type=float, default=2e-4)
    args = parser.parse_args(argv)
    import keras
    import numpy as np

    from kgen.data import mnist
    from kgen.features.classifiers import mnist_split

    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    images, labels = mnist.load_arrays()
    images = gan_budget.scaled(images)
    train, held_out = mnist_split()
    sets = {"held_out": (images[held_out], labels[held_out]),
            "train": (images[train], labels[train])}
    model = build_model(args)

    def evaluate():
        codes = {name: gan_budget.in_batches(
            lambda i, j: model.infer_codes(x[i:j])["categorical"][:, 0], len(x))
            for name, (x, _) in sets.items()}
        train_accuracy, matching, _ = matched_accuracy(codes["train"], sets["train"][1])
        own, _, confusion = matched_accuracy(codes["held_out"], sets["held_out"][1])
        return {"held_out_accuracy": accuracy_with(matching, codes["held_out"],
                                                   sets["held_out"][1]),
                "held_out_accuracy_own_matching": own, "train_accuracy": train_accuracy,
                "matching": matching, "confusion": confusion.tolist(),
                "code_usage": np.bincount(codes["held_out"],
                                          minlength=NUM_CATEGORIES).tolist()}

    model.compile(optimizer=gan_budget.adam_pair(args.generator_learning_rate,
                                                 args.discriminator_learning_rate),
                  jit_compile=args.jit_compile,
                  steps_per_execution=10 if args.jit_compile else 1)
    clock = gan_budget.BudgetClock(args.minutes, args.checkpoints, evaluate)
    x_train = sets["train"][0][:args.train_examples]
    steps = gan_budget.fit_for_budget(model, gan_budget.batched(x_train, args.batch_size,
                                                                args.seed), clock, args.chunk)
    final = clock.curve[-1]
    print(f"InfoGAN categorical code as a classifier after matching: held-out "
          f"{final['held_out_accuracy']:.4f}, train {final['train_accuracy']:.4f} "
          f"(Chen et al. about 0.95), {steps} steps", flush=True)
    return gan_budget.write("infogan_digits", args, {
        "networks": (f"DCGAN generator G(z, c) and discriminator with a Q head, "
                     f"base_filters {args.base_filters}, z {args.latent_dim}-d, codes: one "
                     f"{NUM_CATEGORIES}-way categorical and {NUM_CONTINUOUS} continuous "
                     f"U(-1, 1) (sigma 1 in Q)"),
        "loss": "non_saturating",
        "optimizers": (f"Adam({args.generator_learning_rate:g}, 0.5) for G, "
                       f"Adam({args.discriminator_learning_rate:g}, 0.5) for D and Q"),
        "data": (f"MNIST test images in [-1, 1]: InfoGAN trains on {len(x_train)} of the "
                 f"{len(train)} of kgen.features.classifiers.mnist_split (labels unused), "
                 f"batch {args.batch_size}; scored on the other {len(held_out)} (held_out) and "
                 f"on the {len(train)} (train)"),
        "protocol": ("Q's most likely category (infer_codes) against the true digit; "
                     "the one-to-one matching of categories to digits that maximises "
                     "the hits on train (scipy.optimize.linear_sum_assignment), applied "
                     "to held_out; held_out_accuracy_own_matching refits it on held_out "
                     "(an upper bound)"),
        "goal": "about 0.95 (Chen et al. 2016: 5 % error)",
        "held_out_accuracy": final["held_out_accuracy"],
        "held_out_accuracy_own_matching": final["held_out_accuracy_own_matching"],
        "train_accuracy": final["train_accuracy"],
        "matching": final["matching"], "confusion_held_out": final["confusion"],
        "steps": steps, "train_seconds": final["train_seconds"],
        "curve": [{k: v for k, v in p.items() if k != "confusion"} for p in clock.curve],
        "wall_time_seconds": round(time.perf_counter() - start, 1),
        "load_average_at_end": list(os.getloadavg()),
    })


if __name__ == "__main__":
    main()
