"""Deep Boltzmann machine: mean-field posteriors and persistent chains."""

import math

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.models import _serving
from kgen.models.base import GenerativeModel, sub_seed
from kgen.models.energy import _dbm_pretrain, _gibbs, _shapes, _stages, evaluation, partition
from kgen.models.registry import register

# Units of the odd layers that exact_log_partition enumerates (2**20 states at most).
MAX_ENUMERATED_UNITS = 20
_CHUNK = 4096


@register("dbm")
class DBM(_serving.BinaryData, evaluation.DBMEvaluation, partition.StoredLogPartition,
          GenerativeModel):
    """Deep Boltzmann machine (Salakhutdinov & Hinton 2009, AISTATS) with binary
    layers x_0 = v (D = ``num_visible``), x_1 ... x_L = ``hidden_units``:

        E(x) = -sum_l b_l.x_l - sum_{l>=1} x_{l-1} W_l x_l,

    ``kernel_l`` W_l ``[n_{l-1}, n_l]`` (l = 1 ... L) and ``bias_l`` b_l
    (``bias_0`` the visible biases). A unit's conditional is
    sigmoid(b_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T), so the odd layers are
    conditionally independent given the even ones and vice versa: a Gibbs
    sweep draws the odd layers, then the even ones (``sample``).

    **Posterior.** The mean-field q(h | v) = prod_l Bernoulli(mu_l) is found
    by ``mean_field_steps`` fixed-point sweeps
    mu_l <- sigmoid(b_l + mu_{l-1} W_l + mu_{l+1} W_{l+1}^T) (mu_0 = v), started
    from a bottom-up pass with doubled weights below the top (the paper's
    recognition pass, Salakhutdinov & Larochelle 2010). Since E is linear in
    each layer and q factorizes over layers, E_q[E(v, h)] = E(v, mu):

        log p(v) >= -F_q(v) - log Z,   F_q(v) = E(v, mu) - sum_l H(mu_l),

    ``mean_field_free_energy`` (nats) and ``lower_bound`` (with a stored log Z;
    the gap is KL(q || p(h | v))).

    **Training** (``fit``) is the paper's: data statistics from the mean-field
    posterior, model statistics from ``num_chains`` persistent Gibbs chains
    over all layers (``k`` sweeps a step; the chains are training state), via
    the surrogate loss E(v, stop_gradient(mu)) - mean E(stop_gradient(x~)),
    whose gradient is -(data - model) statistics. ``weight_decay`` is the L2
    weight cost on the kernels. ``data_init`` sets the visible biases to the
    base rates of the first 1,000 examples and starts the chains' visible
    layer at examples. **Greedy pre-training** (sec. 3.1): ``pretrain_layer(i)``
    then ``fit`` trains RBM i alone with doubled weights by CD-k
    (``energy/_dbm_pretrain.py``), bottom-up; above the bottom its visible
    bias stays RBM i-1's hidden bias, which makes its data; one optimizer
    serves every RBM and the joint training, so its iteration count (Adam's bias
    correction, learning-rate schedules) carries over: use SGD (as the paper)
    or ``compile`` afresh before each ``fit``; ``pretrain_layer(None)`` returns
    to joint PCD training. With ``pretraining_epochs`` (e_0, ..., e_{L-1}) one
    ``fit(data, epochs=E)`` pre-trains RBM i for e_i epochs, then trains jointly
    (``energy/_stages.py``, as ``kgen train`` runs it). log Z: ``exact_log_partition``
    (tiny models, the odd layers enumerated) or ``kgen.models.energy.dbm_ais_log_partition``.

    References:
        1. Salakhutdinov & Hinton, "Deep Boltzmann machines", AISTATS 2009.
        2. Salakhutdinov & Larochelle, "Efficient learning of deep Boltzmann
           machines", AISTATS 2010.

    Args:
        num_visible: int D >= 1, or None to take ``prod(event_shape)``.
        hidden_units: sequence of >= 2 ints >= 1; default (500, 1000).
        event_shape: shape of one example (``prod == num_visible``).
        k: int >= 1 Gibbs sweeps of the chains per step.
        num_chains: int >= 1 persistent chains; default 100.
        mean_field_steps: int >= 1 fixed-point sweeps; default 10.
        weight_decay: float >= 0, the L2 weight cost.
        data_init: bool; initialize from the data on the first fit.
        pretraining_layer: None (joint training) or the RBM index in [0, L)
            that ``fit`` pre-trains.
        pretraining_epochs: None, or L ints >= 0: the greedy schedule of ``fit``.
        joint_gradient_scale: float > 0 times the joint step's gradient (with SGD, its
            learning rate: joint PCD wants smaller steps than pre-training); default 1.
        log_partition: None, or the stored log Z record.
        seed: optional int >= 0 seeding the weights (N(0, 0.01^2)) and draws.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        ``mean_field_free_energy(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: naming the argument on an invalid one, ``x``
            on non-binary or misshapen data, ``log_partition`` if
            ``lower_bound`` has no log Z.

    Example:

    >>> dbm = kgen.models.energy.DBM(num_visible=784, hidden_units=(500, 1000), seed=0)
    >>> dbm.compile(optimizer=keras.optimizers.SGD(0.005, momentum=0.9))
    >>> dbm.fit(train, epochs=10)
    """

    metric_names = ("loss", "reconstruction_error", "mean_field_free_energy")
    monitor = ("reconstruction_error", "min")

    def __init__(self, num_visible=None, hidden_units=(500, 1000), event_shape=None, k=1,
                 num_chains=100, mean_field_steps=10, weight_decay=0.0, data_init=True,
                 pretraining_layer=None, pretraining_epochs=None, joint_gradient_scale=1.0,
                 log_partition=None, seed=None, **kwargs):
        num_visible, event_shape = _shapes.visible_event_shape(num_visible, event_shape)
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        size = _shapes.visible_size(num_visible, self.event_shape)
        if isinstance(hidden_units, (str, bytes)) or not hasattr(hidden_units, "__len__") \
                or len(hidden_units) < 2:
            raise ValueError(f"`hidden_units` must be a sequence of >= 2 ints >= 1 (one "
                             f"hidden layer is an RBM). Received: hidden_units={hidden_units!r}")
        self.num_visible = size
        self.hidden_units = tuple(checks.positive_int("hidden_units", h) for h in hidden_units)
        self.sizes = (size,) + self.hidden_units
        self.k = checks.positive_int("k", k)
        self.num_chains = checks.positive_int("num_chains", num_chains)
        self.mean_field_steps = checks.positive_int("mean_field_steps", mean_field_steps)
        self.weight_decay = checks.non_negative_float("weight_decay", weight_decay)
        self.joint_gradient_scale = checks.non_negative_float("joint_gradient_scale",
                                                              joint_gradient_scale)
        if self.joint_gradient_scale == 0:
            raise ValueError("`joint_gradient_scale` must be > 0. "
                             "Received: joint_gradient_scale=0")
        if not isinstance(data_init, bool):
            raise TypeError(f"`data_init` must be True or False. "
                            f"Received: data_init={data_init!r}")
        self.data_init = data_init
        self.set_log_partition(log_partition)
        self.build((None,) + self.event_shape)
        self.pretrain_layer(pretraining_layer, name="pretraining_layer")
        self.pretraining_epochs = _stages.check_stage_epochs(
            "pretraining_epochs", pretraining_epochs, len(self.hidden_units))

    def build(self, input_shape):
        if self.built:
            return
        decay = self.weight_decay
        self.kernels = [self.add_weight(
            shape=(self.sizes[l - 1], self.sizes[l]), name=f"kernel_{l}",
            initializer=keras.initializers.RandomNormal(
                0.0, 0.01, seed=None if self._seed is None else self._seed + l),
            regularizer=keras.regularizers.L2(0.5 * decay) if decay else None)
            for l in range(1, len(self.sizes))]
        self.biases = [self.add_weight(shape=(n,), initializer="zeros", name=f"bias_{l}")
                       for l, n in enumerate(self.sizes)]
        self.initialized = self.add_state("initialized", ())
        self.chains = self.add_state("chains", (self.num_chains, sum(self.sizes)))
        self.built = True

    @property
    def data_range(self):
        """``(0, 1)``: binary pixels."""
        return (0.0, 1.0)

    def filters(self):  # kgen.callbacks.FilterGrid
        return self.kernels[0]

    def _flat(self, x):
        return tf.reshape(tf.cast(x, tf.float32), (-1, self.num_visible))

    def _split(self, state):
        return tf.split(state, self.sizes, axis=-1)

    def _input(self, l, xs):
        """The total input b_l + x_{l-1} W_l + x_{l+1} W_{l+1}^T of layer l."""
        total = self.biases[l]
        if l > 0:
            total = total + tf.matmul(xs[l - 1], self.kernels[l - 1])
        if l + 1 < len(xs):
            total = total + tf.matmul(xs[l + 1], self.kernels[l], transpose_b=True)
        return total

    def _energy(self, xs):
        energy = -tf.add_n([tf.linalg.matvec(x, b) for x, b in zip(xs, self.biases)])
        for l, w in enumerate(self.kernels):
            energy -= tf.reduce_sum(tf.matmul(xs[l], w) * xs[l + 1], -1)
        return energy

    # --- the mean-field posterior and the bound ------------------------------------------
    def _mean_field(self, v):
        mus, top = [v], len(self.sizes) - 1
        for l in range(1, top + 1):  # bottom-up, doubled weights below the top
            scale = 1.0 if l == top else 2.0
            mus.append(tf.sigmoid(self.biases[l] + scale * tf.matmul(mus[-1],
                                                                     self.kernels[l - 1])))
        def sweep(i, hidden):
            hidden = list(hidden)
            for l in range(1, top + 1):
                hidden[l - 1] = tf.sigmoid(self._input(l, [v] + hidden))
            return i + 1, hidden

        _, hidden = tf.while_loop(lambda i, _: i < self.mean_field_steps, sweep,
                                  (tf.constant(0), mus[1:]))
        return [v] + list(hidden)

    def mean_field(self, x):
        """The mean-field posterior means [mu_1, ..., mu_L], each ``[batch, n_l]``."""
        return self._mean_field(self._flat(self.checked_inputs(x)))[1:]

    def _free_energy(self, v):
        mus = self._mean_field(v)
        entropy = tf.add_n([-tf.reduce_sum(tf.math.xlogy(m, m) + tf.math.xlogy(1 - m, 1 - m),
                                           -1) for m in mus[1:]])
        return self._energy(mus) - entropy

    def call(self, x, training=None):
        return self._free_energy(self._flat(x))

    def mean_field_free_energy(self, x):
        """F_q(x) = E(x, mu) - sum_l H(mu_l), ``[batch]`` in nats (>= F(x) = -log p*(x))."""
        return self._free_energy(self._flat(self.checked_inputs(x)))

    def lower_bound(self, x):
        """log p(x) >= -F_q(x) - log Z, ``[batch]`` in nats, with the stored log Z.

        Raises:
            ValueError: naming ``log_partition`` if none is stored, ``x`` on bad data.
        """
        v = self._flat(self.checked_inputs(x))
        return -self._free_energy(v) - self.require_log_partition()

    def exact_log_partition(self):
        """log Z by enumerating the odd layers (<= 20 units in all), float64; the
        even layers, independent given them, are summed out in closed form.

        Returns:
            dict ``log_z`` (nats), ``method`` (``"exact"``), ``num_states``.

        Raises:
            ValueError: naming ``hidden_units`` if the odd layers exceed 20 units.
        """
        odd = list(range(1, len(self.sizes), 2))
        units = sum(self.sizes[l] for l in odd)
        if units > MAX_ENUMERATED_UNITS:
            raise ValueError(f"`hidden_units` must give the odd layers at most "
                             f"{MAX_ENUMERATED_UNITS} units to enumerate. Received: "
                             f"hidden_units={self.hidden_units} ({units} odd units)")
        ws = [np.asarray(w, np.float64) for w in self.kernels]
        bs = [np.asarray(b, np.float64) for b in self.biases]
        bits, terms = 1 << np.arange(units), []
        for start in range(0, 2 ** units, _CHUNK):
            codes = np.arange(start, min(start + _CHUNK, 2 ** units))
            states = ((codes[:, None] & bits) > 0).astype(np.float64)
            xs, at = {}, 0
            for l in odd:
                xs[l], at = states[:, at:at + self.sizes[l]], at + self.sizes[l]
            term = sum(xs[l] @ bs[l] for l in odd)
            for l in range(0, len(self.sizes), 2):
                a = bs[l] + (xs[l - 1] @ ws[l - 1] if l > 0 else 0.0)
                a = a + (xs[l + 1] @ ws[l].T if l + 1 in xs else 0.0)
                term = term + np.logaddexp(0.0, a).sum(-1)
            terms.append(term)
        terms = np.concatenate(terms)
        log_z = terms.max() + math.log(np.exp(terms - terms.max()).sum())
        return {"log_z": float(log_z), "method": "exact", "num_states": 2 ** units}

    # --- Gibbs sampling ------------------------------------------------------------------
    def _gibbs(self, xs, num_steps, seed=None):
        """``num_steps`` sweeps (odd layers, then even) from the layers ``xs``; returns
        the layers and the last p(v = 1 | x_1)."""
        def body(i, xs, probs):
            xs = list(xs)
            for parity in (1, 0):
                for l in range(parity, len(xs), 2):
                    p = tf.sigmoid(self._input(l, xs))
                    probs = p if l == 0 else probs
                    xs[l] = _gibbs.bernoulli(self.uniform, p, sub_seed(seed, i * len(xs) + l))
            return i + 1, xs, probs

        _, xs, probs = tf.while_loop(lambda i, *_: i < num_steps, body,
                                     (tf.constant(0), list(xs), tf.zeros_like(xs[0])))
        return xs, probs

    def sample(self, num_samples, seed=None, num_steps=1000, mean=False, **condition):
        """Draws v by ``num_steps`` Gibbs sweeps from uniformly random layers.

        Returns:
            ``[num_samples, *event_shape]`` float32 (0s and 1s, or with ``mean``
            the last sweep's p(v | x_1)).

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``num_steps``, ``mean``
                or ``seed``.
        """
        num_samples = partition.unconditional_count(self, num_samples, condition)
        num_steps, mean, _ = partition.sampling_args(num_steps, mean, 1.0)
        return self._compiled_sample(num_samples, num_steps, partition.seed_tensor(seed), mean)

    def _sample(self, num_samples, num_steps, seed=None, mean=False):
        start = self.uniform((num_samples, sum(self.sizes)), seed=sub_seed(seed, 0)) < 0.5
        xs, probs = self._gibbs(self._split(tf.cast(start, tf.float32)), num_steps,
                                sub_seed(seed, 1))
        return tf.reshape(probs if mean else xs[0],
                          tf.concat([[num_samples], self.event_shape], 0))

    _compiled_sample = tf.function(_sample)

    # --- training ------------------------------------------------------------------------
    def compute_terms(self, x, training=None, negative=None):
        """Per-example ``loss`` (E(v, mu) - mean E(chains)), ``reconstruction_error``
        (v against sigmoid(b_0 + mu_1 W_1^T)) and ``mean_field_free_energy``."""
        v = self._flat(x)
        mus = [tf.stop_gradient(m) for m in self._mean_field(v)]
        negative = self._split(self.chains) if negative is None else negative
        loss = self._energy(mus) - tf.reduce_mean(self._energy(negative))
        entropy = tf.add_n([-tf.reduce_sum(tf.math.xlogy(m, m) + tf.math.xlogy(1 - m, 1 - m),
                                           -1) for m in mus[1:]])
        reconstruction = tf.sigmoid(self._input(0, mus))
        return {"loss": loss, "mean_field_free_energy": self._energy(mus) - entropy,
                "reconstruction_error": tf.reduce_sum(tf.square(v - reconstruction), -1)}

    def pretrain_layer(self, index, name="index"):
        """Makes ``fit`` pre-train RBM ``index`` (None: joint training); retraces.

        Raises:
            ValueError / TypeError: naming ``index`` outside [0, L).
        """
        if index is not None:
            index = checks.positive_int(name, index, minimum=0)
            if index >= len(self.kernels):
                raise ValueError(f"`{name}` must be None or in [0, {len(self.kernels)}). "
                                 f"Received: {name}={index}")
        self.pretraining_layer = index
        self.train_function = None

    def train_step(self, data):
        v = self._flat(self.unpack_batch(data))
        if self.pretraining_layer is not None:
            return self.update_metrics(_dbm_pretrain.step(self, v))
        negative = [tf.stop_gradient(x) for x in self._gibbs(self._split(self.chains),
                                                              self.k)[0]]
        with tf.GradientTape() as tape:
            terms = self.compute_terms(v, training=True, negative=negative)
            loss = self.joint_gradient_scale * self.total_loss(terms["loss"])
        self.minimize(loss, tape)
        self.chains.assign(tf.concat(negative, -1))
        return self.update_metrics(terms)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``; first, with ``data_init`` and not yet ``initialized``,
        the visible biases from the base rates of the first 1,000 examples and
        the chains' visible layer at examples. Drops a stored log Z."""
        self.validate_data(x)
        if self.data_init and not float(keras.ops.convert_to_numpy(self.initialized)):
            v = self.validate_inputs(partition.first_examples(x, 1000)).reshape(
                -1, self.num_visible)
            self.biases[0].assign(partition.base_rate_logits(v))
            chains = np.zeros((self.num_chains, sum(self.sizes)), np.float32)
            chains[:, :self.num_visible] = v[np.arange(self.num_chains) % len(v)]
            self.chains.assign(chains)
            self.initialized.assign(1.0)
        if self.pretraining_epochs is not None:
            stages = len(self.pretraining_epochs)  # the last stage: joint training
            kwargs = _stages.add_schedule(kwargs, _stages.StageSchedule(
                self.pretraining_epochs,
                lambda: stages if self.pretraining_layer is None else self.pretraining_layer,
                lambda stage: self.pretrain_layer(None if stage == stages else stage)))
        self.set_log_partition(None)
        return super().fit(x, y, *args, **kwargs)

    # --- serving and config --------------------------------------------------------------
    def serving_signatures(self):
        free = _serving.on_x(self, lambda x: {"free_energy": self._free_energy(self._flat(x))})
        signatures = {"serving_default": free, "mean_field_free_energy": free,
                      "sample": _serving.gibbs_sample(self)}
        if self.log_partition is not None:
            signatures["lower_bound"] = _serving.free_energy_bound(self, "lower_bound")
        return signatures

    def get_config(self):
        return {**super().get_config(), "num_visible": self.num_visible,
                "hidden_units": list(self.hidden_units), "k": self.k,
                "num_chains": self.num_chains, "mean_field_steps": self.mean_field_steps,
                "weight_decay": self.weight_decay, "data_init": self.data_init,
                "pretraining_layer": self.pretraining_layer,
                "pretraining_epochs": None if self.pretraining_epochs is None
                else list(self.pretraining_epochs),
                "joint_gradient_scale": self.joint_gradient_scale,
                "log_partition": self.log_partition}


__all__ = ["DBM"]
