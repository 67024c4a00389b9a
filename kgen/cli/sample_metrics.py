"""The preset's ``evaluate.sample_metrics``: FID / KID / precision-recall / IS of a
model's samples, for ``kgen train``'s final evaluation and ``kgen evaluate``.

An implicit model (a GAN) has no likelihood; it is judged by metrics on samples
against a reference split of the data set it was trained on, in the same pixel
range (the reference is loaded with the preset's ``data.preprocess``, as the
training data were)::

    evaluate:
      sample_metrics:
        metrics: [fid, kid, precision_recall]   # kgen.metrics.quality.METRICS
        num_samples: 10000                       # per set: fid_10k
        features: fashion_mnist                  # kgen.features.get_extractor name or .keras path
        reference_split: test                    # default: data.eval_split
        batch_size: 250
        every: 5                                 # also during training (null: never)

With ``every: N``, ``kgen train`` also scores the model after every N-th epoch
(``kgen.callbacks.SampleQuality``, same samples count, features and reference):
the figures enter the epoch's logs, so ``history.csv``, TensorBoard and
``metrics.json`` hold the FID learning curve, and the best checkpoint follows the
model's ``monitor`` (``fid`` for a GAN). ``train.restore_best: true`` then picks
an epoch by its FID against the reference, so the reference must not be
``data.eval_split`` (that would select on the test data): give
``reference_split: validation`` for it.

``features`` defaults to kgen's own classifier of the data set (``fashion_mnist``;
``mnist`` for ``mnist_test`` and ``binarized_mnist``).
"""

import contextlib
import sys

from kgen import checks

DEFAULTS = {"metrics": ["fid", "kid", "precision_recall"], "num_samples": 10000,
            "features": None, "reference_split": None, "batch_size": 250, "every": None}
# The data sets whose images kgen's shipped classifiers read (kgen.features.classifier).
DEFAULT_FEATURES = {"fashion_mnist": "fashion_mnist", "mnist_test": "mnist",
                    "binarized_mnist": "mnist"}


def resolve(spec, data_name):
    """``spec`` (the preset's ``evaluate.sample_metrics``) with its defaults, checked.

    Returns:
        ``None`` for a ``None`` spec, else the full mapping.

    Raises:
        ValueError: naming ``evaluate.sample_metrics`` or the bad key inside it.
    """
    if spec is None:
        return None
    where = "evaluate.sample_metrics"
    if spec is True:
        spec = {}
    if not isinstance(spec, dict):
        raise ValueError(f"`{where}` must be a mapping or null. Received: {spec!r}")
    unknown = sorted(set(spec) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"`{where}` takes the keys {sorted(DEFAULTS)}. Received: {unknown}")
    spec = {**DEFAULTS, **spec}
    from kgen.metrics import quality

    try:
        quality.check_metrics(spec["metrics"])
    except ValueError as e:
        raise ValueError(f"`{where}.metrics`: {e}") from None
    checks.positive_int(f"{where}.num_samples", spec["num_samples"], minimum=2)
    checks.positive_int(f"{where}.batch_size", spec["batch_size"])
    if spec["every"] is not None:
        checks.positive_int(f"{where}.every", spec["every"])
    if spec["features"] is None:
        spec["features"] = DEFAULT_FEATURES.get(data_name)
        if spec["features"] is None:
            raise ValueError(f"`{where}.features` must name a feature extractor: kgen has no "
                             f"classifier of {data_name!r}. Received: features=null")
    if not isinstance(spec["features"], str):
        raise ValueError(f"`{where}.features` must be a name or a .keras path. "
                         f"Received: {spec['features']!r}")
    if spec["reference_split"] is not None and not isinstance(spec["reference_split"], str):
        raise ValueError(f"`{where}.reference_split` must be a split name or null. "
                         f"Received: {spec['reference_split']!r}")
    return spec


def check_selection(spec, data, train):
    """Refuses ``train.restore_best`` with a learning curve scored on ``data.eval_split``.

    Raises:
        ValueError: naming ``train.restore_best`` and
            ``evaluate.sample_metrics.reference_split``.
    """
    if spec is None or spec["every"] is None or not train.get("restore_best"):
        return
    split = spec["reference_split"] or data.get("eval_split")
    if split == data.get("eval_split"):
        raise ValueError(
            f"`train.restore_best` would keep the epoch of the best FID against "
            f"`evaluate.sample_metrics.reference_split` {split!r}, the split of the final "
            f"figures (data.eval_split): a selection on the test data. Score the curve on "
            f"another split (e.g. validation) or set train.restore_best: false. Received: "
            f"train.restore_best=True, evaluate.sample_metrics.reference_split={split!r}")


def evaluate(model, spec, data, seed, verbose=0):
    """The sample metrics of ``model`` as ``spec`` (``resolve``) asks, on ``data``'s
    reference split (``data``: the preset's ``data`` section).

    Returns:
        ``{"features": ..., "reference_split": ..., "fid_10k": ..., ...}``.

    Raises:
        ValueError: naming ``evaluate.sample_metrics.reference_split`` if there is
            no reference split, or ``model`` if it has no ``data_range`` to read
            its samples in.
    """
    from kgen.metrics import SampleQuality

    split, extractor, reference = _reference(model, spec, data, seed)
    quality = SampleQuality(extractor, reference, spec["num_samples"], spec["metrics"],
                            batch_size=spec["batch_size"], verbose=1 if verbose else 0)
    with contextlib.redirect_stdout(sys.stderr):
        figures = quality(model, seed=seed)
    return {"features": spec["features"], "reference_split": split, **figures}


def callback(model, spec, data, seed):
    """The ``kgen.callbacks.SampleQuality`` that scores ``model`` every
    ``spec["every"]`` epochs during ``kgen train`` (the FID learning curve), or
    ``None`` when ``spec`` is ``None`` or its ``every`` is ``None``.

    Raises:
        ValueError: as ``evaluate``.
    """
    if spec is None or spec["every"] is None:
        return None
    from kgen.callbacks import SampleQuality

    _, extractor, reference = _reference(model, spec, data, seed)
    return SampleQuality(extractor, reference, num_samples=spec["num_samples"],
                         every=spec["every"], metrics=spec["metrics"], seed=seed,
                         batch_size=spec["batch_size"])


def _reference(model, spec, data, seed):
    """``(split, extractor, reference dataset)`` of ``spec`` for ``model``."""
    import kgen.features
    from kgen.cli import datasets

    split = spec["reference_split"] or data.get("eval_split")
    if split is None:
        raise ValueError("`evaluate.sample_metrics.reference_split` must name the split "
                         "to compare samples with (data.eval_split is null). Received: null")
    if model.data_range is None:
        raise ValueError(f"`model` must declare the pixel range of its samples "
                         f"(data_range) for sample metrics. Received: {type(model).__name__} "
                         f"with data_range=None")
    reference = datasets.load_split({**data, "labels": False, "reference": split},
                                    "reference", seed, batch_size=spec["batch_size"])
    extractor = kgen.features.get_extractor(spec["features"], data_range=model.data_range)
    return split, extractor, reference
