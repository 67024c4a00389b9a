"""The base class of every kgen model: the model contract of DESIGN.md."""

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.models import _optimizers, _updates

# The counter-based generator of every stateless draw, named rather than left to
# TensorFlow's "auto_select": under XLA the two draw the same numbers, yet the
# VAE's XLA train step runs about 1.3x faster with the name given (same-run A/B
# in benchmarks/speed_vae.py). XLA's Philox and the CPU kernel's still draw
# different numbers from one seed: compare XLA and non-XLA runs with
# kgen.testing.ZeroNoise.
RNG_ALG = "philox"
# Where save_own_variables keeps the seed generator's state.
SEED_STATE_KEY = "seed_generator_state"


class GenerativeModel(_optimizers.PlayersMixin, keras.Model):
    """Base class of kgen's generative models.

    A subclass implements what its family can honestly offer:

    | method | who | returns |
    | --- | --- | --- |
    | ``sample(num_samples, seed=None, **condition)`` | all | ``[num_samples, *event_shape]`` |
    | ``log_prob(x)`` | exact-likelihood models | ``[batch]``, nats |
    | ``elbo(x)``, ``iwae_bound(x, num_samples)`` | latent-variable models | ``[batch]``, nats |
    | ``encode(x)`` / ``decode(z)`` | VAE, ALI/BiGAN, flows | latent / data |
    | ``serving_signatures()`` | all | name -> ``tf.function`` with input signature |

    ``train_step`` averages per-example losses over the *global* batch with
    ``tf.nn.compute_average_loss``, so it is correct under any
    ``tf.distribute`` strategy, and reports metrics through
    ``keras.metrics.Mean`` trackers listed in ``metrics``.

    Randomness goes through ``self.seed_generator`` (a
    ``keras.random.SeedGenerator`` built from ``seed``); methods that take a
    ``seed=`` argument are reproducible when it is an integer. The
    generator's state (its seed and position) is saved with the weights
    (``save_weights``, ``.keras``, ``BackupAndRestore``) and restored with
    them, so a resumed ``fit`` draws the model's noise (``standard_normal``,
    ``uniform``) as an uninterrupted one would; loading weights thus also
    replaces the loading model's seed. Not saved: seed generators of
    sub-layers (a ``Dropout`` in a user's encoder) and a ``tf.data`` shuffle's
    state, so with those a resumed run is not bit-exact.

    **The training scaffold.** A model with one loss writes only
    ``compute_terms(batch, training)``: a dict of per-example ``[batch]``
    tensors in nats holding the ``loss`` to minimise and every metric named in
    the class attribute ``metric_names``. The base's ``train_step`` averages
    ``loss`` over the global batch (plus any regularization losses), applies
    the gradient with ``model.optimizer`` and updates one
    ``keras.metrics.Mean`` tracker per name; ``test_step`` reports the same
    terms. ``unpack_batch`` turns a batch of ``fit``'s data into what
    ``compute_terms`` takes (default: the images of ``x``, ``(x,)`` or
    ``(x, y)``, as float32; conditional models return ``(x, y)``).

    **Several players.** A model whose objective is a game names its players
    in the class attribute ``players`` (e.g. ``("generator",
    "discriminator")``), returns their variables from
    ``player_variables(player)`` (default: ``getattr(self,
    player).trainable_variables``), is compiled with one optimizer per player,
    ``compile(optimizer={"generator": ..., "discriminator": ...})``, and
    overrides ``train_step``, updating each player with
    ``minimize(loss, tape, player)``. Each optimizer lives in the attribute
    ``<player>_optimizer``, so ``.keras`` files, ``save_weights`` and
    ``BackupAndRestore`` save and restore all of them; ``model.optimizer`` is
    the first player's. Every optimizer is built in the model's strategy scope
    before ``fit``, and ``fit`` logs each one's learning rate
    (``<player>_learning_rate``; ``learning_rate`` for one optimizer).

    **Training state beyond weights.** State that must survive ``.keras``,
    ``BackupAndRestore`` and a resumed ``fit`` (PCD's persistent chains, a
    generator's EMA weights) is declared with ``add_state``: a non-trainable
    weight, so it is saved and restored wherever weights are, and restored
    with them (``NaNGuard``, best checkpoints). Schedule state that a restore
    must *not* bring back (the VAE's KL warm-up weight) is a plain
    ``tf.Variable`` set by its callback instead (``docs/design_notes.md`` §7).

    ``monitor`` is ``(metric, mode)``: the metric that ranks checkpoints and
    drives learning-rate plateaus, and whether higher (``"max"``) or lower
    (``"min"``) is better, e.g. ``("elbo", "max")``, ``("log_prob", "max")``,
    ``("fid", "min")``; the default is ``("loss", "min")``.

    ``data_range`` is ``(low, high)`` of the data space (``(0, 1)`` for
    binary pixels, ``(-1, 1)`` for a tanh generator) or ``None`` if unknown;
    callbacks use it to draw samples as images.

    ``fit`` checks the first batch of its data with ``validate_inputs``
    before training starts, so bad data fails with a ``ValueError`` naming
    ``x`` before any weight or file is written.

    Args:
        event_shape: tuple of ints, the shape of one example, e.g.
            ``(28, 28, 1)``.
        seed: optional non-negative int seeding the model's random draws.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Raises:
        ValueError / TypeError: if ``event_shape`` or ``seed`` is invalid.
    """

    # Names of the per-example terms of ``compute_terms`` that ``fit`` reports.
    metric_names = ("loss",)
    # (metric, mode) that ranks checkpoints: "max" if higher is better.
    monitor = ("loss", "min")
    # Names of the players of a game, each with its own optimizer; None: one loss.
    players = None

    def __init__(self, event_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._event_shape = checks.event_shape("event_shape", event_shape)
        self._seed = checks.seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self._seed)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in self.metric_names}
        self._state_names = []

    @property
    def event_shape(self):
        """The shape of one example, a tuple of ints."""
        return self._event_shape

    @classmethod
    def from_preset(cls, model_args, event_shape, seed=None):
        """Builds the model from a preset's ``model_args`` (``kgen train``): by default as
        keyword arguments; a model whose arguments are objects (networks) overrides this to
        build them from the preset's specs, so that the CLI names no model.

        Raises:
            ValueError: naming ``model_args`` for an unknown or refused key.
        """
        try:
            return cls(event_shape=event_shape, seed=seed, **model_args)
        except (TypeError, ValueError) as e:
            if isinstance(e, ValueError) and "Unrecognized keyword" not in str(e):  # named
                raise
            raise ValueError(f"`model_args` are not valid for {cls.__name__}: {e}") from e

    @property
    def data_range(self):
        """``(low, high)`` of the data space, or ``None`` if the model does not know it."""
        return None

    # --- the contract --------------------------------------------------------
    def sample(self, num_samples, seed=None, **condition):
        """Draws ``num_samples`` examples, ``[num_samples, *event_shape]``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement sample()")

    def serving_signatures(self):
        """Returns ``{name: tf.function}``, each with an input signature.

        ``kgen.export.saved_model`` writes one SavedModel signature per entry;
        ``serving_default`` must be among them.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement serving_signatures()"
        )

    def validate_inputs(self, x, name="x"):
        """Checks a concrete batch ``x`` and returns it as float32 NumPy.

        Subclasses tighten this (a Bernoulli likelihood wants binary data).

        Raises:
            ValueError: wrong shape or non-finite values.
            TypeError: non-numeric data.
        """
        return checks.data_array(name, x, self.event_shape)

    def checked_inputs(self, x):
        """``x`` as a float32 tensor, checked by ``validate_inputs`` when it is a
        concrete (eager) value; symbolic tensors inside a graph are only cast.

        Public methods that take data (``log_prob``, ``elbo``, ``encode``) call it
        first, so bad data fails with a ``ValueError`` naming ``x``.
        """
        if tf.executing_eagerly() and not isinstance(x, keras.KerasTensor):
            return tf.convert_to_tensor(self.validate_inputs(x))
        return tf.cast(x, tf.float32)

    # --- the training scaffold ------------------------------------------------
    def compute_terms(self, batch, training=None):
        """Per-example terms, each ``[batch]`` in nats: ``loss`` (minimised) and
        every name of ``metric_names``. ``batch`` is ``unpack_batch(data)``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement compute_terms()")

    def unpack_batch(self, data):
        """What ``compute_terms`` takes from one batch of ``fit``'s data: the
        images of ``x``, ``(x,)`` or ``(x, y)``, as float32."""
        if isinstance(data, (tuple, list)):
            data = data[0]
        return tf.cast(data, tf.float32)

    def train_step(self, data):
        batch = self.unpack_batch(data)
        with tf.GradientTape() as tape:
            terms = self.compute_terms(batch, training=True)
            loss = self.total_loss(terms["loss"])
        self.minimize(loss, tape)
        return self.update_metrics(terms)

    def test_step(self, data):
        return self.update_metrics(self.compute_terms(self.unpack_batch(data), training=False))

    def total_loss(self, per_example, include_regularization=True):
        """The scalar to differentiate: the mean of ``per_example`` over the global
        batch plus, if asked, the model's regularization losses (scaled per replica)."""
        loss = self.average_over_global_batch(per_example)
        if include_regularization and self.losses:
            loss += tf.nn.scale_regularization_loss(tf.add_n(self.losses))
        return loss

    def minimize(self, loss, tape, player=None):
        """Applies the gradient of ``loss`` (recorded on ``tape``) to the model's trainable
        variables with ``model.optimizer``, or to ``player``'s with its own optimizer,
        after ``loss`` is computed (``_updates.apply_after_loss``)."""
        if player is None:
            variables, optimizer = self.trainable_variables, self.optimizer
        else:
            variables, optimizer = self.player_variables(player), self.player_optimizer(player)
        _updates.apply_after_loss(optimizer, loss, tape.gradient(loss, variables), variables)

    def update_metrics(self, terms):
        """Feeds ``terms[name]`` to each tracker; returns ``{name: running mean}``."""
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    @property
    def metrics(self):
        return list(self.trackers.values())

    # --- training state ----------------------------------------------------------
    def add_state(self, name, shape, dtype="float32", initializer="zeros",
                  aggregation="only_first_replica"):
        """Declares training state that must survive saving and resuming.

        The state is a non-trainable weight, so ``.keras`` files,
        ``save_weights``, ``BackupAndRestore``, ``NaNGuard`` and best-weight
        checkpoints save and restore it with the weights it belongs to.
        Update it in ``train_step`` with ``state.assign(...)``. Under a
        ``tf.distribute`` strategy it is mirrored; with the default
        ``aggregation="only_first_replica"`` every replica must compute the
        same value (true of an EMA of all-reduced weights).

        Args:
            name: str, unique among the model's states.
            shape: tuple of ints.
            dtype: the variable's dtype.
            initializer: a Keras initializer or its name.
            aggregation: how a strategy combines replicas' assignments.

        Returns:
            The ``keras.Variable``.

        Raises:
            ValueError: naming ``name`` if it is already a state of the model.
        """
        if not isinstance(name, str) or not name or name in self._state_names:
            raise ValueError(f"`name` must be a new state name; {type(self).__name__} has "
                             f"{self._state_names}. Received: name={name!r}")
        variable = self.add_weight(shape=shape, dtype=dtype, initializer=initializer,
                                   trainable=False, name=name, aggregation=aggregation)
        self._state_names.append(name)
        return variable

    @property
    def state_names(self):
        """Names of the states declared with ``add_state``, in order."""
        return tuple(self._state_names)

    # --- helpers for subclasses ----------------------------------------------
    def standard_normal(self, shape, seed=None):
        """Standard normal noise of ``shape`` (float32).

        Draws from ``self.seed_generator`` (replica-aware, see ``_draw_seed``)
        unless ``seed`` (an int or a scalar integer tensor) is given, in which
        case the draw is a pure function of the seed. This is the model's
        only source of Gaussian noise, which lets tests fix it.
        """
        return tf.random.stateless_normal(shape, seed=self._draw_seed(seed), alg=RNG_ALG)

    def uniform(self, shape, seed=None):
        """Uniform [0, 1) noise of ``shape``, seeded as ``standard_normal``."""
        return tf.random.stateless_uniform(shape, seed=self._draw_seed(seed), alg=RNG_ALG)

    def _draw_seed(self, seed):
        """The ``[2]`` seed of one stateless draw.

        With ``seed=None`` it advances ``self.seed_generator``; under a
        ``tf.distribute`` strategy the replica id is folded in, so replicas
        (and workers) draw different noise from one shared generator state.
        """
        if seed is not None:
            return _stateless_seed(seed)
        seed = tf.cast(self.seed_generator.next(), tf.int64)
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            seed = tf.random.experimental.stateless_fold_in(
                seed, context.replica_id_in_sync_group)
        return seed

    @staticmethod
    def average_over_global_batch(per_example):
        """Mean of a ``[batch]`` tensor over the global batch of all replicas."""
        return tf.nn.compute_average_loss(per_example)

    def build_from_event_shape(self):
        """Builds every weight by running one example through the model."""
        self(tf.zeros((1,) + self.event_shape))

    # --- fit with an upfront check of the data --------------------------------
    def fit(self, x=None, y=None, *args, **kwargs):
        self.validate_data(x)
        # keras.Model.fit(x, y, batch_size, epochs, verbose, callbacks,
        # validation_split, validation_data, shuffle, ...)
        validation = args[5] if len(args) > 5 else kwargs.get("validation_data")
        if len(args) > 3:
            args = args[:3] + (_optimizers.with_learning_rates(args[3]),) + args[4:]
        else:
            kwargs["callbacks"] = _optimizers.with_learning_rates(kwargs.get("callbacks"))
        if isinstance(x, tf.data.Dataset) and len(args) < 7:
            # Keras ignores `shuffle` for a Dataset (it is shuffled by its
            # pipeline) yet warns about its own default True on every fit.
            kwargs.setdefault("shuffle", False)
        if isinstance(validation, (tuple, list)):
            validation = validation[0]
        self.validate_data(validation, name="validation_data")
        if self.built:
            self.build_optimizers()
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self.validate_data(x)
        return super().evaluate(x, y, *args, **kwargs)

    def validate_data(self, x, name="x"):
        """Checks the first batch of ``x`` (a ``tf.data.Dataset``, array or
        tensor; ``None`` passes) with ``validate_inputs``.

        Raises:
            ValueError / TypeError: naming ``name``, on bad data.
        """
        if x is None:
            return
        if isinstance(x, tf.data.Dataset):
            for batch in x.take(1):
                if isinstance(batch, (tuple, list)):
                    batch = batch[0]
                if isinstance(batch, dict):
                    raise TypeError(
                        f"`{name}` must yield image tensors, not dicts. Received a dataset "
                        f"of dicts with keys {sorted(batch)}; map it to the images first."
                    )
                self.validate_inputs(batch.numpy() if hasattr(batch, "numpy") else batch,
                                     name=name)
        elif isinstance(x, (np.ndarray, tf.Tensor, list)):
            self.validate_inputs(x, name=name)

    # --- the noise stream's position is part of the saved state ---------------
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store[SEED_STATE_KEY] = keras.ops.convert_to_numpy(self.seed_generator.state)

    def load_own_variables(self, store):
        # Files written before the position was saved lack the key: the
        # generator then stays where it is.
        keys = list(store.keys())
        if SEED_STATE_KEY not in keys:
            return super().load_own_variables(store)
        super().load_own_variables({k: store[k] for k in keys if k != SEED_STATE_KEY})
        # Only after the weights loaded: a failed load leaves the generator alone.
        self.seed_generator.state.assign(np.asarray(store[SEED_STATE_KEY]))

    def get_config(self):
        config = super().get_config()
        config.update({"event_shape": list(self.event_shape), "seed": self._seed})
        return config


def _stateless_seed(seed):
    """An int, a scalar int tensor or a ``[2]`` seed -> the ``[2]`` int64 seed
    of stateless ops."""
    seed = tf.cast(seed, tf.int64)
    if seed.shape.rank == 1:
        return seed
    return tf.stack([seed, tf.zeros_like(seed)])


def sub_seed(seed, index):
    """The ``index``-th seed derived from ``seed`` (``None`` stays ``None``), by
    ``tf.random.experimental.stateless_fold_in``, a hash of both: unlike
    ``seed + index``, another call's seed is not a nearby integer, so
    collisions are as unlikely as for independent random seeds."""
    if seed is None:
        return None
    return tf.random.experimental.stateless_fold_in(_stateless_seed(seed), index)
