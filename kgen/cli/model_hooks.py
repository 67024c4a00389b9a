"""The hooks through which a model prepares its own evaluation, so the CLI names no family.

A model class may declare

- ``check_evaluation(evaluate)`` (a class method): checks the preset's
  ``evaluate`` section (its own keys, e.g. ``evaluate.log_partition``) and
  returns it completed; ``kgen.cli.presets.resolve`` calls it, before anything
  is written;
- ``prepare_evaluation(train_data, settings, seed)``: what must happen before
  the test NLL can be computed (an energy-based model estimates log Z and
  stores it); ``kgen train`` calls it after training, before it saves
  ``model.keras``, and ``kgen evaluate`` when the loaded model has no
  likelihood yet. It returns a dict for ``metrics.json``
  (``prepare_evaluation``);
- ``nll_bound(dataset, num_samples, seed, verbose)``: the test NLL of a model
  whose likelihood is a variational bound with an estimated log Z (a DBN, a
  DBM), which ``kgen.metrics.nll`` does not compute, as a dict of its form;
  ``kgen train`` and ``kgen evaluate`` report it as the NLL (``bound_nll``).
"""

import pathlib
import time


def check_evaluation(cls, evaluate):
    """The ``evaluate`` section as ``cls.check_evaluation(evaluate)`` returns it; a
    model class without the hook takes no ``evaluate.log_partition``.

    Raises:
        ValueError: naming the key, e.g. ``evaluate.log_partition``.
    """
    hook = getattr(cls, "check_evaluation", None)
    if hook is not None:
        return hook(evaluate)
    if evaluate.get("log_partition") is not None:
        raise ValueError(f"`evaluate.log_partition` is for models that estimate a log "
                         f"partition function before evaluation; {cls.__name__} does not. "
                         f"Received: evaluate.log_partition={evaluate['log_partition']!r}")
    return evaluate


def prepare_evaluation(model, train_data, config):
    """Calls ``model.prepare_evaluation(train_data, config["evaluate"], config["seed"])``
    if the model has it; returns its dict, or None."""
    hook = getattr(model, "prepare_evaluation", None)
    if hook is None:
        return None
    return hook(train_data, settings=config.get("evaluate") or {}, seed=config.get("seed", 0))


def bound_nll(model, dataset, num_samples, seed, verbose):
    """``model.nll_bound(dataset, ...)`` if the model has it and a stored log Z, else None."""
    hook = getattr(model, "nll_bound", None)
    if hook is None or not getattr(model, "has_log_prob", False):
        return None
    return hook(dataset, num_samples=num_samples, seed=seed, verbose=verbose)


class Preparation:
    """``prepare_evaluation(model, train_data, config)`` as a call that times itself
    (``seconds``), for ``kgen train`` to keep it out of the training wall time."""

    def __init__(self, model, train_data, config):
        self.model, self.train_data, self.config, self.seconds = model, train_data, config, 0.0

    def __call__(self):
        began = time.time()
        try:
            return prepare_evaluation(self.model, self.train_data, self.config)
        finally:
            self.seconds = time.time() - began


def prepare_loaded(model, model_path, seed):
    """``kgen evaluate``: a loaded model that can prepare its evaluation and has no
    likelihood yet (an RBM saved without log Z) prepares it, with the ``evaluate``
    section and the training split of the ``config.yaml`` beside ``model_path`` (a
    bare ``.keras`` file: the model's defaults, no training data). Returns its dict
    or None.
    """
    import yaml

    from kgen.cli import datasets
    from kgen.metrics import likelihood_method

    if not hasattr(model, "prepare_evaluation") or likelihood_method(model) is not None \
            or getattr(model, "has_log_prob", False):
        return None
    config_path = pathlib.Path(model_path).parent / "config.yaml"
    run_config = (yaml.safe_load(config_path.read_text()) or {}) if config_path.is_file() else {}
    evaluate = check_evaluation(type(model), run_config.get("evaluate") or {})
    data = run_config.get("data") or {}
    train = (datasets.load_split({"batch_size": 1000, **data}, "train_split", seed)
             if data.get("name") and data.get("train_split") else None)
    return prepare_evaluation(model, train, {"evaluate": evaluate, "seed": seed})
