"""The shared base of autoregressive models: exact log_prob, training terms, ancestral sampling."""

import math

import numpy as np
import tensorflow as tf

from kgen import checks, likelihoods
from kgen.models import _serving
from kgen.models.base import GenerativeModel, sub_seed


class AutoregressiveModel(GenerativeModel):
    """Base class of models that factorize p(x) = prod_d p(x_d | x_<d) exactly.

    A subclass computes every conditional's parameters in one pass with
    ``conditionals(x)``: ``[batch, *likelihood.params_shape]`` (Bernoulli
    logits ``[batch, *event_shape]``; 256-way logits ``[batch, *event_shape,
    256]``), where the parameters of dimension ``d`` depend only on the
    dimensions before ``d`` in ``generation_order()`` (flattened C-order
    indices, first to last). Then

        log p(x) = sum_d log p(x_d | params_d(x_<d))

    is the likelihood's ``log_prob`` of ``x`` under those parameters, in
    nats per example: exact, one network pass. ``fit`` minimises -log p(x)
    (``compute_terms``); ``monitor`` is ``("log_prob", "max")``.

    ``sample`` is exact ancestral sampling, the naive scheme: one full
    network pass per dimension (D passes, e.g. 784 for 28x28), each filling
    the next dimension in the order from noise drawn up front
    (``likelihood.sample(params, noise)``, the noise from
    ``sampling_noise``), so a seed fixes every pixel. The exact cached
    sampler of PixelCNN and Gated PixelCNN, which computes each activation
    once, draws the same pixels from the same noise:
    ``kgen.models.autoregressive.CachedSampler``.

    Args:
        event_shape: shape of one example.
        likelihood: ``"bernoulli"`` (binary data) or ``"categorical"``
            (integer levels ``0..num_bins - 1``).
        num_bins: levels of the categorical likelihood (256 for 8-bit).
        seed: optional int >= 0 seeding every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).
    """

    metric_names = ("loss", "log_prob")
    monitor = ("log_prob", "max")
    # The likelihoods a subclass accepts.
    likelihood_names = ("bernoulli",)

    def __init__(self, event_shape, likelihood="bernoulli", num_bins=256, seed=None, **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.likelihood_name = checks.one_of("likelihood", likelihood,
                                             set(self.likelihood_names))
        self.num_bins = checks.positive_int("num_bins", num_bins, minimum=2)
        if likelihood == "categorical":
            self.likelihood = likelihoods.CategoricalLikelihood(
                self.event_shape, num_bins=self.num_bins, name="categorical_likelihood")
        else:
            self.likelihood = likelihoods.get(likelihood, self.event_shape)
        self.num_dims = math.prod(self.event_shape)

    @property
    def data_range(self):
        """``(0, 1)`` for binary data, ``(0, num_bins - 1)`` for pixel levels."""
        return self.likelihood.data_range

    # --- what a subclass writes ------------------------------------------------
    def conditionals(self, x, training=None):
        """Parameters of every conditional, ``[batch, *likelihood.params_shape]``;
        those of dimension ``d`` depend only on the dimensions before it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement conditionals()")

    def generation_order(self):
        """The flattened dimensions first to last, a permutation of ``range(D)``
        (default: C order, i.e. raster order with channels innermost)."""
        return np.arange(self.num_dims)

    # --- the likelihood ----------------------------------------------------------
    def call(self, x, training=None):
        return self._log_prob(tf.cast(x, tf.float32), training=training)

    def log_prob(self, x):
        """The exact log-likelihood log p(x).

        Args:
            x: ``[batch, *event_shape]`` data in the likelihood's support
                (binary, or whole-number levels in ``[0, num_bins - 1]``).

        Returns:
            ``[batch]`` in nats.

        Raises:
            ValueError / TypeError: naming ``x`` on data of the wrong shape or
                outside the support (checked when called eagerly).
        """
        return self._log_prob(self.checked_inputs(x))

    def bits_per_dim(self, x):
        """``-log_prob(x) / (D log 2)``, ``[batch]`` in bits per dimension."""
        return -self.log_prob(x) / (self.num_dims * math.log(2.0))

    def _log_prob(self, x, training=None):
        return self.likelihood(self.conditionals(x, training=training)).log_prob(x)

    def compute_terms(self, x, training=None):
        """``loss`` = -log p(x) and the metric ``log_prob``, each ``[batch]``, nats."""
        log_prob = self._log_prob(x, training=training)
        return {"loss": -log_prob, "log_prob": log_prob}

    # --- sampling ----------------------------------------------------------------
    def sample(self, num_samples, seed=None, **condition):
        """Exact ancestral sampling, one network pass per dimension.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0 for a reproducible draw; ``None`` draws
                from the model's seed generator.
            **condition: none; the model is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` float32 values in the support.

        Raises:
            ValueError / TypeError: on a bad ``num_samples`` or ``seed``, or
                any condition.
        """
        self.check_condition(condition)
        num_samples = checks.positive_int("num_samples", num_samples)
        seed = checks.seed("seed", seed)
        seed = None if seed is None else tf.constant(seed, tf.int64)
        return self._sample_graph(tf.constant(num_samples, tf.int32), seed)

    def check_condition(self, condition):
        if condition:
            raise TypeError(f"{type(self).__name__} is unconditional. "
                            f"Received conditions: {sorted(condition)}")

    @tf.function(reduce_retracing=True)
    def _sample_graph(self, num_samples, seed):
        return self._sample(num_samples, seed)

    def _sample(self, num_samples, seed=None):
        return self.ancestral_sample(self.conditionals, self.sampling_noise(num_samples, seed),
                                     tf.constant(self.generation_order(), tf.int32))

    def sampling_noise(self, num_samples, seed=None):
        """The uniform noise of one draw of ``num_samples``, ``[num_samples,
        *likelihood.params_shape]``, from ``seed`` (``None``: the seed generator);
        every sampler of the model reads its pixels' noise from it."""
        return self.uniform(tf.concat([[num_samples], self.likelihood.params_shape], 0),
                            seed=sub_seed(seed, 0))

    def ancestral_sample(self, conditionals_fn, noise, order):
        """Fills the dimensions one at a time in ``order``: D passes of
        ``conditionals_fn(x)``, each drawing dimension ``order[t]`` with
        ``likelihood.sample(params, noise)``.

        Args:
            conditionals_fn: ``x -> params``.
            noise: ``[n, *params_shape]`` uniform noise, drawn once.
            order: ``[D]`` (one order) or ``[n, D]`` (one per example) int32.

        Returns:
            ``[n, *event_shape]`` samples.
        """
        n = tf.shape(noise)[0]
        shape = tf.concat([[n], self.event_shape], 0)

        def step(t, x):
            draw = self.likelihood.sample(conditionals_fn(x), noise)
            position = order[t] if order.shape.rank == 1 else order[:, t]
            hit = tf.reshape(tf.one_hot(position, self.num_dims, on_value=True,
                                        off_value=False), (-1,) + self.event_shape)
            return t + 1, tf.where(hit, draw, x)

        _, x = tf.while_loop(lambda t, x: t < self.num_dims, step,
                             (tf.constant(0), tf.zeros(shape, tf.float32)))
        return x

    # --- input checks, serving and config ----------------------------------------
    def validate_inputs(self, x, name="x"):
        lik = self.likelihood
        return checks.data_array(name, x, self.event_shape, binary=lik.binary,
                                 integer=lik.integer, value_range=lik.data_range)

    def serving_signatures(self):
        return _serving.likelihood_signatures(self)

    def get_config(self):
        config = super().get_config()
        if len(self.likelihood_names) > 1:
            config.update({"likelihood": self.likelihood_name, "num_bins": self.num_bins})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def image_channel_order(event_shape, channel_order=None):
    """The colour order of an image model: ``channel_order`` (default ``0, 1, ..., C - 1``)
    as a tuple, after checking that ``event_shape`` is ``(height, width, C)`` and the order
    a permutation of ``range(C)``.

    Raises:
        ValueError: naming ``event_shape`` or ``channel_order``.
    """
    if len(event_shape) != 3:
        raise ValueError(f"`event_shape` must be (height, width, channels). "
                         f"Received: event_shape={event_shape}")
    channels = event_shape[-1]
    order = list(range(channels)) if channel_order is None else channel_order
    if not isinstance(order, (list, tuple)) or sorted(order) != list(range(channels)):
        raise ValueError(f"`channel_order` must be a permutation of range({channels}). "
                         f"Received: channel_order={channel_order!r}")
    return tuple(int(c) for c in order)


def strictly_lower_mask(num_dims):
    """``mask[d, j] = 1`` iff ``j < d``: conditional ``d`` sees the dimensions before it."""
    return np.tril(np.ones((num_dims, num_dims), np.float32), k=-1)


__all__ = ["AutoregressiveModel", "image_channel_order", "strictly_lower_mask"]
