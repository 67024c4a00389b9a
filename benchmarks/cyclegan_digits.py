"""CycleGAN label preservation: 8x8 UCI digits (upsampled to 28x28) <-> MNIST, unpaired.

Issue 17's measured CycleGAN task (Zhu et al. 2017, arXiv:1703.10593). CycleGAN
trains on scikit-learn's 1,797 UCI digits (X, bilinearly upsampled to 28x28) and the
10,000 MNIST test images (Y, the only MNIST offline), each domain shuffled on its own
(``kgen.data.unpaired``), for a wall-time budget (``--minutes``, default 60). Then, as
CyCADA does for MNIST <-> USPS (Hoffman et al. 2018, arXiv:1711.03213), kgen's shipped
MNIST classifier (``kgen.features.classifier("mnist")``) labels G(x) for every UCI digit
x, and the accuracy against x's true label is reported beside the baseline it must beat:
the same classifier on the untranslated upsampled UCI digits. The accuracy is also
recorded after every epoch (the curve). The classifier was trained on 8,000 of the MNIST
images that serve as domain Y here; it never saw a UCI digit, whose labels CycleGAN
never sees.

Settings (the paper's, scaled to 28x28): ResNet generators (c7s1-16, d32, d64, 4
residual blocks, u32, u16, c7s1-1) and 22x22 PatchGANs with instance norm
(``kgen.networks.cyclegan``), least-squares losses, lambda = 10, history buffers of 50,
Adam(2e-4, beta_1 = 0.5) for each of the four players, a constant learning rate (the
paper's linear decay over its second 100 epochs does not fit a time budget).

Writes ``benchmarks/results/cyclegan_digits<tag>.json`` and a PNG grid
``cyclegan_digits<tag>.png``: rows x, G(x), F(G(x)) for two UCI digits of each class,
then y, F(y), G(F(y)) for 20 MNIST digits.

    python benchmarks/cyclegan_digits.py                      # 60 minutes
    python benchmarks/cyclegan_digits.py --minutes 2 --tag _smoke
"""

import argparse
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import common  # noqa: E402


def build_model(args):
    import kgen
    from kgen.models.gan import CycleGAN

    shape = (28, 28, 1)
    gen = dict(base_filters=args.base_filters, residual_blocks=args.residual_blocks)
    nets = {}
    for i, name in enumerate(CycleGAN.players):
        seed = args.seed + 10 * i
        nets[name] = (kgen.networks.cyclegan_generator(shape, **gen, seed=seed, name=name)
                      if name.startswith("generator") else
                      kgen.networks.patchgan_discriminator(
                          shape, base_filters=args.discriminator_filters, seed=seed,
                          name=name))
    return CycleGAN(**nets, cycle_weight=args.cycle_weight,
                    identity_weight=args.identity_weight, history_size=args.history_size,
                    seed=args.seed)


def label_accuracy(model, classifier, x, labels, batch_size=500):
    """Accuracy of the classifier's labels of G(x) against x's labels, and G(x)."""
    import numpy as np

    translated = np.concatenate([model.translate_x_to_y(x[i:i + batch_size]).numpy()
                                 for i in range(0, len(x), batch_size)])
    predicted = np.argmax(classifier.probabilities(translated).numpy(), axis=-1)
    return float(np.mean(predicted == labels)), translated


def grid(model, x, x_labels, y, path):
    """The PNG of x, G(x), F(G(x)) (two UCI digits per class) and y, F(y), G(F(y))."""
    import numpy as np

    from kgen.callbacks._images import save_png, tile

    picks = np.concatenate([np.flatnonzero(x_labels == c)[:2] for c in range(10)])
    xs, ys = x[picks], y[:len(picks)]
    rows = [xs, model.translate_x_to_y(xs), model.reconstruct_x(xs),
            ys, model.translate_y_to_x(ys), model.reconstruct_y(ys)]
    images = np.concatenate([np.asarray(r) for r in rows]) * 0.5 + 0.5  # [-1, 1] -> [0, 1]
    return save_png(path, tile(images, columns=len(picks), padding=1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps-per-epoch", type=int, default=200,
                        help="steps between two points of the curve")
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--beta-1", type=float, default=0.5)
    parser.add_argument("--cycle-weight", type=float, default=10.0)
    parser.add_argument("--identity-weight", type=float, default=0.0)
    parser.add_argument("--history-size", type=int, default=50)
    parser.add_argument("--base-filters", type=int, default=16)
    parser.add_argument("--residual-blocks", type=int, default=4)
    parser.add_argument("--discriminator-filters", type=int, default=32)
    parser.add_argument("--jit-compile", action="store_true",
                        help="XLA; slow here: its first 25 steps took 13 minutes on 2 "
                             "loaded cores (compilation or steps: not split), against "
                             "about 10 s without")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tag", default="", help="suffix of the JSON and PNG names")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    import kgen.features
    from kgen.callbacks import TimeLimit
    from kgen.data import unpaired

    keras.utils.set_random_seed(args.seed)
    x01, x_labels = unpaired.upsampled_digits()
    y01, y_labels = unpaired.mnist_digits()
    x, y = x01 * 2.0 - 1.0, y01 * 2.0 - 1.0
    classifier = kgen.features.classifier("mnist", data_range=(-1, 1))
    baseline = float(np.mean(np.argmax(classifier.probabilities(x).numpy(), -1) == x_labels))
    on_mnist = float(np.mean(np.argmax(classifier.probabilities(y).numpy(), -1) == y_labels))
    print(f"baseline: the classifier on the upsampled UCI digits {baseline:.4f} "
          f"(on the MNIST images {on_mnist:.4f})", flush=True)

    model = build_model(args)
    model.compile(optimizer={p: keras.optimizers.Adam(args.learning_rate, args.beta_1)
                             for p in model.players}, jit_compile=args.jit_compile)
    data = unpaired.unpaired_dataset(x01, y01, args.batch_size, seed=args.seed,
                                     steps_per_epoch=args.steps_per_epoch)
    curve = []

    class Curve(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            accuracy, _ = label_accuracy(self.model, classifier, x, x_labels)
            curve.append({"epoch": epoch + 1, "steps": (epoch + 1) * args.steps_per_epoch,
                          "seconds": round(time.perf_counter() - start, 1),
                          "label_accuracy": accuracy,
                          **{k: float(v) for k, v in (logs or {}).items()}})
            print(f"epoch {epoch + 1}: label accuracy {accuracy:.4f}  cycle "
                  f"{logs['cycle_loss']:.4f}  D_Y {logs['discriminator_y_loss']:.4f}",
                  flush=True)

    start = time.perf_counter()
    limit = TimeLimit(args.minutes)
    model.fit(data, epochs=10**6, verbose=0, callbacks=[limit, Curve()])
    seconds = time.perf_counter() - start
    accuracy, translated = label_accuracy(model, classifier, x, x_labels)
    cycle_l1 = float(np.mean(np.abs(np.asarray(model.reconstruct_x(x)) - x)))
    predicted = np.argmax(classifier.probabilities(translated).numpy(), -1)
    per_class = {str(c): float(np.mean(predicted[x_labels == c] == c)) for c in range(10)}
    png = grid(model, x, x_labels, y, REPO / "benchmarks" / "results"
               / f"cyclegan_digits{args.tag}.png")
    print(f"label accuracy of G(x) {accuracy:.4f} vs baseline {baseline:.4f} after "
          f"{len(curve)} epochs, {seconds / 60:.1f} minutes", flush=True)
    common.write_result(f"cyclegan_digits{args.tag}", {
        "protocol": ("CycleGAN X = 1,797 UCI 8x8 digits upsampled to 28x28 (bilinear), "
                     "Y = 10,000 MNIST test images, unpaired, pixels in [-1, 1]; label "
                     "preservation = accuracy of kgen's MNIST classifier on G(x) for every "
                     "UCI digit x against x's label (CyCADA's MNIST<->USPS measure); "
                     "baseline = the same classifier on the untranslated digits"),
        "goal": "label accuracy of G(x) above the baseline",
        "args": vars(args),
        "label_accuracy": accuracy, "baseline_accuracy": baseline,
        "beats_baseline": accuracy > baseline,
        "classifier_accuracy_on_mnist_domain": on_mnist,
        "per_class_label_accuracy": per_class,
        "cycle_l1_x": cycle_l1,
        "epochs": len(curve), "steps": len(curve) * args.steps_per_epoch,
        "train_seconds": round(seconds, 1), "curve": curve,
        "grid_png": str(pathlib.Path(png).relative_to(REPO)),
        "grid_rows": ["x (UCI)", "G(x)", "F(G(x))", "y (MNIST)", "F(y)", "G(F(y))"],
    })


if __name__ == "__main__":
    main()
