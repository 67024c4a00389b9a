"""BiGAN's encoder as a feature extractor: a linear probe on Fashion-MNIST (issue 13).

Donahue et al. 2016 (arXiv:1605.09782, sec. 4.1) judge a BiGAN's encoder E by how
well a linear classifier on E(x) separates the classes. This program trains
``kgen.models.gan.BiGAN`` with DCGAN-style networks (``kgen.networks.dcgan_generator``,
``dcgan_encoder``, ``dcgan_joint_discriminator``), the non-saturating loss and
Adam(2e-4, beta_1 = 0.5) per player, on the unlabelled Fashion-MNIST ``train`` split in
[-1, 1], for ``--minutes`` of training time. Then the same probe, multinomial logistic
regression (scikit-learn ``LogisticRegression``, L-BFGS, ``--probe-iterations``
iterations, C = 1, on standardized features), is fit on the ``--probe-train`` first
training images with their labels and scored on the 10,000 test images, for:

- ``bigan_latent``: E(x), the encoder's ``latent_dim`` outputs;
- ``bigan_pooled``: the encoder's last convolutional map, averaged over space
  (2 ``base_filters`` channels for 28x28);
- ``random_latent`` / ``random_pooled``: the same for an encoder of the same
  architecture left at its initial weights (the trained one's starting point);
- ``raw_pixels``: the 784 pixels.

The BiGAN's probes are also run at ``--checkpoints`` evenly spaced training times
(the curve).

    python benchmarks/bigan_probe.py --minutes 30
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import gan_budget  # noqa: E402


def build_model(args):
    import keras

    import kgen
    from kgen.models.gan import BiGAN

    keras.utils.set_random_seed(args.seed)
    return BiGAN(
        kgen.networks.dcgan_generator(args.latent_dim, (28, 28, 1),
                                      base_filters=args.base_filters, seed=args.seed),
        encoder(args),
        kgen.networks.dcgan_joint_discriminator(
            (28, 28, 1), args.latent_dim, base_filters=args.base_filters,
            hidden_units=args.joint_units, seed=args.seed + 1000),
        seed=args.seed)


def encoder(args):
    import kgen

    return kgen.networks.dcgan_encoder((28, 28, 1), args.latent_dim,
                                       base_filters=args.base_filters, seed=args.seed + 2000)


def features(net, images):
    """``{"latent": E(x), "pooled": E's last convolutional map averaged over space}`` of
    ``images`` (one pass of the encoder)."""
    import keras
    import numpy as np

    flatten = next(layer for layer in net.layers if isinstance(layer, keras.layers.Flatten))
    both = keras.Model(net.input, [net.output, flatten.input])
    parts = [both(images[i:i + 500], training=False) for i in range(0, len(images), 500)]
    return {"latent": np.concatenate([np.asarray(z) for z, _ in parts]),
            "pooled": np.concatenate([np.asarray(keras.ops.mean(h, axis=(1, 2)))
                                      for _, h in parts])}


def probe(train_features, train_labels, test_features, test_labels, iterations):
    """Test accuracy of logistic regression on standardized features."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_features)
    classifier = LogisticRegression(C=1.0, max_iter=iterations)
    with warnings.catch_warnings():  # a fixed number of iterations, by design
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(scaler.transform(train_features), train_labels)
    return float(classifier.score(scaler.transform(test_features), test_labels))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gan_budget.add_common_args(parser, minutes=30.0, latent_dim=50)
    parser.add_argument("--joint-units", type=int, default=512,
                        help="width of the joint discriminator's z and (x, z) layers")
    parser.add_argument("--probe-train", type=int, default=None,
                        help="labelled training images of the probe (default all 55,000)")
    parser.add_argument("--probe-test", type=int, default=None,
                        help="test images of the probe (default all 10,000)")
    parser.add_argument("--probe-iterations", type=int, default=200,
                        help="L-BFGS iterations of the probe")
    args = parser.parse_args(argv)
    import keras

    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    x, _ = gan_budget.fashion_mnist("train", args.train_examples)
    px, py = gan_budget.fashion_mnist("train", args.probe_train)
    tx, ty = gan_budget.fashion_mnist("test", args.probe_test)

    def probes(net, prefix):
        train, test = features(net, px), features(net, tx)
        return {f"{prefix}_{name}": probe(train[name], py, test[name], ty,
                                          args.probe_iterations) for name in train}

    model = build_model(args)
    baselines = {"raw_pixels": probe(px.reshape(len(px), -1), py, tx.reshape(len(tx), -1),
                                     ty, args.probe_iterations),
                 **probes(encoder(args), "random")}
    print("baselines: " + ", ".join(f"{k} {v:.4f}" for k, v in baselines.items()), flush=True)
    model.compile(optimizer=gan_budget.adam_pair(), jit_compile=args.jit_compile,
                  steps_per_execution=10 if args.jit_compile else 1)
    clock = gan_budget.BudgetClock(args.minutes, args.checkpoints,
                                   lambda: probes(model.encoder, "bigan"))
    steps = gan_budget.fit_for_budget(model, gan_budget.batched(x, args.batch_size, args.seed),
                                      clock, args.chunk)
    final = clock.curve[-1]
    accuracies = {**{k: final[k] for k in ("bigan_latent", "bigan_pooled")}, **baselines}
    best = max(("bigan_latent", "bigan_pooled"), key=accuracies.get)
    print("probe test accuracy: " + ", ".join(f"{k} {v:.4f}" for k, v in accuracies.items())
          + f"; {steps} steps", flush=True)
    return gan_budget.write("bigan_probe", args, {
        "networks": (f"DCGAN generator, DCGAN encoder (batch norm), joint discriminator "
                     f"(DCGAN convolutions on x, Dense {args.joint_units} on z, joint "
                     f"{args.joint_units}), base_filters {args.base_filters}, z "
                     f"{args.latent_dim}-d N(0, I)"),
        "loss": "non_saturating", "optimizers": "Adam(2e-4, beta_1=0.5) per player "
                                                "(G and E one player)",
        "data": f"fashion_mnist train ({len(x)} images, labels unused) in [-1, 1], "
                f"batch {args.batch_size}",
        "probe": (f"scikit-learn LogisticRegression (L-BFGS, {args.probe_iterations} "
                  f"iterations, C=1) on standardized features of the first {len(px)} "
                  f"training images; accuracy on {len(tx)} test images"),
        "goal": "the BiGAN encoder's probe above the random encoder's (and raw pixels')",
        "test_accuracy": accuracies,
        "bigan_beats_random": accuracies[best] > max(baselines["random_latent"],
                                                     baselines["random_pooled"]),
        "bigan_beats_raw_pixels": accuracies[best] > baselines["raw_pixels"],
        "steps": steps, "train_seconds": final["train_seconds"], "curve": clock.curve,
        "wall_time_seconds": round(time.perf_counter() - start, 1),
        "load_average_at_end": list(os.getloadavg()),
    })


if __name__ == "__main__":
    main()
