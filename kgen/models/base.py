"""The base class of every kgen model: the model contract of DESIGN.md."""

import keras
import numpy as np
import tensorflow as tf

from kgen import checks

# The counter-based generator of every stateless draw, named rather than left to
# TensorFlow's "auto_select": under XLA the two draw the same numbers, yet the
# VAE's XLA train step runs about 1.3x faster with the name given (same-run A/B
# in benchmarks/speed_vae.py). XLA's Philox and the CPU kernel's still draw
# different numbers from one seed: compare XLA and non-XLA runs with
# kgen.testing.ZeroNoise.
RNG_ALG = "philox"
# Where save_own_variables keeps the seed generator's state.
SEED_STATE_KEY = "seed_generator_state"


class GenerativeModel(keras.Model):
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

    ``monitor_metric`` names the metric that best measures the model (its
    bound on log p(x), higher is better; ``None``: the loss), which the CLI
    and the benchmarks use to keep the best weights and cut the learning rate.

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

    # The metric that ranks checkpoints and drives learning-rate plateaus: the
    # model's bound on log p(x) in nats (higher is better), e.g. "elbo",
    # "iwae_bound", "log_prob"; ``None`` means the loss (lower is better).
    monitor_metric = None

    def __init__(self, event_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._event_shape = checks.event_shape("event_shape", event_shape)
        self._seed = checks.seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self._seed)

    @property
    def event_shape(self):
        """The shape of one example, a tuple of ints."""
        return self._event_shape

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
        if isinstance(x, tf.data.Dataset) and len(args) < 7:
            # Keras ignores `shuffle` for a Dataset (it is shuffled by its
            # pipeline) yet warns about its own default True on every fit.
            kwargs.setdefault("shuffle", False)
        if isinstance(validation, (tuple, list)):
            validation = validation[0]
        self.validate_data(validation, name="validation_data")
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
