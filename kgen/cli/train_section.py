"""Checks of a preset's ``train`` section (see ``kgen.cli.presets`` for its keys)."""

from kgen import checks
from kgen.cli._values import int_value, positive_float

# kgen.distribute.strategy kinds that one `kgen train` process can run.
CLI_STRATEGIES = ("auto", "cpu", "mirrored", "tpu")
# train.learning_rate_schedule values: a kgen.schedules schedule spanning train.epochs.
SCHEDULES = ("burda",)


def check(train):
    """Checks and converts the values of a merged ``train`` section in place.

    Raises:
        ValueError: naming the first invalid key, e.g. ``train.epochs``.
    """
    int_value(train, "epochs", "train.")
    int_value(train, "kl_warmup_epochs", "train.", minimum=0)
    int_value(train, "sample_every", "train.")
    int_value(train, "steps_per_execution", "train.")
    if train["strategy"] == "multiworker":
        raise ValueError(
            "`train.strategy` cannot be 'multiworker' in `kgen train`: every worker would "
            "write the same run directory. Train from Python with "
            "kgen.distribute.strategy('multiworker') and TF_CONFIG. "
            "Received: train.strategy='multiworker'")
    if train["strategy"] is not None:
        checks.one_of("train.strategy", train["strategy"], CLI_STRATEGIES)
    train["learning_rate"] = positive_float(train["learning_rate"], "train.learning_rate")
    if not isinstance(train["optimizer"], str):
        raise ValueError(f"`train.optimizer` must be an optimizer name. "
                         f"Received: train.optimizer={train['optimizer']!r}")
    if not isinstance(train["optimizer_args"], dict):
        raise ValueError(f"`train.optimizer_args` must be a mapping. "
                         f"Received: train.optimizer_args={train['optimizer_args']!r}")
    if not isinstance(train["jit_compile"], bool):
        raise ValueError(f"`train.jit_compile` must be true or false. "
                         f"Received: train.jit_compile={train['jit_compile']!r}")
    if train["max_minutes"] is not None:
        train["max_minutes"] = positive_float(train["max_minutes"], "train.max_minutes")
    plateau = train["reduce_lr_on_plateau"]
    if plateau is not None:
        train["reduce_lr_on_plateau"] = _check_plateau(plateau)
    _check_schedule(train)
    from kgen.cli.optimizers import check_player_optimizers

    train["player_optimizers"] = check_player_optimizers(train.get("player_optimizers"))
    if not isinstance(train["restore_best"], bool):
        raise ValueError(f"`train.restore_best` must be true or false. "
                         f"Received: train.restore_best={train['restore_best']!r}")


def _check_plateau(plateau):
    """``train.reduce_lr_on_plateau`` with its values converted and checked:
    ``factor`` in (0, 1), ``patience`` an int >= 0, ``min_lr`` a number >= 0."""
    name = "train.reduce_lr_on_plateau"
    if not isinstance(plateau, dict) or not set(plateau) <= {"factor", "patience", "min_lr"}:
        raise ValueError(f"`{name}` must be null or a mapping with keys factor, patience, "
                         f"min_lr. Received: {name}={plateau!r}")
    plateau = dict(plateau)
    if "factor" in plateau:
        factor = positive_float(plateau["factor"], f"{name}.factor")
        if not factor < 1:
            raise ValueError(f"`{name}.factor` must be in (0, 1). "
                             f"Received: {name}.factor={plateau['factor']!r}")
        plateau["factor"] = factor
    if "patience" in plateau:
        int_value(plateau, "patience", f"{name}.", minimum=0)
    if "min_lr" in plateau:
        plateau["min_lr"] = (0.0 if plateau["min_lr"] in (0, "0")
                             else positive_float(plateau["min_lr"], f"{name}.min_lr"))
    return plateau


def _check_schedule(train):
    """``train.learning_rate_schedule``: null or a name of ``SCHEDULES``; a
    schedule sets the learning rate itself, so it excludes the plateau cuts."""
    schedule = train["learning_rate_schedule"]
    if schedule is None:
        return
    checks.one_of("train.learning_rate_schedule", schedule, SCHEDULES)
    if train["reduce_lr_on_plateau"] is not None:
        raise ValueError(
            "`train.learning_rate_schedule` and `train.reduce_lr_on_plateau` both set the "
            "learning rate; set one of them to null. Received: "
            f"train.learning_rate_schedule={schedule!r}, "
            f"train.reduce_lr_on_plateau={train['reduce_lr_on_plateau']!r}")
    from kgen.schedules import BURDA_STAGES

    if train["epochs"] < BURDA_STAGES:
        raise ValueError(
            f"`train.epochs` must be >= {BURDA_STAGES} with train.learning_rate_schedule="
            f"{schedule!r} (one epoch a stage). Received: train.epochs={train['epochs']}")
