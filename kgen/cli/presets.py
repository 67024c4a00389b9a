"""Training presets: the YAML files of ``kgen/configs/``, their schema and overrides.

A preset is a flat, readable YAML file with five sections; keys left out
take the defaults of ``DEFAULTS``::

    model: vae                   # a name of kgen.models.available()
    description: "..."           # one line for `kgen list`
    seed: 0                      # seeds Keras, the data order and the model
    data:
      name: binarized_mnist      # a name of kgen.data.available()
      train_split: train
      validation_split: validation   # or null: fit validation, best checkpoint
      eval_split: test           # or null: final metrics and the test NLL
      batch_size: 100
      preprocess: null           # or a step of kgen.data.steps, or a list of them:
                                 # dynamic_binarize, dequantize, logit, scale,
                                 # levels, flatten
      labels: false              # true: batches are (images, labels) (conditional models)
    model_args:                  # keyword arguments of the model class
      latent_dim: 50
      encoder: {type: mlp, hidden_units: [200, 200], activation: tanh}
      decoder: {type: mlp, hidden_units: [200, 200], activation: tanh}
      likelihood: bernoulli
      posterior: {type: gaussian}    # or {type: iaf, num_flows: 2, hidden_units: [...]}
    train:
      epochs: 100
      optimizer: adam            # any keras.optimizers name
      learning_rate: 1.0e-3      # write 1.0e-3: YAML 1.1 reads 1e-3 as a string
      optimizer_args: {}         # more optimizer keyword arguments
      player_optimizers: null    # models with players (GANs): per-player overrides of
                                 # optimizer / learning_rate / optimizer_args, e.g.
                                 # {discriminator: {learning_rate: 4.0e-4}}
      learning_rate_schedule: null   # or burda: Burda et al.'s stepwise decay from
                                 # learning_rate, compressed to train.epochs (a
                                 # max_minutes stop can end it before its last stages)
      reduce_lr_on_plateau: null # or {factor: 0.5, patience: 8, min_lr: 1.0e-5}
      max_minutes: null          # stop after this wall time (kgen.callbacks.TimeLimit)
      restore_best: false        # keep the weights of the best validation epoch
      kl_warmup_epochs: 0        # kgen.callbacks.KLWarmup; 0 = none
      jit_compile: false         # XLA
      steps_per_execution: 1     # batches per call of the compiled step (speed)
      strategy: null             # or a kind of kgen.distribute.strategy: auto, cpu,
                                 # mirrored, tpu (multiworker: from Python)
      sample_every: 1            # epochs between sample grids
    evaluate:
      num_samples: 5000          # importance samples of the test NLL, or null
      batch_size: 100            # or null: data.batch_size
      log_partition: null        # models with an energy (RBMs): how log Z is estimated
                                 # before the test NLL, e.g. {method: ais, num_betas:
                                 # 1000, num_runs: 100}; the model class checks it and
                                 # uses it (kgen.cli.model_hooks)
      sample_metrics: null       # or {metrics: [fid, kid], num_samples: 10000, features:
                                 # fashion_mnist, reference_split: test, every: null}:
                                 # FID etc. of samples (kgen.cli.sample_metrics), for
                                 # implicit models; every: N also scores every N epochs

``resolve`` fills the defaults, applies ``--set key=value`` overrides and the
``--epochs`` / ``--batch-size`` / ``--seed`` flags (in that order, so flags win),
and checks every value, raising ``ValueError`` that names the key or flag.
``build_model`` turns a resolved preset into a model.
"""

import copy
import inspect
import pathlib

import yaml

from kgen import checks
from kgen.cli import train_section
from kgen.cli._values import int_value, integer

CONFIG_DIR = pathlib.Path(__file__).resolve().parent.parent / "configs"

DEFAULTS = {
    "model": None,
    "description": "",
    "seed": 0,
    "data": {"name": None, "train_split": "train", "validation_split": None,
             "eval_split": None, "batch_size": 100, "preprocess": None, "labels": False},
    "model_args": {},
    "train": {"epochs": 100, "optimizer": "adam", "learning_rate": 1e-3, "optimizer_args": {},
              "learning_rate_schedule": None,
              "kl_warmup_epochs": 0, "jit_compile": False, "steps_per_execution": 1,
              "strategy": None, "sample_every": 1,
              "max_minutes": None, "reduce_lr_on_plateau": None, "restore_best": False,
              "player_optimizers": None},
    "evaluate": {"num_samples": None, "batch_size": None, "sample_metrics": None,
                 "log_partition": None},
}
# Sections whose keys are free-form keyword arguments (checked when used); every
# section below model_args is free-form too (the model class checks it).
_FREE_FORM = ("train.optimizer_args", "train.reduce_lr_on_plateau", "train.player_optimizers",
              "evaluate.sample_metrics", "evaluate.log_partition")


def available():
    """Sorted names of the presets in ``kgen/configs/``."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load_preset(name):
    """Reads preset ``name`` (``kgen/configs/<name>.yaml``) as a dict, unresolved.

    Raises:
        ValueError: if there is no such preset; the message lists them.
    """
    path = CONFIG_DIR / f"{name}.yaml"
    if not isinstance(name, str) or "/" in name or not path.is_file():
        raise ValueError(f"Unknown preset. `--preset` must be one of {available()}. "
                         f"Received: --preset={name!r}")
    with open(path) as f:
        preset = yaml.safe_load(f)
    if not isinstance(preset, dict):
        raise ValueError(f"Preset {name!r} must be a YAML mapping. Received: {preset!r}")
    return preset


def resolve(preset, model=None, overrides=(), epochs=None, batch_size=None, seed=None):
    """Returns the checked, complete config of a preset.

    Args:
        preset: a preset name or a dict (as ``load_preset`` returns).
        model: the model name given on the command line, which must match
            the preset's ``model``; ``None`` skips the comparison.
        overrides: ``["key.path=value", ...]`` of ``--set``; values are read
            as YAML (``[200, 200]``, ``true``, ``1.0e-3``, ``null``).
        epochs, batch_size, seed: the ``--epochs``, ``--batch-size`` and
            ``--seed`` flags, or ``None``.

    Raises:
        ValueError: naming the flag or key of the first invalid value.
    """
    if epochs is not None:
        integer("--epochs", epochs)
    if batch_size is not None:
        integer("--batch-size", batch_size)
    if seed is not None:
        integer("--seed", seed, minimum=0)
    if model is not None:
        import kgen.models

        if model not in kgen.models.available():
            raise ValueError(f"Unknown model. MODEL must be one of {kgen.models.available()}. "
                             f"Received: MODEL={model!r}")
    raw = load_preset(preset) if isinstance(preset, str) else copy.deepcopy(preset)
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"Unknown preset keys {unknown}. Known keys: {sorted(DEFAULTS)}")
    config = _merge(DEFAULTS, raw)
    for item in overrides or ():
        _apply_override(config, item)
    if epochs is not None:
        config["train"]["epochs"] = epochs
    if batch_size is not None:
        config["data"]["batch_size"] = batch_size
    if seed is not None:
        config["seed"] = seed
    _check(config)
    if model is not None and model != config["model"]:
        raise ValueError(f"MODEL must match the preset's `model: {config['model']}`. "
                         f"Received: MODEL={model!r}")
    return config


def _merge(defaults, raw):
    config = copy.deepcopy(defaults)
    for key, value in raw.items():
        if key == "model_args":
            config[key] = copy.deepcopy(value) if value is not None else {}
        elif isinstance(config.get(key), dict):
            if not isinstance(value, dict):
                raise ValueError(f"`{key}` must be a mapping. Received: {key}={value!r}")
            extra = sorted(set(value) - set(config[key]))
            if extra:
                raise ValueError(f"Unknown keys {extra} in `{key}`. "
                                 f"Known keys: {sorted(config[key])}")
            config[key].update(copy.deepcopy(value))
        else:
            config[key] = value
    return config


def _apply_override(config, item):
    """Applies one ``--set key.path=value`` to ``config`` in place."""
    if not isinstance(item, str) or "=" not in item or not item.split("=", 1)[0].strip():
        raise ValueError(f"`--set` must be key=value, e.g. train.epochs=1. Received: --set {item!r}")
    key, text = (s.strip() for s in item.split("=", 1))
    try:
        value = yaml.safe_load(text) if text else None
    except yaml.YAMLError as e:
        raise ValueError(f"`--set {key}` has a value that is not YAML. Received: {text!r}") from e
    parts = key.split(".")
    node = config
    for i, part in enumerate(parts[:-1]):
        child = node.get(part) if isinstance(node, dict) else None
        if child is None and _free_form(".".join(parts[:i + 1])):
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ValueError(f"`--set` key {key!r} does not name a preset setting: "
                             f"{'.'.join(parts[:i + 1])!r} is not a section. Received: --set {item!r}")
        node = child
    section, last = ".".join(parts[:-1]), parts[-1]
    free = _free_form(section)
    if last not in node and not free:
        raise ValueError(f"`--set` key {key!r} does not name a preset setting. Known keys of "
                         f"`{section or 'the preset'}`: {sorted(node)}. Received: --set {item!r}")
    if section == "model_args" and last not in node and config.get("model"):
        _check_model_arg(config["model"], last, item)
    node[last] = value


def _free_form(section):
    """Whether the keys of ``section`` (a dotted path) are free-form."""
    return any(section == f or section.startswith(f + ".") for f in _FREE_FORM + ("model_args",))


def _check_model_arg(model, name, item):
    import kgen.models

    cls = kgen.models.get(model)
    names = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names |= set(inspect.signature(klass.__init__).parameters)
    if name not in names - {"self", "args", "kwargs"}:
        raise ValueError(f"`--set model_args.{name}`: {cls.__name__} has no argument {name!r}. "
                         f"Received: --set {item!r}")


def _check(config):
    """Checks the values of a merged config; errors name the preset key."""
    import kgen.data
    import kgen.models

    checks.one_of("model", config["model"], set(kgen.models.available()))
    int_value(config, "seed", minimum=0)
    if config["seed"] >= 2**32:  # keras.utils.set_random_seed seeds NumPy too
        raise ValueError(
            f"`seed` must be an integer in [0, 2**32). Received: seed={config['seed']}")
    data, train, evaluate = config["data"], config["train"], config["evaluate"]
    checks.one_of("data.name", data["name"], set(kgen.data.available()))
    for key in ("train_split", "validation_split", "eval_split"):
        if data[key] is not None and not isinstance(data[key], str):
            raise ValueError(f"`data.{key}` must be a split name or null. "
                             f"Received: data.{key}={data[key]!r}")
    if data["train_split"] is None:
        raise ValueError("`data.train_split` must be a split name. Received: data.train_split=None")
    int_value(data, "batch_size", "data.")
    from kgen.data import steps

    steps.parse(data["preprocess"])
    if not isinstance(data["labels"], bool):
        raise ValueError(f"`data.labels` must be true or false. "
                         f"Received: data.labels={data['labels']!r}")
    train_section.check(train)
    for key in ("num_samples", "batch_size"):
        if evaluate[key] is not None:
            int_value(evaluate, key, "evaluate.")
    from kgen.cli import sample_metrics

    evaluate["sample_metrics"] = sample_metrics.resolve(evaluate["sample_metrics"], data["name"])
    sample_metrics.check_selection(evaluate["sample_metrics"], data, train)
    from kgen.cli import model_hooks

    config["evaluate"] = model_hooks.check_evaluation(kgen.models.get(config["model"]), evaluate)
    if not isinstance(config["model_args"], dict):
        raise ValueError(f"`model_args` must be a mapping. Received: {config['model_args']!r}")
    if "seed" in config["model_args"]:
        raise ValueError("`model_args.seed` is set by the top-level `seed`. "
                         "Received: model_args.seed")
    return config


def build_model(config, event_shape=None):
    """Builds the model of a resolved preset (not compiled).

    The model class registered under ``config["model"]`` builds itself from
    the preset's ``model_args`` with its ``from_preset(model_args,
    event_shape, seed)`` class method (``kgen.models.GenerativeModel``: the
    keyword arguments of the class; the VAE also builds network and
    posterior specs), seeded with the preset's ``seed``: the CLI knows no
    family.

    Args:
        config: a config from ``resolve``.
        event_shape: the shape of one example; ``None`` reads it from the
            preset's data set.

    Raises:
        ValueError: on invalid model arguments, naming them.
    """
    import kgen.models

    cls = kgen.models.get(config["model"])
    args = copy.deepcopy(config["model_args"])
    if event_shape is None:
        import kgen.data

        data = config["data"]
        event_shape = kgen.data.load(data["name"], data["train_split"]).element_spec.shape
    event_shape = tuple(int(d) for d in args.pop("event_shape", event_shape))
    return cls.from_preset(args, event_shape=event_shape, seed=config["seed"])


def to_yaml(config):
    """The config as YAML text, in the preset's key order."""
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None)
