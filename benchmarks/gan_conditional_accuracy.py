"""Class-conditional GANs on Fashion-MNIST: does a sample of class c look like class c to
kgen's Fashion-MNIST classifier? (issue 13)

Trains an AC-GAN (Odena et al. 2017, arXiv:1610.09585; ``--model acgan``, the default)
or a conditional DCGAN (Mirza & Osindero 2014, arXiv:1411.1784; ``--model
conditional_gan``) of DCGAN networks (``kgen.networks.dcgan_generator`` /
``dcgan_discriminator`` with ``num_classes=10``: the one-hot label concatenated to z,
and to D's input as channels or, for AC-GAN, D's class head), the non-saturating loss,
Adam(2e-4, beta_1 = 0.5) per player, batch 128 of the labelled Fashion-MNIST ``train``
split in [-1, 1], for ``--minutes`` of training time. Then it draws ``--num-samples``
samples, the same number per class (1,000 each for 10,000), and reports

- the accuracy of kgen's Fashion-MNIST classifier (``kgen.features.classifier``)
  against the class asked for, overall and per class (goal >= 90 %), beside that
  classifier's own accuracy on the real test images (its ceiling here, about 92 %);
- FID of the same samples against as many test images in the classifier's features.

Both are also scored at ``--checkpoints`` evenly spaced training times (the curve).

    python benchmarks/gan_conditional_accuracy.py --minutes 30
    python benchmarks/gan_conditional_accuracy.py --model conditional_gan --minutes 30 \\
        --output benchmarks/results/gan_conditional_accuracy_cgan.json
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import gan_budget  # noqa: E402

MODELS = ("acgan", "conditional_gan")
NUM_CLASSES = 10


def build_model(args):
    import keras

    import kgen
    from kgen.models.gan import ACGAN, ConditionalGAN

    keras.utils.set_random_seed(args.seed)
    acgan = args.model == "acgan"
    generator = kgen.networks.dcgan_generator(
        args.latent_dim, (28, 28, 1), base_filters=args.base_filters, seed=args.seed,
        num_classes=NUM_CLASSES)
    discriminator = kgen.networks.dcgan_discriminator(
        (28, 28, 1), base_filters=args.base_filters, seed=args.seed + 1000,
        num_classes=NUM_CLASSES, auxiliary_classifier=acgan)
    cls = ACGAN if acgan else ConditionalGAN
    return cls(generator, discriminator, num_classes=NUM_CLASSES, seed=args.seed)


def requested_labels(num_samples):
    """``num_samples`` labels, the classes in turn: the same count per class when
    ``num_samples`` is a multiple of 10."""
    import numpy as np

    return (np.arange(num_samples) % NUM_CLASSES).astype(np.int32)


def class_accuracy(classifier, images, labels):
    """``(accuracy, {class: accuracy})`` of ``classifier``'s argmax against ``labels``."""
    import numpy as np

    predicted = np.argmax(gan_budget.in_batches(
        lambda i, j: classifier.probabilities(images[i:j]), len(images)), -1)
    hit = predicted == labels
    return float(np.mean(hit)), {str(c): float(np.mean(hit[labels == c]))
                                 for c in range(NUM_CLASSES)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gan_budget.add_common_args(parser, minutes=30.0)
    parser.add_argument("--model", choices=MODELS, default="acgan")
    args = parser.parse_args(argv)
    import keras

    import kgen.features

    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    x, y = gan_budget.fashion_mnist("train", args.train_examples)
    test, test_labels = gan_budget.fashion_mnist("test", args.num_samples)
    classifier = kgen.features.classifier("fashion_mnist", data_range=(-1, 1))
    ceiling, ceiling_per_class = class_accuracy(classifier, test, test_labels)
    print(f"the classifier on {len(test)} real test images: {ceiling:.4f}", flush=True)
    score = gan_budget.fid_scorer(test, args.num_samples)
    labels = requested_labels(args.num_samples)

    def evaluate():
        images = gan_budget.in_batches(
            lambda i, j: model.sample(j - i, seed=args.seed + 7 + i, labels=labels[i:j]),
            len(labels))
        accuracy, per_class = class_accuracy(classifier, images, labels)
        return {"accuracy": accuracy, "per_class_accuracy": per_class, **score(images)}

    model = build_model(args)
    model.compile(optimizer=gan_budget.adam_pair(), jit_compile=args.jit_compile,
                  steps_per_execution=10 if args.jit_compile else 1)
    clock = gan_budget.BudgetClock(args.minutes, args.checkpoints, evaluate)
    steps = gan_budget.fit_for_budget(model, gan_budget.batched(x, args.batch_size, args.seed,
                                                                labels=y), clock, args.chunk)
    final = clock.curve[-1]
    fid_key = next(k for k in final if k.startswith("fid"))
    print(f"{args.model}: accuracy {final['accuracy']:.4f} (goal 0.90; the classifier on "
          f"real images {ceiling:.4f}), {fid_key} {final[fid_key]:.2f}, {steps} steps",
          flush=True)
    return gan_budget.write("gan_conditional_accuracy", args, {
        "model": args.model,
        "networks": (f"DCGAN generator and discriminator, base_filters {args.base_filters}, "
                     f"latent_dim {args.latent_dim}, num_classes 10"
                     + (", auxiliary classifier head" if args.model == "acgan" else
                        ", labels as one-hot channels of D's input")),
        "loss": "non_saturating", "optimizers": "Adam(2e-4, beta_1=0.5) per player",
        "data": f"fashion_mnist train ({len(x)} labelled images) in [-1, 1], "
                f"batch {args.batch_size}",
        "protocol": (f"{args.num_samples} samples, the classes in turn "
                     f"({args.num_samples // NUM_CLASSES} per class); accuracy of kgen's "
                     f"fashion_mnist classifier against the requested class; FID against "
                     f"{len(test)} test images in that classifier's features"),
        "goal": "accuracy >= 0.90",
        "accuracy": final["accuracy"], "per_class_accuracy": final["per_class_accuracy"],
        fid_key: final[fid_key], "meets_goal": final["accuracy"] >= 0.9,
        "classifier_accuracy_on_real_test": ceiling,
        "classifier_per_class_accuracy_on_real_test": ceiling_per_class,
        "steps": steps, "train_seconds": final["train_seconds"], "curve": clock.curve,
        "wall_time_seconds": round(time.perf_counter() - start, 1),
        "load_average_at_end": list(os.getloadavg()),
    })


if __name__ == "__main__":
    main()
