"""The optimizers of a preset's ``train`` section: one, or one per player.

A one-loss model takes ``train.optimizer`` / ``train.learning_rate`` /
``train.optimizer_args`` (and ``train.learning_rate_schedule``). A model with
players (``model.players``, e.g. a GAN's generator and discriminator) gets one
optimizer each, built from those same keys unless ``train.player_optimizers``
overrides them per player::

    train:
      optimizer: adam
      learning_rate: 2.0e-4
      optimizer_args: {beta_1: 0.5}
      player_optimizers:
        discriminator: {learning_rate: 4.0e-4}   # TTUR (Heusel et al. 2017)
"""

import keras

PLAYER_KEYS = ("optimizer", "learning_rate", "optimizer_args")


def check_player_optimizers(value):
    """Checks ``train.player_optimizers``: null, or ``{player: {key: value}}`` with
    keys of ``PLAYER_KEYS``. Raises ``ValueError`` naming the key."""
    name = "train.player_optimizers"
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError(f"`{name}` must be null or a mapping of player names to mappings "
                         f"with keys {list(PLAYER_KEYS)}. Received: {name}={value!r}")
    for player, spec in value.items():
        extra = sorted(set(spec) - set(PLAYER_KEYS))
        if extra:
            raise ValueError(f"Unknown keys {extra} in `{name}.{player}`. Known keys: "
                             f"{list(PLAYER_KEYS)}. Received: {name}.{player}={spec!r}")
    return value


def for_model(train, steps_per_epoch, model):
    """The ``optimizer`` argument of ``model.compile`` for a resolved ``train`` section.

    Returns:
        A Keras optimizer, or ``{player: optimizer}`` for a model with players.

    Raises:
        ValueError: naming ``train.player_optimizers`` if it names a player the
            model does not have or is given to a one-loss model, or naming
            ``train.optimizer`` / ``train.optimizer_args`` as ``make_optimizer``.
    """
    players = getattr(model, "players", None)
    overrides = train.get("player_optimizers") or {}
    if players is None:
        if overrides:
            raise ValueError(f"`train.player_optimizers` is for models with players; "
                             f"{type(model).__name__} has one loss. Received: "
                             f"train.player_optimizers={overrides!r}")
        return make_optimizer(train, steps_per_epoch)
    unknown = sorted(set(overrides) - set(players))
    if unknown:
        raise ValueError(f"`train.player_optimizers` names players {unknown} that "
                         f"{type(model).__name__} does not have; its players are "
                         f"{list(players)}. Received: train.player_optimizers={overrides!r}")
    return {p: make_optimizer({**train, **overrides.get(p, {})}, steps_per_epoch,
                              where=f"train.player_optimizers.{p}" if p in overrides else "train")
            for p in players}


def make_optimizer(train, steps_per_epoch=None, where="train"):
    """A Keras optimizer from a preset's ``train`` section.

    With ``train.learning_rate_schedule: burda`` the learning rate is
    ``kgen.schedules.burda_learning_rate`` from ``train.learning_rate`` over
    ``train.epochs`` epochs of ``steps_per_epoch`` steps.

    Raises:
        ValueError: naming ``train.optimizer``, ``train.optimizer_args`` or,
            if ``steps_per_epoch`` is unknown, ``train.learning_rate_schedule``.
    """
    learning_rate = train["learning_rate"]
    if train["learning_rate_schedule"] == "burda":
        if steps_per_epoch is None:
            raise ValueError("`train.learning_rate_schedule` needs the number of batches per "
                             "epoch, and the training data does not know it. Received: "
                             "train.learning_rate_schedule='burda'")
        from kgen.schedules import burda_learning_rate

        learning_rate = burda_learning_rate(steps_per_epoch, epochs=train["epochs"],
                                            initial_learning_rate=learning_rate)
    try:
        prototype = keras.optimizers.get(train["optimizer"])
    except ValueError as e:
        raise ValueError(f"`{where}.optimizer` must be a Keras optimizer name such as 'adam'. "
                         f"Received: {where}.optimizer={train['optimizer']!r}") from e
    try:
        return type(prototype)(learning_rate=learning_rate, **train["optimizer_args"])
    except (TypeError, ValueError) as e:
        raise ValueError(f"`{where}.optimizer_args` are not valid for "
                         f"{type(prototype).__name__}: {e}. Received: "
                         f"{where}.optimizer_args={train['optimizer_args']!r}") from e
