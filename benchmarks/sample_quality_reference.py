"""Reference figures and speed of kgen's sample-quality metrics (issue 12).

    python benchmarks/sample_quality_reference.py

Writes ``benchmarks/results/sample_quality_reference.json``. Two parts, one run:

1. Reference figures, the floor and the ceiling of each feature space, so that a
   generative model's FID, KID and precision/recall mean something. Features are
   those of kgen's shipped classifiers (``kgen.features.classifier``, 128-d); the
   metrics are ``kgen.metrics`` (FID_n, KID with 100 subsets of 1000, improved
   precision/recall with k = 3; "real" is the reference set, "generated" the other).

   - Fashion-MNIST features. Floor: 10,000 Fashion-MNIST ``train`` images drawn
     with ``np.random.default_rng(0)`` against the 10,000 test images (the
     classifier trained on ``train``, so those 10,000 are images it has seen).
     Ceiling: the 10,000 MNIST digits (``mnist_test``) against the Fashion-MNIST
     test set.
   - MNIST features. Only the 10,000 MNIST test images are labelled here and
     the digit classifier trained on 8,000 of them, so no digit set is
     independent of it: both halves below are ~80 % its training digits. Floor:
     two seeded random halves of 5,000 (``np.random.RandomState(0)``), and the
     first 5,000 against the last 5,000 (MNIST's two writer populations: the
     first half comes from NIST's SD-3, the second from SD-1, so this is no
     floor, it shows a real shift). Ceiling: the Fashion-MNIST test set against
     the 10,000 digits.

2. Speed, on the same 20,000 images in memory (reading them from disk is not
   timed): FID_10k end to end from images with kgen (``SampleQuality`` with the
   Fashion-MNIST classifier: range check, uint8 quantization, features, streamed
   float64 statistics, FID) against a plain path (``model.predict`` of the
   features layer, ``np.cov``, ``scipy.linalg.sqrtm``), timed alternately; and
   InceptionV3 (random weights: speed only) images per second through kgen's
   pipeline (uint8 quantization, 299x299 anti-aliased resize, [-1, 1]) against
   ``keras.applications.InceptionV3(...).predict`` on inputs resized beforehand,
   with the same weights (their features are compared too).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from benchmarks import common  # noqa: E402
import kgen.data  # noqa: E402
import kgen.features  # noqa: E402
import kgen.metrics  # noqa: E402
from kgen.features import classifiers, preprocessing  # noqa: E402

SEED = 0


def images(name, split):
    """All images of a kgen data set as one float32 array [N, 28, 28, 1] in [0, 1]."""
    batches = kgen.data.load(name, split, batch_size=1000)
    return np.concatenate([b.numpy() for b in batches])


def figures(real, generated):
    """FID_n, KID (mean, std), precision/recall of two feature arrays (real first)."""
    n = min(len(real), len(generated))
    fid = kgen.metrics.frechet_distance(real, generated)
    kid, kid_std = kgen.metrics.kernel_inception_distance(real, generated, seed=SEED)
    precision, recall = kgen.metrics.precision_recall(real, generated, k=3)
    name = lambda metric: kgen.metrics.metric_name(metric, n)  # noqa: E731
    return {"num_real": len(real), "num_generated": len(generated), name("fid"): fid,
            name("kid"): kid, name("kid") + "_std": kid_std,
            name("precision"): precision, name("recall"): recall}


def reference_figures(data):
    fashion = kgen.features.classifier("fashion_mnist")
    digits = kgen.features.classifier("mnist")
    f = {k: fashion.features(v).numpy() for k, v in data.items()}
    d = {k: digits.features(v).numpy() for k, v in data.items()}
    halves = np.random.RandomState(SEED).permutation(len(data["mnist"]))
    first, second = np.sort(halves[:5000]), np.sort(halves[5000:])
    return {
        "fashion_mnist_features": {
            "floor_train_10k_vs_test": {
                "real": "fashion_mnist test (10,000)",
                "generated": "fashion_mnist train, 10,000 drawn with "
                             f"np.random.default_rng({SEED}).choice(55000, 10000, "
                             "replace=False) (the classifier's training images)",
                **figures(f["fashion_test"], f["fashion_train"])},
            "ceiling_mnist_vs_fashion_test": {
                "real": "fashion_mnist test (10,000)",
                "generated": "mnist_test digits (10,000)",
                **figures(f["fashion_test"], f["mnist"])},
        },
        "mnist_features": {
            "note": "the digit classifier trained on 8,000 of these 10,000 digits "
                    "(kgen.features.classifiers.mnist_split): no set here is "
                    "independent of it",
            "floor_random_halves_5k": {
                "real": f"mnist_test, np.random.RandomState({SEED}).permutation(10000)"
                        "[5000:] (5,000)",
                "generated": "the other 5,000 ([:5000])",
                **figures(d["mnist"][second], d["mnist"][first])},
            "first_5k_vs_last_5k": {
                "real": "mnist_test[5000:] (NIST SD-1 writers)",
                "generated": "mnist_test[:5000] (NIST SD-3 writers)",
                **figures(d["mnist"][5000:], d["mnist"][:5000])},
            "ceiling_fashion_test_vs_mnist": {
                "real": "mnist_test digits (10,000)",
                "generated": "fashion_mnist test (10,000)",
                **figures(d["mnist"], d["fashion_test"])},
        },
    }


def kgen_fid(reference, generated, extractor=None):
    """FID_10k through kgen, from images, with a fresh SampleQuality (both sets read).

    ``extractor=None`` loads the classifier afresh (cold: file, tracing); else the
    given one is reused (warm: what a callback scoring every few epochs sees)."""
    extractor = extractor or kgen.features.classifier("fashion_mnist")
    n = min(len(reference), len(generated))
    quality = kgen.metrics.SampleQuality(extractor, reference, num_samples=n,
                                         metrics=["fid"], batch_size=500)
    return quality(generated)[kgen.metrics.metric_name("fid", n)]


def plain_fid(model, reference, generated):
    """FID_10k with model.predict + np.cov + scipy.linalg.sqrtm (Heusel et al.'s code)."""
    f1 = model.predict(reference, batch_size=500, verbose=0).astype(np.float64)
    f2 = model.predict(generated, batch_size=500, verbose=0).astype(np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def fid_speed(reference, generated, repeats):
    network = classifiers.load_network("fashion_mnist")
    plain_model = keras.Model(network.inputs, network.get_layer("features").output)
    warm = kgen.features.classifier("fashion_mnist")
    kgen_fid(reference[:1000], generated[:1000], warm)  # warm-up: tracing
    plain_fid(plain_model, reference[:1000], generated[:1000])
    rounds = []
    for _ in range(repeats):  # alternate, so all see the same machine load
        fid_k, t_k = timed(kgen_fid, reference, generated)
        fid_w, t_w = timed(kgen_fid, reference, generated, warm)
        fid_p, t_p = timed(plain_fid, plain_model, reference, generated)
        rounds.append({"kgen_seconds": t_k, "kgen_warm_seconds": t_w, "plain_seconds": t_p,
                       "kgen_fid_10k": fid_k, "kgen_warm_fid_10k": fid_w,
                       "plain_fid_10k": fid_p})
    kgen_s = float(np.median([r["kgen_seconds"] for r in rounds]))
    warm_s = float(np.median([r["kgen_warm_seconds"] for r in rounds]))
    plain_s = float(np.median([r["plain_seconds"] for r in rounds]))
    fid_k, fid_p = rounds[0]["kgen_fid_10k"], rounds[0]["plain_fid_10k"]
    return {
        "what": "FID_10k between 10,000 Fashion-MNIST train images and the test set, "
                "from float32 images in memory to the number; kgen: "
                "SampleQuality(classifier('fashion_mnist'), test, 10000, ['fid'], "
                "batch_size=500) with the classifier loaded afresh each round (cold: "
                ".keras load, tracing) and with one classifier reused (warm); both "
                "read both sets (range check, quantization, streamed float64 "
                "statistics, eigh); plain: features-layer model.predict(batch_size="
                "500) of a model built once, np.cov, scipy.linalg.sqrtm (warns: the "
                "product is singular, some ReLU features are always 0)",
        "repeats": repeats,
        "kgen_seconds_median": kgen_s,
        "plain_seconds_median": plain_s,
        "kgen_warm_seconds_median": warm_s,
        "kgen_over_plain": kgen_s / plain_s,
        "kgen_warm_over_plain": warm_s / plain_s,
        "kgen_fid_10k": fid_k,
        "plain_fid_10k": fid_p,
        "relative_difference": abs(fid_k - fid_p) / abs(fid_p),
        "goal_seconds": 10.0,
        "rounds": rounds,
    }


def inception_speed(data, num_images, batch_size, repeats):
    x = data[:num_images]
    keras.utils.set_random_seed(SEED)
    extractor = kgen.features.inception_v3(weights=None, batch_size=batch_size)
    plain = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None,
                                           input_shape=(299, 299, 3))
    plain.set_weights(extractor.model.get_weights())
    # The plain path's inputs, resized beforehand (not timed): the same pipeline.
    resized = preprocessing.inception_input(preprocessing.quantize(x, (0.0, 1.0))).numpy()
    extractor.features(x[:batch_size])  # warm-up: tracing
    plain.predict(resized[:batch_size], batch_size=batch_size, verbose=0)
    rounds = []
    for _ in range(repeats):
        f_k, t_k = timed(lambda: extractor.features(x).numpy())
        f_p, t_p = timed(lambda: plain.predict(resized, batch_size=batch_size, verbose=0))
        rounds.append({"kgen_seconds": t_k, "plain_seconds": t_p})
    kgen_s = float(np.median([r["kgen_seconds"] for r in rounds]))
    plain_s = float(np.median([r["plain_seconds"] for r in rounds]))
    return {
        "what": f"InceptionV3 pool3 (weights=None, the same random weights in both) on "
                f"{num_images} Fashion-MNIST test images, batch {batch_size}, after one "
                "warm-up batch; kgen: inception_v3().features from 28x28 images in "
                "[0, 1] (range check, uint8 quantization, 299x299 anti-aliased "
                "resize, [-1, 1]); plain: keras.applications.InceptionV3(include_top="
                "False, pooling='avg').predict on inputs resized beforehand",
        "num_images": num_images,
        "batch_size": batch_size,
        "repeats": repeats,
        "kgen_images_per_second": num_images / kgen_s,
        "plain_images_per_second": num_images / plain_s,
        "kgen_over_plain_time": kgen_s / plain_s,
        "features_max_abs_difference": float(np.max(np.abs(f_k - f_p))),
        "features_max_abs": float(np.max(np.abs(f_p))),
        "rounds": rounds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--inception-images", type=int, default=200)
    parser.add_argument("--inception-repeats", type=int, default=2)
    parser.add_argument("--inception-batch-size", type=int, default=50)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    train_full = images("fashion_mnist", "train")
    pick = np.sort(np.random.default_rng(SEED).choice(len(train_full), 10000, replace=False))
    data = {"fashion_train": train_full[pick], "fashion_test": images("fashion_mnist", "test"),
            "mnist": images("mnist_test", "test")}
    del train_full
    start = time.perf_counter()
    reference = reference_figures(data)
    reference_seconds = time.perf_counter() - start
    fid = fid_speed(data["fashion_test"], data["fashion_train"], args.repeats)
    inception = inception_speed(data["fashion_test"], args.inception_images,
                                args.inception_batch_size, args.inception_repeats)
    result = {"reference": reference, "reference_seconds": reference_seconds,
              "speed": {"fid_10k_fashion_mnist_classifier": fid,
                        "inception_v3_cpu": inception},
              "load_average_1min": {"start": load_start[0], "end": os.getloadavg()[0]}}
    common.write_result("sample_quality_reference", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
