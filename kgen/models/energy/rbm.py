"""Restricted Boltzmann machine, Bernoulli-Bernoulli, trained by CD-k or persistent CD."""


import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.models import _serving
from kgen.models.base import GenerativeModel, sub_seed
from kgen.models.energy import _gibbs, _shapes, partition
from kgen.models.registry import register

@register("rbm")
class RBM(_serving.BinaryData, partition.StoredLogPartition, GenerativeModel):
    """Bernoulli-Bernoulli restricted Boltzmann machine.

    Binary visible units v (D = ``num_visible``) and hidden units h (H =
    ``num_hidden``) with the energy and free energy (in nats)

        E(v, h) = -v.b - h.c - v W h,
        F(v) = -log sum_h exp(-E(v, h)) = -v.b - sum_j softplus((v W + c)_j),

    so p(v) = exp(-F(v)) / Z, with ``kernel`` W ``[D, H]``, ``visible_bias`` b
    ``[D]`` and ``hidden_bias`` c ``[H]``. Both conditionals factorize,
    p(h_j = 1 | v) = sigmoid((v W + c)_j) and p(v_i = 1 | h) = sigmoid((W h + b)_i),
    which gives block Gibbs sampling (``gibbs``, ``sample``); its noise comes only
    from the model's ``uniform``.

    **Training** (``fit``) follows the gradient of the log-likelihood,
    -dF(v_data)/dtheta + E_model[dF(v)/dtheta], with the model expectation
    estimated from negative samples v~: CD-k (Hinton 2002) runs k Gibbs sweeps
    from the data batch; PCD (``persistent=True``, Tieleman 2008) runs them from
    ``num_chains`` persistent chains that carry over from step to step. The
    loss is the surrogate mean F(v_data) - mean F(stop_gradient(v~)), whose
    gradient is exactly this estimate (hidden statistics as probabilities, as
    Hinton's guide (2010, sec. 3) recommends), so any Keras optimizer applies
    it (SGD with ``momentum`` as in the guide, sec. 9). ``weight_decay`` is the
    guide's L2 weight cost (sec. 10): 0.5 * weight_decay * ||W||^2 is added to
    the loss, on the weights only, not the biases (Keras optimizers' own
    ``weight_decay`` is the decoupled AdamW kind, a different thing). The
    persistent chains are training state (``add_state("chains")``): ``.keras``
    files, ``BackupAndRestore`` and resumed runs keep them. Under a
    multi-replica strategy only CD is supported (the chains are one state).

    **Metrics** (per example; ``fit`` and ``evaluate`` report their means):
    ``reconstruction_error``, sum over pixels of (v - p(v | h = p(h | v)))^2,
    a mean-field reconstruction without noise; ``pseudo_log_likelihood`` in
    nats, sum_i log p(v_i | v_-i), estimated as D * log p(v_i | v_-i) for one
    random pixel i per example (an unbiased estimate of the sum; the exact sum
    is ``pseudo_log_likelihood(x)``); ``free_energy_gap`` = F(v_data) - mean
    F(v~), near 0 when the chains match the data and falling far below 0 when
    they lag behind (the gap is also ``loss``, without the weight cost).
    scikit-learn's ``BernoulliRBM.score_samples`` is the same one-pixel estimate
    (its issue 23179 proposes dividing by D: a per-pixel figure, not this one).

    **Likelihood.** ``log_prob(x) = -F(x) - log Z`` uses the log Z stored by
    ``set_log_partition`` (from ``kgen.metrics.exact_log_partition`` or
    ``ais_log_partition``), saved with the model and named with its method;
    ``kgen.metrics.nll`` reports it as exact or not. ``fit`` drops it.

    References:
        1. Hinton, "Training products of experts by minimizing contrastive
           divergence", Neural Computation 14(8), 2002.
        2. Tieleman, "Training restricted Boltzmann machines using
           approximations to the likelihood gradient", ICML 2008.
        3. Hinton, "A practical guide to training restricted Boltzmann
           machines", UTML TR 2010-003.
        4. Salakhutdinov & Murray, "On the quantitative analysis of deep belief
           networks", ICML 2008 (AIS for log Z).

    Args:
        num_visible: int D >= 1, or None to take ``prod(event_shape)``.
        num_hidden: int H >= 1; default 500.
        event_shape: shape of one example (``prod == num_visible``); default
            ``(num_visible,)``.
        k: int >= 1, Gibbs sweeps per training step (the k of CD-k / PCD-k).
        persistent: bool; True for PCD, False (default) for CD-k.
        num_chains: int >= 1, persistent chains (PCD only); default 100.
        weight_decay: float >= 0, the L2 weight cost on ``kernel``; default 0
            (the guide suggests 1e-4; Salakhutdinov & Murray used 2e-4).
        data_init: bool; if True (default), the first ``fit`` sets the visible
            biases to the logits of the pixel means of its first 1,000
            examples (the guide, sec. 8) and starts the chains at examples.
        log_partition: None, or the stored log Z as ``set_log_partition``
            keeps it (``get_config`` writes it; set it with the method).
        seed: optional int >= 0 seeding the initial weights (N(0, 0.01^2), the
            guide's) and every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        ``free_energy(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: naming the argument on an invalid one, and
            naming ``x`` on data of the wrong shape or not binary.

    Example:

    >>> model = kgen.models.energy.RBM(event_shape=(28, 28, 1), num_hidden=500,
    ...                                k=1, persistent=True, seed=0)
    >>> model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=100))
    >>> model.set_log_partition(kgen.metrics.ais_log_partition(model, data=train))
    >>> model.log_prob(x)     # [batch], nats
    """

    metric_names = ("loss", "reconstruction_error", "pseudo_log_likelihood", "free_energy_gap")
    monitor = ("pseudo_log_likelihood", "max")

    def __init__(self, num_visible=None, num_hidden=500, event_shape=None, k=1,
                 persistent=False, num_chains=100, weight_decay=0.0, data_init=True,
                 log_partition=None, seed=None, **kwargs):
        num_visible, event_shape = _shapes.visible_event_shape(num_visible, event_shape)
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        size = _shapes.visible_size(num_visible, self.event_shape)
        self.num_visible = size
        self.num_hidden = checks.positive_int("num_hidden", num_hidden)
        self.k = checks.positive_int("k", k)
        for name, value in (("persistent", persistent), ("data_init", data_init)):
            if not isinstance(value, bool):
                raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
        self.persistent, self.data_init = persistent, data_init
        self.num_chains = checks.positive_int("num_chains", num_chains)
        self.weight_decay = checks.non_negative_float("weight_decay", weight_decay)
        self.set_log_partition(log_partition)
        self.build((None,) + self.event_shape)

    def build(self, input_shape):
        if self.built:
            return
        decay = self.weight_decay
        self.kernel = self.add_weight(
            shape=(self.num_visible, self.num_hidden), name="kernel",
            initializer=keras.initializers.RandomNormal(0.0, 0.01, seed=self._seed),
            regularizer=keras.regularizers.L2(0.5 * decay) if decay else None)
        self.visible_bias = self.add_weight(shape=(self.num_visible,), initializer="zeros",
                                            name="visible_bias")
        self.hidden_bias = self.add_weight(shape=(self.num_hidden,), initializer="zeros",
                                           name="hidden_bias")
        self.initialized = self.add_state("initialized", ())
        if self.persistent:
            self.chains = self.add_state("chains", (self.num_chains, self.num_visible))
        self.built = True

    @property
    def data_range(self):
        """``(0, 1)``: binary pixels."""
        return (0.0, 1.0)

    # --- the model -------------------------------------------------------------
    def call(self, x, training=None):
        return self._free_energy(self._flat(x))

    def free_energy(self, x):
        """F(x) = -x.b - sum_j softplus((x W + c)_j), ``[batch]`` in nats.

        Raises:
            ValueError / TypeError: naming ``x`` on bad data (when eager).
        """
        return self._free_energy(self._flat(self.checked_inputs(x)))

    def _free_energy(self, v):
        return -(tf.linalg.matvec(v, self.visible_bias)
                 + tf.reduce_sum(tf.nn.softplus(self._hidden_logits(v)), axis=-1))

    def _flat(self, x):
        return tf.reshape(tf.cast(x, tf.float32), (-1, self.num_visible))

    def _hidden_logits(self, v):
        return tf.matmul(v, self.kernel) + self.hidden_bias

    def filters(self):
        """The ``kernel`` ``[D, H]``: each hidden unit's filter (``kgen.callbacks.FilterGrid``)."""
        return self.kernel

    def hidden_probabilities(self, v):
        """p(h = 1 | v) = sigmoid(v W + c), ``[batch, H]``, for flat ``v`` ``[batch, D]``."""
        return tf.sigmoid(self._hidden_logits(tf.cast(v, tf.float32)))

    def visible_probabilities(self, h, temperature=1.0):
        """p(v = 1 | h) = sigmoid((h W^T + b) / T), ``[batch, D]``, for ``h`` ``[batch, H]``."""
        return tf.sigmoid((tf.matmul(tf.cast(h, tf.float32), self.kernel, transpose_b=True)
                           + self.visible_bias) / temperature)

    def log_prob(self, x):
        """log p(x) = -F(x) - log Z in nats, ``[batch]``, with the stored log Z.

        Raises:
            ValueError: naming ``log_partition`` if no log Z is stored, or
                ``x`` on bad data.
        """
        log_z = self.require_log_partition()
        return -self.free_energy(x) - tf.constant(log_z, tf.float32)

    # --- Gibbs sampling -------------------------------------------------------------
    def _bernoulli(self, probs, seed):
        return _gibbs.bernoulli(self.uniform, probs, seed)

    def _visible_step(self, h, seed, temperature=1.0):
        """A draw v ~ p_T(v | h) and its mean p_T(v = 1 | h), both ``[batch, D]``."""
        probs = self.visible_probabilities(h, temperature)
        return self._bernoulli(probs, seed), probs

    def _gibbs(self, v, num_steps, seed=None, mean=False, temperature=1.0):
        """``num_steps`` block sweeps from flat ``v`` (``_gibbs.block_gibbs``)."""
        return _gibbs.block_gibbs(self, v, num_steps, seed, mean, temperature)

    def gibbs(self, x, num_steps=1, seed=None, mean=False, temperature=1.0):
        """Runs ``num_steps`` block Gibbs sweeps v -> h ~ p(h | v) -> v ~ p(v | h).

        Args:
            x: ``[batch, *event_shape]`` binary start states.
            num_steps: int >= 1.
            seed: optional int >= 0; ``None`` draws from the model's generator.
            mean: if True, return the last sweep's p(v | h) instead of v.
            temperature: float T > 0; the chain targets p_T ∝ exp(-E(v, h) / T).

        Returns:
            ``[batch, *event_shape]`` float32.
        """
        num_steps, mean, temperature = partition.sampling_args(num_steps, mean, temperature)
        v = self._gibbs(self._flat(self.checked_inputs(x)), num_steps,
                        checks.seed("seed", seed), mean, temperature)
        return tf.reshape(v, tf.shape(x))

    def sample(self, num_samples, seed=None, num_steps=1000, mean=False, temperature=1.0,
               **condition):
        """Draws by ``num_steps`` Gibbs sweeps from v ~ Bernoulli(sigmoid(b / T)).

        The chains are independent and approximate: after enough sweeps they
        follow p(v) (``tests/models/energy`` checks the stationary distribution).
        At a high temperature T the samples are near uniform; as T -> 0 they
        concentrate on the minima of the energy E(v, h).

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0; ``None`` draws from the model's generator.
            num_steps: int >= 1 Gibbs sweeps; default 1,000.
            mean: if True, return the last sweep's p(v | h).
            temperature: float T > 0 (``gibbs``); default 1.
            **condition: none; the model is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` float32, 0s and 1s (or probabilities).

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``num_steps``,
                ``temperature`` (<= 0), ``mean`` or ``seed``.
        """
        num_samples = partition.unconditional_count(self, num_samples, condition)
        num_steps, mean, temperature = partition.sampling_args(num_steps, mean, temperature)
        return self._compiled_sample(num_samples, num_steps, partition.seed_tensor(seed), mean,
                                     temperature)

    def _sample(self, num_samples, num_steps, seed=None, mean=False, temperature=1.0):
        start = tf.broadcast_to(tf.sigmoid(self.visible_bias / temperature),
                                (num_samples, self.num_visible))
        v = self._gibbs(self._bernoulli(start, sub_seed(seed, 0)), num_steps, seed, mean,
                        temperature)
        return tf.reshape(v, tf.concat([[num_samples], self.event_shape], 0))

    # Eager, the while_loop of 1,000 sweeps ran op by op (~25 ms a sweep).
    _compiled_sample = tf.function(_sample)

    # --- metrics ---------------------------------------------------------------------
    def pseudo_log_likelihood(self, x):
        """The exact pseudo-log-likelihood sum_i log p(x_i | x_-i), ``[batch]``, nats.

        log p(x_i | x_-i) = -softplus(F(x) - F(x with bit i flipped)); the D flips
        cost O(batch * D * H) (one rank-one change of x W per flip).
        """
        return self._pseudo_log_likelihood(self._flat(self.checked_inputs(x)))

    def _pseudo_log_likelihood(self, v):
        return partition.pseudo_log_likelihood(v, self.kernel, self.visible_bias,
                                               self._hidden_logits(v), self._free_energy(v))

    def _one_pixel_pll(self, v):
        """D * log p(v_i | v_-i) for one uniformly drawn pixel i per example."""
        pixel = tf.minimum(tf.cast(self.uniform(tf.shape(v)[:1]) * self.num_visible, tf.int32),
                           self.num_visible - 1)
        flipped = tf.abs(v - tf.one_hot(pixel, self.num_visible))
        return -self.num_visible * tf.nn.softplus(self._free_energy(v)
                                                  - self._free_energy(flipped))

    # --- training --------------------------------------------------------------------
    def negative_samples(self, v):
        """k sweeps from flat data ``v`` (CD-k) or the chains (PCD); advances no chain."""
        start = tf.convert_to_tensor(self.chains) if self.persistent else v
        return tf.stop_gradient(self._gibbs(start, self.k))

    def compute_terms(self, x, training=None, negative=None):
        """Per-example terms, ``[batch]`` in nats: ``loss`` (the CD / PCD surrogate
        F(x) - mean F(negative)) and the metrics. ``negative`` defaults to
        ``negative_samples(x)``; for PCD outside training, the chains as they are."""
        v = self._flat(x)
        if negative is None:
            negative = (tf.convert_to_tensor(self.chains) if self.persistent and not training
                        else self.negative_samples(v))
        free = self._free_energy(v)
        gap = free - tf.reduce_mean(self._free_energy(negative))
        reconstruction = self.visible_probabilities(self.hidden_probabilities(v))
        return {"loss": gap, "free_energy_gap": gap,
                "reconstruction_error": tf.reduce_sum(tf.square(v - reconstruction), -1),
                "pseudo_log_likelihood": self._one_pixel_pll(v)}

    def train_step(self, data):
        v = self._flat(self.unpack_batch(data))
        negative = self.negative_samples(v)
        with tf.GradientTape() as tape:
            terms = self.compute_terms(v, training=True, negative=negative)
            loss = self.total_loss(terms["loss"])  # + 0.5 * weight_decay * ||W||^2
        self.minimize(loss, tape)
        if self.persistent:
            self.chains.assign(negative)
        return self.update_metrics(terms)

    def initialize_from_data(self, x, pseudo_count=1.0):
        """Sets the visible biases to the logits of smoothed pixel means (the guide,
        sec. 8; ``partition.base_rate_logits``) and, for PCD, the chains to the
        first examples of ``x`` (cycled). Sets ``initialized`` to 1.

        Raises:
            ValueError: naming ``x`` on bad data, ``pseudo_count`` if < 0.
        """
        x = self.validate_inputs(x).reshape(-1, self.num_visible)
        self.visible_bias.assign(partition.base_rate_logits(x, pseudo_count))
        if self.persistent:
            self.chains.assign(x[np.arange(self.num_chains) % len(x)])
        self.initialized.assign(1.0)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``; first ``initialize_from_data`` on the first 1,000
        examples of ``x`` if ``data_init`` is set and the model is not yet
        ``initialized``. Drops a stored log Z (the weights change)."""
        self.validate_data(x)
        if self.data_init and not float(keras.ops.convert_to_numpy(self.initialized)):
            self.initialize_from_data(partition.first_examples(x, 1000))
        self.set_log_partition(None)
        return super().fit(x, y, *args, **kwargs)

    # --- serving and config ------------------------------------------------------
    def serving_signatures(self):
        def free_energy(x):
            return {"free_energy": self._free_energy(self._flat(x))}

        signatures = {"serving_default": _serving.on_x(self, free_energy),
                      "free_energy": _serving.on_x(self, free_energy),
                      "sample": _serving.gibbs_sample(self)}
        if self.log_partition is not None:
            signatures["log_prob"] = _serving.free_energy_bound(self, "log_prob")
        return signatures

    def get_config(self):
        return {**super().get_config(), "num_visible": self.num_visible,
                "num_hidden": self.num_hidden, "k": self.k, "persistent": self.persistent,
                "num_chains": self.num_chains, "weight_decay": self.weight_decay,
                "data_init": self.data_init, "log_partition": self.log_partition}


__all__ = ["RBM"]
