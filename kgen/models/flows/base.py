"""The base of kgen's normalizing flows: a TFP bijector chain of kgen Keras 3 layers."""

import math
import numbers

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.bijectors import preprocessing
from kgen.bijectors.flow_bijector import forward_and_log_det, inverse_and_log_det
from kgen.models.base import GenerativeModel

tfb, tfd = tfp.bijectors, tfp.distributions
_LOG_2PI = math.log(2.0 * math.pi)
# Examples of an array given to fit that ActNorm's data-dependent init sees.
INIT_EXAMPLES = 512


class FlowModel(GenerativeModel):
    """Base class of normalizing flows: exact log-likelihood by change of variables.

    A flow maps data ``x`` to a latent ``z = f(x)`` with a standard normal
    base density, so (Rezende & Mohamed 2015, arXiv:1505.05770, eq. 1-2)

        log p(x) = log N(f(x); 0, I) + log|det df/dx|      (nats)

    The transform is ``bijector(context)``: a ``tfb.Chain`` whose ``forward``
    maps latent to data (sampling, ``decode``) and whose ``inverse`` maps data
    to latent (density, ``encode``). Its parts, data side first, are the
    preprocessing bijectors (``kgen.bijectors.preprocessing``) and one
    ``FlowBijector`` (or TFP bijector) per step of ``flow_layers``; the steps
    are kgen Keras layers that own every variable. The chain is built anew in
    every call and walked in one pass per step (``inverse_and_log_det``), so
    no bijector and no TFP cache entry outlives the tape it is used under.

    **Images.** With ``num_levels`` (256 for 8-bit), data are integer levels
    ``0..L-1``; ``log_prob`` adds uniform noise ``u ~ U[0, 1)`` from the
    model's ``uniform`` and returns the density of ``v = x + u``, a lower
    bound on log P(x) (Theis et al. 2016, arXiv:1511.01844); the chain's
    ``dequantization`` step contributes ``-D log L``. With ``logit_alpha``
    (RealNVP's 0.05) the chain's ``logit_transform`` follows and contributes
    its log-det. ``bits_per_dim`` is ``-log p(v) / (D ln 2)``: both Jacobians
    included, as the papers report it. ``decode`` and ``sample`` return
    ``floor(v)`` clipped to the levels.

    **Training.** ``compute_terms`` gives ``loss = -log p(x)`` and
    ``log_prob``; ``monitor`` is ``("log_prob", "max")``. If a step can
    initialize from data (ActNorm) and ``data_init`` is set, the first ``fit``
    of a model not yet ``initialized`` runs ``initialize_from_data`` on its
    first batch.

    **Conditional flows** (``context_units``) take ``context`` ``[batch,
    context_units]`` (or one ``[context_units]`` row for every example) in
    ``log_prob``, ``encode``, ``decode`` and ``sample``, and batches ``(x,
    context)`` in ``fit``.

    Args:
        event_shape: tuple of ints, the shape of one example.
        num_levels: optional int >= 2: dequantize integer levels ``0..L-1``.
        logit_alpha: optional float in (0, 0.5): the logit transform (data in
            ``[0, 1]``, or levels scaled by ``1 / L``).
        context_units: optional int >= 1, the size of a context.
        data_init: bool, whether the first ``fit`` initializes from data.
        seed: optional int >= 0 seeding weights and every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Raises:
        ValueError / TypeError: naming the argument on a bad value.
    """

    metric_names = ("loss", "log_prob")
    monitor = ("log_prob", "max")

    def __init__(self, event_shape, num_levels=None, logit_alpha=None, context_units=None,
                 data_init=True, seed=None, **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.num_levels = (None if num_levels is None
                           else checks.positive_int("num_levels", num_levels, minimum=2))
        if logit_alpha is not None and (
                isinstance(logit_alpha, bool) or not isinstance(logit_alpha, numbers.Real)
                or not 0.0 < logit_alpha < 0.5):
            raise ValueError(f"`logit_alpha` must be None or a number in (0, 0.5). "
                             f"Received: logit_alpha={logit_alpha!r}")
        self.logit_alpha = None if logit_alpha is None else float(logit_alpha)
        self.context_units = (None if context_units is None
                              else checks.positive_int("context_units", context_units))
        if not isinstance(data_init, bool):
            raise TypeError(f"`data_init` must be True or False. Received: data_init={data_init!r}")
        self.data_init = data_init
        self.num_dims = math.prod(self.event_shape)
        self.event_ndims = len(self.event_shape)

    def set_flow_layers(self, layers):
        """Sets the steps (data side first), checks the event shape through them and
        builds every weight. Subclasses call it at the end of ``__init__``.

        Raises:
            ValueError: naming ``num_flows`` if there are no steps, or
                ``event_shape`` if a step refuses it (e.g. odd sizes to squeeze).
        """
        if not layers:
            raise ValueError("`num_flows` must give at least one flow step. Received: 0 steps")
        self.flow_layers = list(layers)
        shape = self.event_shape
        for layer in self.flow_layers:
            shape = layer.inverse_event_shape(shape)
        self.latent_shape = tuple(shape)
        self.initialized = self.add_state("initialized", ())
        context = (None if self.context_units is None
                   else tf.zeros((1, self.context_units)))
        self._log_prob(tf.zeros((1,) + self.event_shape), context, seed=0)
        self.built = True

    # --- the transform -----------------------------------------------------------
    def preprocessing_bijectors(self):
        """The data-side bijectors: dequantization scale, then the logit transform."""
        parts = []
        if self.num_levels is not None:
            parts.append(preprocessing.dequantization(self.num_levels, self.event_ndims))
        if self.logit_alpha is not None:
            parts.append(preprocessing.logit_transform(self.logit_alpha, self.event_ndims))
        return parts

    def bijector(self, context=None):
        """The whole transform as a ``tfb.Chain``: ``forward`` latent -> data
        (dequantized data ``v`` when ``num_levels``), ``inverse`` data -> latent."""
        return tfb.Chain(self.preprocessing_bijectors()
                         + [layer.bijector(context, self.event_ndims)
                            for layer in self.flow_layers],
                         name=f"{self.name}_bijector")

    def distribution(self, context=None):
        """The model as a ``tfd.TransformedDistribution`` of a standard normal over
        ``latent_shape`` (the TFP face; its ``log_prob`` is that of ``v``)."""
        base = tfd.Independent(tfd.Normal(tf.zeros(self.latent_shape), 1.0),
                               reinterpreted_batch_ndims=len(self.latent_shape))
        return tfd.TransformedDistribution(base, self.bijector(context))

    def base_log_prob(self, z):
        """log N(z; 0, I) summed over the latent event, ``[batch]`` nats."""
        axes = list(range(1, len(self.latent_shape) + 1))
        return -0.5 * tf.reduce_sum(tf.square(z), axis=axes) - 0.5 * self.num_dims * _LOG_2PI

    # --- density ---------------------------------------------------------------
    def call(self, inputs, training=None):
        x, context = (inputs if self.context_units is not None else (inputs, None))
        return self._log_prob(tf.cast(x, tf.float32), context)

    def _dequantized(self, x, seed=None):
        if self.num_levels is None:
            return x
        return x + self.uniform(tf.shape(x), seed=seed)

    def _encode(self, x, context, seed=None):
        z, log_det = inverse_and_log_det(self.bijector(context), self._dequantized(x, seed),
                                         self.event_ndims)
        return z, log_det

    def _log_prob(self, x, context=None, seed=None):
        z, log_det = self._encode(x, context, seed)
        return self.base_log_prob(z) + log_det

    def log_prob(self, x, context=None, seed=None):
        """The exact log-density, ``[batch]`` in nats: of ``x``, or with
        ``num_levels`` of the dequantized ``v = x + u`` (noise from ``seed``, or
        the model's generator).

        Raises:
            ValueError / TypeError: naming ``x`` (wrong shape, non-finite, not
                levels) or ``context`` (missing, unexpected, wrong size).
        """
        x = self.checked_inputs(x)
        return self._log_prob(x, self.checked_context(context, x), checks.seed("seed", seed))

    def bits_per_dim(self, x, context=None, seed=None):
        """``-log_prob(x) / (D ln 2)``, ``[batch]`` bits per dimension, the
        preprocessing's Jacobians (dequantization, logit) included."""
        return -self.log_prob(x, context, seed) / (self.num_dims * math.log(2.0))

    def encode(self, x, context=None, seed=None):
        """Data -> latent, ``[batch, *latent_shape]`` (dequantized first if
        ``num_levels``)."""
        x = self.checked_inputs(x)
        return self._encode(x, self.checked_context(context, x), checks.seed("seed", seed))[0]

    def _decode(self, z, context):
        v = forward_and_log_det(self.bijector(context), z, self.event_ndims)[0]
        if self.num_levels is None:
            return v
        return tf.clip_by_value(tf.floor(v), 0.0, self.num_levels - 1.0)

    def decode(self, z, context=None):
        """Latent -> data, ``[batch, *event_shape]`` (levels if ``num_levels``)."""
        z = tf.convert_to_tensor(checks.data_array("z", z, self.latent_shape))
        return self._decode(z, self.checked_context(context, z))

    def sample(self, num_samples, seed=None, temperature=1.0, context=None, **condition):
        """Draws ``decode(temperature * eps)``, ``eps ~ N(0, I)``.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0; ``None`` draws from the model's generator.
            temperature: float > 0, the base's standard deviation (Glow, sec. 5).
            context: a conditional flow's context, ``[num_samples,
                context_units]`` or ``[context_units]``.

        Returns:
            ``[num_samples, *event_shape]`` float32.

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``seed``,
                ``temperature`` or ``context``.
        """
        if condition:
            raise TypeError(f"{type(self).__name__} takes `context`, no other condition. "
                            f"Received conditions: {sorted(condition)}")
        num_samples = checks.positive_int("num_samples", num_samples)
        if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) \
                or not 0.0 < temperature < float("inf"):
            raise ValueError(f"`temperature` must be a finite number > 0. "
                             f"Received: temperature={temperature!r}")
        seed = checks.seed("seed", seed)
        context = self.checked_context(context, tf.zeros((num_samples,)))
        return self._sample(num_samples, float(temperature), context, seed)

    def _sample(self, num_samples, temperature, context=None, seed=None):
        eps = self.standard_normal(tf.concat([[num_samples], self.latent_shape], 0), seed=seed)
        return self._decode(temperature * eps, context)

    def checked_context(self, context, x):
        """``context`` as ``[batch, context_units]`` float32 for a batch like ``x``.

        Raises:
            ValueError: naming ``context`` if it is missing for a conditional
                flow, given to an unconditional one, or of the wrong shape.
        """
        if self.context_units is None:
            if context is not None:
                raise ValueError(f"`context` was given but {type(self).__name__} is "
                                 f"unconditional (context_units=None). Received: context of "
                                 f"shape {np.shape(context)}")
            return None
        if context is None:
            raise ValueError(f"`context` is required: this flow has context_units="
                             f"{self.context_units}. Received: context=None")
        context = tf.cast(context, tf.float32)
        batch = tf.shape(x)[:1]
        if context.shape.rank == 1:
            context = context[tf.newaxis]
        if context.shape.rank != 2 or context.shape[-1] != self.context_units or (
                tf.executing_eagerly() and context.shape[0] not in (1, int(batch[0]))):
            raise ValueError(f"`context` must have shape [{int(batch[0])}, {self.context_units}]"
                             f" or [{self.context_units}]. Received: context.shape="
                             f"{tuple(context.shape)}")
        if tf.executing_eagerly() and not np.all(np.isfinite(context.numpy())):
            raise ValueError("`context` must be finite. Received: context with NaN/Inf")
        return tf.broadcast_to(context, tf.concat([batch, [self.context_units]], 0))

    # --- training ------------------------------------------------------------------
    def unpack_batch(self, data):
        if self.context_units is None:
            return super().unpack_batch(data)
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("`x` of a conditional flow must yield (x, context) batches. "
                             f"Received a batch of type {type(data).__name__}")
        return tf.cast(data[0], tf.float32), tf.cast(data[1], tf.float32)

    def compute_terms(self, batch, training=None):
        """``loss`` = -log p(x) and ``log_prob``, each ``[batch]`` nats."""
        x, context = batch if self.context_units is not None else (batch, None)
        log_prob = self._log_prob(x, context)
        return {"loss": -log_prob, "log_prob": log_prob}

    def initialize_from_data(self, x, context=None, seed=None):
        """Data-dependent initialization: passes ``x`` through the chain, data side
        first, and lets each step with an ``initialize`` method (ActNorm) set
        itself from its input; sets ``initialized`` to 1.

        Raises:
            ValueError / TypeError: naming ``x`` or ``context`` on bad data.
        """
        x = self.checked_inputs(x)
        context = self.checked_context(context, x)
        h = self._dequantized(x, checks.seed("seed", seed))
        for part in self.preprocessing_bijectors():
            h = part.inverse_and_log_det(h)[0]
        for layer in self.flow_layers:
            if hasattr(layer, "initialize"):
                layer.initialize(h)
            h = layer(h, context=context, inverse=True)[0]
        self.initialized.assign(1.0)

    def needs_data_init(self):
        return (self.data_init and any(hasattr(layer, "initialize") for layer in self.flow_layers)
                and not float(keras.ops.convert_to_numpy(self.initialized)))

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``, after ``initialize_from_data`` on the first batch of
        ``x`` (at most ``INIT_EXAMPLES`` examples of an array) when the model has
        steps that initialize from data and is not yet ``initialized``."""
        if self.needs_data_init():
            self.validate_data(x)
            if isinstance(x, tf.data.Dataset):
                batch = next(iter(x.take(1)))
                first = batch if self.context_units is not None else (
                    batch[0] if isinstance(batch, (tuple, list)) else batch, None)
            else:
                first = (np.asarray(x)[:INIT_EXAMPLES],
                         None if y is None else np.asarray(y)[:INIT_EXAMPLES])
            self.initialize_from_data(first[0], first[1], seed=self._seed or 0)
        return super().fit(x, y, *args, **kwargs)

    # --- input checks, serving and config ----------------------------------------
    @property
    def data_range(self):
        if self.num_levels is not None:
            return (0.0, self.num_levels - 1.0)
        return (0.0, 1.0) if self.logit_alpha is not None else None

    def validate_inputs(self, x, name="x"):
        return checks.data_array(name, x, self.event_shape, integer=self.num_levels is not None,
                                 value_range=self.data_range)

    def serving_signatures(self):
        spec = lambda shape, name, dtype=tf.float32: tf.TensorSpec(shape, dtype, name=name)  # noqa
        x_spec = spec((None,) + self.event_shape, "x")
        z_spec = spec((None,) + self.latent_shape, "z")
        n_spec, t_spec = spec((), "num_samples", tf.int32), spec((), "temperature")
        if self.context_units is None:
            log_prob = lambda x: {"log_prob": self._log_prob(x)}  # noqa: E731
            functions = {
                "log_prob": (log_prob, [x_spec]),
                "encode": (lambda x: {"z": self._encode(x, None)[0]}, [x_spec]),
                "decode": (lambda z: {"x": self._decode(z, None)}, [z_spec]),
                "sample": (lambda n, t: {"x": self._sample(n, t)}, [n_spec, t_spec])}
        else:
            c_spec = spec((None, self.context_units), "context")
            wide = lambda c, n: tf.broadcast_to(c, tf.stack([n, self.context_units]))  # noqa
            log_prob = lambda x, c: {"log_prob": self._log_prob(x, c)}  # noqa: E731
            functions = {
                "log_prob": (log_prob, [x_spec, c_spec]),
                "encode": (lambda x, c: {"z": self._encode(x, c)[0]}, [x_spec, c_spec]),
                "decode": (lambda z, c: {"x": self._decode(z, c)}, [z_spec, c_spec]),
                "sample": (lambda n, t, c: {"x": self._sample(n, t, wide(c, n))},
                           [n_spec, t_spec, c_spec])}
        functions["serving_default"] = (log_prob, functions["log_prob"][1])
        return {name: tf.function(fn, input_signature=specs)
                for name, (fn, specs) in functions.items()}

    def layer_seed(self, index):
        """The seed of step ``index``'s initial weights (``None`` without a seed)."""
        return None if self._seed is None else (self._seed * 7919 + index) % 2**31

    def get_config(self):
        config = {**super().get_config(), "num_levels": self.num_levels,
                  "logit_alpha": self.logit_alpha, "data_init": self.data_init}
        if self.context_units is not None:
            config["context_units"] = self.context_units
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


__all__ = ["FlowModel", "INIT_EXAMPLES"]
