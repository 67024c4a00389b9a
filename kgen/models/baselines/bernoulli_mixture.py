"""Mixture of factorized Bernoullis, the classic baseline of binary-image density models."""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.models import _serving
from kgen.models.base import GenerativeModel, sub_seed
from kgen.models.registry import register

tfd = tfp.distributions

# Initial pixel logits are uniform in [-log 3, log 3]: probabilities in [0.25, 0.75], the
# usual random start of EM for this model, away from 0 and 1 and different per component.
_INIT_LOGIT = math.log(3.0)


@register("bernoulli_mixture")
class BernoulliMixture(_serving.BinaryData, GenerativeModel):
    """Mixture of K factorized Bernoulli distributions over binary images.

    Each of the K components is a product of independent Bernoullis over the
    D = prod(event_shape) pixels, with mixture weights pi = softmax(w) and
    pixel probabilities p_kd = sigmoid(l_kd):

        log p(x) = logsumexp_k [ log pi_k + sum_d x_d l_kd - softplus(l_kd) ]

    (since x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l) for
    x in {0, 1}). The sum over pixels is one matrix product, so ``log_prob``
    is exact and costs O(batch * K * D); it equals TFP's
    ``MixtureSameFamily(Categorical(w), Independent(Bernoulli(l)))``, which
    ``distribution()`` returns. Training minimises -log p(x) by gradient
    descent with ``fit`` (not EM); ``monitor`` is ``("log_prob", "max")``.

    Sampling draws a component by inverting the CDF of pi at a uniform u,
    then each pixel as ``u_d < p_kd``, all from the model's seeded uniform
    noise.

    The weights are the mixture logits w, ``[K]`` (zero at the start: equal
    weights), and the pixel logits l, ``[K, D]``, drawn uniformly in
    [-log 3, log 3] (probabilities in [0.25, 0.75]) from ``seed``. Gradient
    descent from such a data-free start lets a few components take every
    example (on binarized MNIST with K = 500 it stalls near -185 nats with
    under 10 components in use), so with ``data_init=True`` the first
    ``fit`` first sets the components from training examples
    (``initialize_from_data``, k-means-style seeding), which reaches about
    -128 validation nats in 3 epochs. Whether this happened is the state
    ``initialized``, saved with the weights, so a loaded or resumed model
    is not initialized again.

    With K = 500, Salakhutdinov & Murray (2008) report -137.64 nats on the
    MNIST test set, the baseline quoted by Salakhutdinov & Hinton (2009).

    References:
        1. Salakhutdinov & Hinton, "Deep Boltzmann Machines", AISTATS 2009,
           Table 1. https://proceedings.mlr.press/v5/salakhutdinov09a.html
        2. Salakhutdinov & Murray, "On the quantitative analysis of deep
           belief networks", ICML 2008, Table 2.
           https://dl.acm.org/doi/10.1145/1390156.1390266

    Args:
        event_shape: shape of one example; default ``(28, 28, 1)``.
        num_components: int K >= 1; default 500.
        data_init: bool; if True (default), the first ``fit`` of a model
            not yet initialized calls ``initialize_from_data`` on the first
            ``max(2 K, 1000)`` examples of its ``x``.
        seed: optional int >= 0 seeding the initial pixel logits and every
            random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: on an invalid ``event_shape``,
            ``num_components`` or ``seed``, and from ``log_prob``, ``fit``
            etc. on data of the wrong shape or that is not binary.

    Example:

    >>> model = kgen.models.baselines.BernoulliMixture(num_components=500, seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(3e-2))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=100))
    >>> model.log_prob(x)          # [batch], nats
    >>> model.sample(16, seed=0)   # [16, 28, 28, 1], binary pixels
    """

    metric_names = ("loss", "log_prob")
    monitor = ("log_prob", "max")

    def __init__(self, event_shape=(28, 28, 1), num_components=500, data_init=True, seed=None,
                 **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.num_components = checks.positive_int("num_components", num_components)
        if not isinstance(data_init, bool):
            raise TypeError(f"`data_init` must be True or False. "
                            f"Received: data_init={data_init!r}")
        self.data_init = data_init
        self.num_pixels = math.prod(self.event_shape)
        self.build((None,) + self.event_shape)

    def build(self, input_shape):
        if self.built:
            return
        self.mixture_logits = self.add_weight(
            shape=(self.num_components,), initializer="zeros", name="mixture_logits")
        init = keras.initializers.RandomUniform(-_INIT_LOGIT, _INIT_LOGIT, seed=self._seed)
        self.pixel_logits = self.add_weight(
            shape=(self.num_components, self.num_pixels), initializer=init,
            name="pixel_logits")
        # 1.0 once initialize_from_data ran: a weight, so files and resumes keep it.
        self.initialized = self.add_state("initialized", ())
        self.built = True

    @property
    def data_range(self):
        """``(0, 1)``: binary pixels."""
        return (0.0, 1.0)

    # --- the model -------------------------------------------------------------
    def call(self, x, training=None):
        return self._log_prob(tf.cast(x, tf.float32))

    def log_prob(self, x):
        """The exact log-likelihood log p(x).

        Args:
            x: ``[batch, *event_shape]``, every value 0 or 1.

        Returns:
            ``[batch]`` in nats.

        Raises:
            ValueError / TypeError: on data of the wrong shape or not binary
                (checked when called eagerly).
        """
        return self._log_prob(self.checked_inputs(x))

    def _log_prob(self, x):
        return tf.reduce_logsumexp(self.joint_log_prob(x), axis=-1)

    def joint_log_prob(self, x):
        """log pi_k + log p(x | k) for every component, ``[batch, K]`` in nats.

        ``x`` is not checked (internal use and ``compute_terms``).
        """
        flat = tf.reshape(x, (-1, self.num_pixels))
        logits = tf.convert_to_tensor(self.pixel_logits)
        log_px_given_k = (tf.matmul(flat, logits, transpose_b=True)
                          - tf.reduce_sum(tf.nn.softplus(logits), axis=-1))
        return tf.nn.log_softmax(self.mixture_logits) + log_px_given_k

    def responsibilities(self, x):
        """The posterior p(k | x), ``[batch, K]`` (rows sum to 1)."""
        return tf.nn.softmax(self.joint_log_prob(self.checked_inputs(x)), axis=-1)

    def distribution(self):
        """The model as a TFP distribution over ``event_shape`` (a reference:
        its ``log_prob`` equals ``log_prob`` and is slower for large K)."""
        logits = tf.reshape(self.pixel_logits, (self.num_components,) + self.event_shape)
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=self.mixture_logits),
            tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.float32),
                            reinterpreted_batch_ndims=len(self.event_shape)))

    def sample(self, num_samples, seed=None, mean=False, **condition):
        """Draws k ~ Categorical(pi), then x_d ~ Bernoulli(p_kd).

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0 for a reproducible draw; ``None`` draws
                from the model's seed generator.
            mean: if True, return the drawn components' pixel probabilities
                p_k instead of binary pixels (same components for a seed).
            **condition: none; the model is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` float32: 0s and 1s, or
            probabilities if ``mean``.

        Raises:
            ValueError / TypeError: on a bad ``num_samples`` or ``seed``, or
                any condition.
        """
        if condition:
            raise TypeError(f"{type(self).__name__} is unconditional. "
                            f"Received conditions: {sorted(condition)}")
        num_samples = checks.positive_int("num_samples", num_samples)
        if not isinstance(mean, bool):
            raise TypeError(f"`mean` must be True or False. Received: mean={mean!r}")
        return self._sample(num_samples, checks.seed("seed", seed), mean)

    def _sample(self, num_samples, seed=None, mean=False):
        u = self.uniform((num_samples,), seed=sub_seed(seed, 0))
        cdf = tf.cumsum(tf.nn.softmax(self.mixture_logits))
        # k = #{j : cdf_j <= u}, so P(k) = pi_k; the clip guards cdf_K - 1 < 0 by rounding.
        k = tf.searchsorted(cdf[tf.newaxis], u[tf.newaxis], side="right")[0]
        k = tf.minimum(k, self.num_components - 1)
        probs = tf.sigmoid(tf.gather(self.pixel_logits, k))
        x = (probs if mean else
             tf.cast(self.uniform(tf.shape(probs), seed=sub_seed(seed, 1)) < probs, tf.float32))
        return tf.reshape(x, tf.concat([[num_samples], self.event_shape], 0))

    def initialize_from_data(self, x, smoothing=0.5, seed=None):
        """Sets the weights from data, as k-means-style seeding does.

        Component k starts at pixel probabilities
        ``(1 - smoothing) * x_(i_k) + smoothing * mean(x)`` (clipped to
        [0.001, 0.999]) for K random examples i_k, distinct when x holds at
        least K (else each example is used in turn: identical components then
        stay identical under gradient descent), with equal mixture weights.
        Sets ``initialized`` to 1.

        Args:
            x: ``[n, *event_shape]`` binary data.
            smoothing: float in (0, 1], the weight of the data mean.
            seed: optional int >= 0 choosing the examples; ``None`` draws
                from the model's seed generator.

        Raises:
            ValueError: naming ``x`` if it has the wrong shape or is not
                binary, or ``smoothing`` if it is outside (0, 1].
        """
        x = self.validate_inputs(x).reshape(-1, self.num_pixels)
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) \
                or not 0 < smoothing <= 1:
            raise ValueError(f"`smoothing` must be a number in (0, 1]. "
                             f"Received: smoothing={smoothing!r}")
        order = tf.argsort(self.uniform((x.shape[0],), seed=checks.seed("seed", seed)))
        chosen = tf.gather(x, tf.gather(order, tf.range(self.num_components) % x.shape[0]))
        probs = (1.0 - smoothing) * chosen + smoothing * x.mean(axis=0)
        probs = tf.clip_by_value(probs, 1e-3, 1.0 - 1e-3)
        self.pixel_logits.assign(tf.math.log(probs) - tf.math.log1p(-probs))
        self.mixture_logits.assign(tf.zeros((self.num_components,)))
        self.initialized.assign(1.0)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``, after ``initialize_from_data`` on the first
        ``max(2 K, 1000)`` examples of ``x`` if ``data_init`` is set and the
        model is not yet ``initialized``. The examples are chosen with the
        model's ``seed`` (not its noise stream), so a run is reproducible."""
        if self.data_init and not float(keras.ops.convert_to_numpy(self.initialized)):
            self.validate_data(x)
            self.initialize_from_data(self._first_examples(x), seed=self._seed or 0)
        return super().fit(x, y, *args, **kwargs)

    def _first_examples(self, x):
        wanted = max(2 * self.num_components, 1000)
        if isinstance(x, tf.data.Dataset):
            batches, count = [], 0
            for batch in x:
                batch = batch[0] if isinstance(batch, (tuple, list)) else batch
                batches.append(batch.numpy())
                count += len(batches[-1])
                if count >= wanted:
                    break
            return tf.concat(batches, 0)[:wanted]
        if x is None:
            raise ValueError("`x` must be given to fit. Received: x=None")
        return tf.convert_to_tensor(x)[:wanted]

    # --- training --------------------------------------------------------------
    def compute_terms(self, x, training=None):
        """``loss`` = -log p(x) and the metric ``log_prob``, each ``[batch]``, nats."""
        log_prob = self._log_prob(x)
        return {"loss": -log_prob, "log_prob": log_prob}

    # --- serving and config ------------------------------------------------------
    def serving_signatures(self):
        return _serving.likelihood_signatures(self)

    def get_config(self):
        return {**super().get_config(), "num_components": self.num_components,
                "data_init": self.data_init}


__all__ = ["BernoulliMixture"]
