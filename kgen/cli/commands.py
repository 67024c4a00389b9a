"""``kgen list | sample | evaluate | export``: the commands around ``kgen train``."""

import contextlib
import json
import pathlib
import sys

from kgen import checks
from kgen.cli import presets

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def run_list(args):
    """Prints the registered models, the presets and the data sets."""
    import kgen.data
    import kgen.models
    from kgen.cli import catalog

    lines = catalog.lines(kgen.models.available(), kgen.data.available())
    print("\n".join(lines))
    return lines


def resolve_model_path(path, flag="--model-path"):
    """``path`` itself if it is a ``.keras`` file, ``path/model.keras`` if a run directory.

    Raises:
        ValueError: naming ``flag`` if there is no such model file.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        path = path / "model.keras"
    if path.suffix != ".keras" or not path.is_file():
        raise ValueError(f"`{flag}` must be a .keras file or a `kgen train` output directory "
                         f"holding model.keras. Received: {flag}={path}")
    return path


def load_model(path):
    """Loads a kgen model saved with ``model.save(path)``."""
    import keras

    import kgen  # noqa: F401  (registers kgen's serializable classes)

    return keras.models.load_model(path)


def _labels_argument(text, num_samples):
    """``--labels``: one int for every sample, or a comma-separated list of ``--num-samples``."""
    try:
        labels = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"`--labels` must be an int or comma-separated ints. "
                         f"Received: --labels={text}") from None
    if len(labels) not in (1, num_samples):
        raise ValueError(f"`--labels` must give 1 or --num-samples ({num_samples}) labels. "
                         f"Received: {len(labels)}")
    return labels[0] if len(labels) == 1 else labels


def run_sample(args):
    """Draws ``--num-samples`` samples and writes them as one grid image."""
    from kgen.callbacks import _images

    checks.positive_int("--num-samples", args.num_samples)
    checks.seed("--seed", args.seed)
    output = pathlib.Path(args.output)
    if output.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"`--output` must end in one of {list(IMAGE_SUFFIXES)}. "
                         f"Received: --output={args.output}")
    labels = None if args.labels is None else _labels_argument(args.labels, args.num_samples)
    model = load_model(resolve_model_path(args.model_path))
    from kgen.callbacks.sample_grid import _accepts_keyword, draw_samples

    if args.mean and not _accepts_keyword(model.sample, "mean"):
        raise ValueError(f"`--mean` needs a model whose sample() takes `mean`. "
                         f"Received: {type(model).__name__}")
    images = draw_samples(model, args.num_samples, seed=args.seed, mean=args.mean,
                          labels=labels, sampler=args.sampler)
    grid = _images.tile(images, padding=1)
    _images.save_png(str(output), grid)
    print(f"kgen sample: wrote {args.num_samples} samples to {output}")
    return str(output)


def run_evaluate(args):
    """Estimates the test NLL with ``kgen.metrics.nll``, or for an implicit model (no
    likelihood) the sample metrics of ``kgen.cli.sample_metrics`` against ``--split``;
    prints (and writes) JSON."""
    from kgen.cli import datasets

    if args.num_samples is not None:
        checks.positive_int("--num-samples", args.num_samples)
    checks.positive_int("--batch-size", args.batch_size)
    checks.seed("--seed", args.seed)
    model_path = resolve_model_path(args.model_path)
    data = _run_config_data(model_path)
    name = args.data or data.get("name")
    if name is None:
        raise ValueError("`--data` is needed when --model-path is not a `kgen train` "
                         "output directory. Received: no --data")
    import kgen.data

    if name not in kgen.data.available():
        raise ValueError(f"`--data` must be one of {kgen.data.available()}. Received: --data={name!r}")
    preprocess = _yaml_flag("--preprocess", args.preprocess) if args.preprocess is not None \
        else (data.get("preprocess") if name == data.get("name") else None)
    preprocess = None if preprocess in (None, "none") else preprocess
    from kgen.data import steps

    steps.parse(preprocess, where="--preprocess")
    if args.output is not None and pathlib.Path(args.output).suffix != ".json":
        raise ValueError(f"`--output` must end in .json. Received: --output={args.output}")
    spec_data = {"name": name, "batch_size": args.batch_size, "preprocess": preprocess,
                 "eval_split": args.split}
    try:
        ds = datasets.load_split(spec_data, "eval_split", args.seed)
    except ValueError as e:
        raise ValueError(f"`--split`: {e}") from e
    model = load_model(model_path)
    from kgen.cli import model_hooks  # e.g. an RBM without a log Z estimates it first

    prepared = model_hooks.prepare_loaded(model, model_path, args.seed)
    result = {"model_path": str(model_path), "data": name, "split": args.split,
              "preprocess": preprocess,
              **({"prepare_evaluation": prepared} if prepared is not None else {})}
    from kgen.metrics import likelihood_method

    with contextlib.redirect_stdout(sys.stderr):  # a DBN's or DBM's bound
        bound = model_hooks.bound_nll(model, ds, args.num_samples, args.seed, args.verbose)
    if bound is not None:
        result.update(bound)
    elif likelihood_method(model) is None:  # an implicit model: metrics of its samples
        from kgen.cli import sample_metrics

        spec = _run_config(model_path).get("evaluate", {}).get("sample_metrics")
        spec = sample_metrics.resolve(spec or {}, name)
        spec["reference_split"] = args.split
        if args.num_samples is not None:
            spec["num_samples"] = checks.positive_int("--num-samples", args.num_samples,
                                                      minimum=2)
        result["sample_metrics"] = sample_metrics.evaluate(model, spec, spec_data, args.seed,
                                                           args.verbose)
    else:
        result.update(_nll_with_progress(model, ds, args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.output is not None:
        pathlib.Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.output).write_text(text + "\n")
    return result


def _nll_with_progress(model, ds, args):
    """``kgen.metrics.nll`` with its progress bar on standard error (``--verbose 1``),
    so that standard output holds only the JSON."""
    from kgen.metrics import nll

    with contextlib.redirect_stdout(sys.stderr):
        return nll(model, ds, num_samples=args.num_samples or 5000, seed=args.seed,
                   verbose=args.verbose)


def _yaml_flag(flag, text):
    """A flag's value read as YAML, as ``--set`` values are (``[dequantize, scale]``)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"`{flag}` must be a step name or a YAML list of steps. "
                         f"Received: {flag}={text!r}") from e


def _run_config(model_path):
    """The ``config.yaml`` beside a model (a ``kgen train`` run), or ``{}``."""
    import yaml

    config_path = model_path.parent / "config.yaml"
    if not config_path.is_file():
        return {}
    return yaml.safe_load(config_path.read_text()) or {}


def _run_config_data(model_path):
    """The ``data`` section of the ``config.yaml`` beside a model, or ``{}``."""
    return _run_config(model_path).get("data") or {}


def next_version(model_dir):
    """The next free version of a TF Serving model directory: one more than the
    largest numeric subdirectory, 1 if there is none."""
    model_dir = pathlib.Path(model_dir)
    versions = [int(p.name) for p in model_dir.iterdir()
                if p.is_dir() and p.name.isdigit()] if model_dir.is_dir() else []
    return max(versions, default=0) + 1


def run_export(args):
    """Exports a trained model as a TF Serving SavedModel with ``kgen.export.saved_model``."""
    if args.version is not None:
        checks.positive_int("--version", args.version)
    if not args.name or "/" in args.name or "\\" in args.name:
        raise ValueError(f"`--name` must be a directory name. Received: --name={args.name!r}")
    model_path = resolve_model_path(args.model_path)
    try:
        from kgen.export import saved_model
    except ImportError as e:
        raise ValueError(f"`kgen export` needs kgen.export.saved_model, which failed to "
                         f"import: {e}") from e
    if args.version is None:
        args.version = next_version(pathlib.Path(args.base_dir) / args.name)
    target = pathlib.Path(args.base_dir) / args.name / str(args.version)
    if target.exists() and not args.overwrite:
        raise ValueError(f"`--version` {args.version} of {args.name!r} already exists in "
                         f"{args.base_dir}; pass --overwrite or a new --version. "
                         f"Received: --version={args.version}")
    model = load_model(model_path)
    path = saved_model(model, args.base_dir, args.name, version=args.version,
                       overwrite=args.overwrite)
    print(f"kgen export: wrote {path}")
    return str(path)
