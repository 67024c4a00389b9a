"""One optimizer per player: the ``compile(optimizer={...})`` plumbing of ``GenerativeModel``.

A model with several players (a GAN's generator and discriminator, an ALI encoder) names
them in its class attribute ``players``. ``compile`` then takes one optimizer per player,
as a dict keyed by the player names, and the model keeps each under the attribute
``<player>_optimizer``:

- Keras's saving walks a model's attributes, so every player's optimizer is saved and
  restored by ``.keras`` files, ``save_weights`` and ``BackupAndRestore`` under its own
  name (``discriminator_optimizer/...``), in the same place whatever the player order.
- ``model.optimizer`` is the first player's optimizer: the one Keras's own callbacks
  (``ReduceLROnPlateau``, ``LearningRateScheduler``) and its TensorBoard
  ``learning_rate`` act on.
- Each optimizer is built for its player's variables in the model's strategy scope before
  ``fit`` (Keras builds only ``model.optimizer``; a second one left unbuilt fails under
  ``MirroredStrategy``, Keras issue 23085).
"""

import keras

from kgen.distribute import build_optimizer


def attribute(player):
    """The model attribute that holds ``player``'s optimizer."""
    return f"{player}_optimizer"


def check_players(players, optimizer):
    """Returns ``{player: keras optimizer}`` from ``compile``'s ``optimizer`` argument.

    Raises:
        ValueError: if ``optimizer`` is not a dict whose keys are exactly ``players``.
        TypeError: if a value is not an optimizer (or an optimizer name / config).
    """
    if not isinstance(optimizer, dict):
        raise ValueError(
            f"`optimizer` must be a dict with one optimizer per player {list(players)}, e.g. "
            f"optimizer={{{', '.join(repr(p) + ': keras.optimizers.Adam(2e-4)' for p in players)}"
            f"}}. Received: optimizer={optimizer!r}")
    missing = [p for p in players if p not in optimizer]
    extra = sorted(set(optimizer) - set(players))
    if missing or extra:
        raise ValueError(
            f"`optimizer` must have one optimizer for each player {list(players)}. Received: "
            f"optimizer with keys {sorted(optimizer)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (unknown {extra})" if extra else ""))
    result = {}
    for player in players:
        value = optimizer[player]
        try:
            value = keras.optimizers.get(value)
        except (TypeError, ValueError) as e:
            raise TypeError(f"`optimizer[{player!r}]` must be a keras.optimizers.Optimizer or "
                            f"its name. Received: {value!r}") from e
        result[player] = value
    if len({id(o) for o in result.values()}) < len(result):
        raise ValueError("`optimizer` must give each player its own optimizer instance (one "
                         "optimizer's moments cannot serve two sets of variables). Received: "
                         "the same optimizer for several players")
    return result


def build_all(model):
    """Builds every player's optimizer for its variables, in the model's strategy scope."""
    strategy = model.distribute_strategy
    for player in model.players:
        optimizer = getattr(model, attribute(player))
        if not optimizer.built:
            build_optimizer(optimizer, model.player_variables(player), strategy)


class PlayersMixin:
    """The methods of ``GenerativeModel`` that handle players and their optimizers
    (kept here so that ``kgen/models/base.py`` stays readable)."""

    def player_variables(self, player):
        """The trainable variables of ``player``: by default those of the
        attribute of that name (``self.generator`` for ``"generator"``)."""
        return getattr(self, player).trainable_variables

    def player_optimizer(self, player):
        """The optimizer ``compile`` gave ``player``."""
        return getattr(self, attribute(player))

    def optimizers_by_name(self):
        """``{player: optimizer}`` (``{None: optimizer}`` for a one-loss model)."""
        if self.players is None:
            return {None: self.optimizer} if getattr(self, "optimizer", None) else {}
        if getattr(self, "optimizer", None) is None:
            return {}
        return {p: self.player_optimizer(p) for p in self.players}

    def compile(self, optimizer="rmsprop", **kwargs):
        """As ``keras.Model.compile``; a model with ``players`` takes
        ``optimizer={player: optimizer, ...}``, one for each player.

        Raises:
            ValueError: naming ``optimizer`` if a player's optimizer is missing
                or unknown, or a dict is given to a one-loss model.
        """
        if self.players is None:
            if isinstance(optimizer, dict):
                raise ValueError(f"`optimizer` must be one optimizer: {type(self).__name__} "
                                 f"has one loss, no players. Received: optimizer={optimizer!r}")
            return super().compile(optimizer=optimizer, **kwargs)
        by_player = check_players(self.players, optimizer)
        super().compile(optimizer=by_player[self.players[0]], **kwargs)
        for player, value in by_player.items():
            setattr(self, attribute(player), value)
        if self.built:
            build_all(self)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config and self.players is not None and self.compiled:  # not: an uncompiled model
            config["optimizer"] = {p: keras.saving.serialize_keras_object(o)
                                   for p, o in self.optimizers_by_name().items()}
        return config

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.build_optimizers()

    def build_optimizers(self):
        """Builds every optimizer for its variables in the model's strategy scope
        (``fit`` calls it; call it before loading optimizer state by hand)."""
        if getattr(self, "optimizer", None) is None:
            return  # not compiled
        if self.players is not None:
            build_all(self)
        elif not self.optimizer.built:
            with self.distribute_strategy.scope():
                self.optimizer.build(self.trainable_variables)


class LearningRates(keras.callbacks.Callback):
    """Adds each optimizer's learning rate to the epoch logs (CSV, TensorBoard, history):
    ``learning_rate`` for a one-optimizer model, ``<player>_learning_rate`` for each
    player. ``GenerativeModel.fit`` puts it first, so later callbacks see the values."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name, optimizer in self.model.optimizers_by_name().items():
            rate = optimizer.learning_rate  # a schedule's current value
            key = "learning_rate" if name is None else f"{name}_learning_rate"
            logs[key] = float(rate.numpy() if hasattr(rate, "numpy") else rate)


def with_learning_rates(callbacks):
    """``callbacks`` with ``LearningRates`` first (once): ``GenerativeModel.fit``'s list."""
    callbacks = list(callbacks or [])
    if not any(isinstance(c, LearningRates) for c in callbacks):
        callbacks.insert(0, LearningRates())
    return callbacks
