"""Fully visible Boltzmann machine: pairwise couplings of binary units, Gibbs sampling."""

import math

import keras
import tensorflow as tf

from kgen import checks
from kgen.models import _serving
from kgen.models.base import GenerativeModel, sub_seed
from kgen.models.energy import _shapes, partition
from kgen.models.registry import register

# Units whose 2**D states log Z enumerates (about a million states at most).
MAX_EXACT_UNITS = 20


def check_temperature(temperature, name="temperature"):
    """``temperature`` as a float if it is a finite number > 0, else ``ValueError``."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"`{name}` must be a finite number > 0. "
                         f"Received: {name}={temperature!r}")
    return float(temperature)


def binary_states(num_units, dtype=tf.float64):
    """All ``2**num_units`` binary vectors, ``[2**num_units, num_units]``, built by
    ops (no constant in the graph); the first unit is the most significant bit."""
    codes = tf.range(2 ** num_units, dtype=tf.int64)[:, None]
    bits = tf.bitwise.left_shift(tf.constant(1, tf.int64),
                                 tf.range(num_units - 1, -1, -1, dtype=tf.int64))
    return tf.cast(tf.bitwise.bitwise_and(codes, bits) > 0, dtype)


@register("fvbm")
class FVBM(_serving.BinaryData, GenerativeModel):
    """Fully visible Boltzmann machine (the lectures' Boltzmann machine without
    hidden units) over D binary units y in {0, 1}^D.

        E(y) = -1/2 y^T W y - b^T y,     p_T(y) = exp(-E(y) / T) / Z_T,

    with W = ``coupling`` symmetric with a zero diagonal (the trainable
    ``kernel`` K gives W = (K + K^T) / 2 with the diagonal masked), ``bias`` b
    ``[D]`` and the temperature T = ``temperature``. Each unit's conditional is
    p(y_i = 1 | y_-i) = sigmoid(((W y)_i + b_i) / T).

    **Sampling** is systematic-scan Gibbs sampling: one sweep updates the units
    in the order 1, ..., D, each from its conditional given the current others
    (which leaves p_T invariant); noise only from the model's ``uniform``.

    **Likelihood.** For D <= 20, ``log_prob(y) = -E(y) / T - log Z_T`` in nats
    is exact: ``log_partition()`` enumerates all 2**D states in float64.

    **Training** (``fit``). With ``k=None`` (the default; D <= 20) the loss is
    the exact negative log-likelihood, mean E(y)/T + log Z_T, so its gradient
    is the exact maximum-likelihood gradient (E_data - E_model of the
    sufficient statistics y y^T and y, over T). With ``k >= 1`` (any D) it is
    CD-k: the surrogate mean E(y)/T - mean E(stop_gradient(y~))/T with y~ after
    k Gibbs sweeps from the data (Hinton 2002). ``pseudo_log_likelihood`` is
    the exact sum_i log p(y_i | y_-i), nats, per example.

    References:
        1. Ackley, Hinton & Sejnowski, "A learning algorithm for Boltzmann
           machines", Cognitive Science 9, 1985.
        2. Hinton, "Training products of experts by minimizing contrastive
           divergence", Neural Computation 14(8), 2002.

    Args:
        num_visible: int D >= 1, or None to take ``prod(event_shape)``.
        event_shape: shape of one example (``prod == num_visible``).
        temperature: float T > 0; default 1.
        k: None for exact maximum likelihood (D <= 20), or int >= 1 for CD-k.
        seed: optional int >= 0 seeding the initial weights (N(0, 0.01^2)) and
            every random draw.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        ``energy(x)``, ``[batch]`` (nats at T = 1).

    Raises:
        ValueError / TypeError: naming the argument (``temperature`` <= 0,
            ``k`` < 1, ``num_visible``), and ``x`` on non-binary or misshapen
            data; ``log_prob`` and ``k=None`` name ``num_visible`` above 20.

    Example:

    >>> model = kgen.models.energy.FVBM(num_visible=10, seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(0.05))
    >>> model.fit(binary_data, epochs=50, batch_size=100)
    >>> model.log_prob(binary_data)        # [batch], nats, exact
    >>> model.sample(1000, num_steps=100)  # Gibbs sweeps
    """

    metric_names = ("loss", "pseudo_log_likelihood")
    monitor = ("pseudo_log_likelihood", "max")

    def __init__(self, num_visible=None, event_shape=None, temperature=1.0, k=None,
                 seed=None, **kwargs):
        num_visible, event_shape = _shapes.visible_event_shape(num_visible, event_shape)
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        size = _shapes.visible_size(num_visible, self.event_shape)
        self.num_visible = size
        self.temperature = check_temperature(temperature)
        self.k = None if k is None else checks.positive_int("k", k)
        if self.k is None:
            self._check_exact("k")
        self.build((None,) + self.event_shape)

    def build(self, input_shape):
        if self.built:
            return
        d = self.num_visible
        self.kernel = self.add_weight(
            shape=(d, d), name="kernel",
            initializer=keras.initializers.RandomNormal(0.0, 0.01, seed=self._seed))
        self.bias = self.add_weight(shape=(d,), initializer="zeros", name="bias")
        self.built = True

    @property
    def data_range(self):
        """``(0, 1)``: binary units."""
        return (0.0, 1.0)

    @property
    def coupling(self):
        """W = (K + K^T) / 2 with a zero diagonal, ``[D, D]``."""
        k = tf.convert_to_tensor(self.kernel)
        return 0.5 * (k + tf.transpose(k)) * (1.0 - tf.eye(self.num_visible))

    def _check_exact(self, name):
        if self.num_visible > MAX_EXACT_UNITS:
            raise ValueError(
                f"`{name}`: exact log Z enumerates 2**D states, for at most "
                f"{MAX_EXACT_UNITS} units; use CD-k (k >= 1) for training and "
                f"pseudo_log_likelihood. Received: num_visible={self.num_visible}")

    # --- energy and likelihood -------------------------------------------------------
    def call(self, x, training=None):
        return self._energy(self._flat(x))

    def _flat(self, x):
        return tf.reshape(tf.cast(x, tf.float32), (-1, self.num_visible))

    def _energy(self, y, w=None, b=None):
        w = self.coupling if w is None else w
        b = self.bias if b is None else b
        return -(0.5 * tf.reduce_sum(tf.matmul(y, w) * y, -1) + tf.linalg.matvec(y, b))

    def energy(self, x):
        """E(x) = -1/2 x^T W x - b^T x, ``[batch]`` (nats at T = 1).

        Raises:
            ValueError / TypeError: naming ``x`` on bad data (when eager).
        """
        return self._energy(self._flat(self.checked_inputs(x)))

    def _log_partition(self):
        w, b = tf.cast(self.coupling, tf.float64), tf.cast(self.bias, tf.float64)
        states = binary_states(self.num_visible)
        return tf.reduce_logsumexp(-self._energy(states, w, b) / self.temperature)

    def log_partition(self):
        """log Z_T = log sum_y exp(-E(y) / T), exact, nats (a float64 scalar tensor).

        Raises:
            ValueError: naming ``num_visible`` if D > 20.
        """
        self._check_exact("num_visible")
        return self._log_partition()

    def log_prob(self, x):
        """log p_T(x) = -E(x) / T - log Z_T, ``[batch]`` in nats, exact (D <= 20).

        Raises:
            ValueError: naming ``num_visible`` if D > 20, ``x`` on bad data.
        """
        self._check_exact("num_visible")
        return self._log_prob(self._flat(self.checked_inputs(x)))

    def _log_prob(self, y):
        return tf.cast(-tf.cast(self._energy(y), tf.float64) / self.temperature
                       - self._log_partition(), tf.float32)

    def pseudo_log_likelihood(self, x):
        """sum_i log p(x_i | x_-i) = sum_i log sigmoid((2 x_i - 1) ((W x)_i + b_i) / T),
        ``[batch]`` in nats, exact."""
        return self._pseudo_log_likelihood(self._flat(self.checked_inputs(x)))

    def _pseudo_log_likelihood(self, y):
        fields = (tf.matmul(y, self.coupling) + self.bias) / self.temperature
        return -tf.reduce_sum(tf.nn.softplus(-(2.0 * y - 1.0) * fields), -1)

    # --- Gibbs sampling ----------------------------------------------------------------
    def _gibbs(self, y, num_steps, seed=None, temperature=None):
        """``num_steps`` systematic-scan sweeps (units 0..D-1 in turn) from flat ``y``."""
        t = self.temperature if temperature is None else temperature
        w, b, d = self.coupling, self.bias, self.num_visible

        def body(step, y):
            i = step % d
            field = (tf.linalg.matvec(y, w[i]) + b[i]) / t  # W_ii = 0: y_i drops out
            noise = self.uniform(tf.shape(field), seed=sub_seed(seed, step + 1))
            new = tf.cast(noise < tf.sigmoid(field), tf.float32)
            column = tf.one_hot(i, d)
            return step + 1, y + column * (new - tf.gather(y, i, axis=1))[:, None]

        _, y = tf.while_loop(lambda step, _: step < num_steps * d, body, (tf.constant(0), y))
        return y

    _compiled_gibbs = tf.function(_gibbs)

    def gibbs(self, x, num_steps=1, seed=None, temperature=None):
        """Runs ``num_steps`` Gibbs sweeps (each updating every unit once, in order).

        Args:
            x: ``[batch, *event_shape]`` binary start states.
            num_steps: int >= 1 sweeps.
            seed: optional int >= 0; ``None`` draws from the model's generator.
            temperature: float T > 0, or None for the model's.

        Returns:
            ``[batch, *event_shape]`` float32 0s and 1s.
        """
        num_steps, temperature = self._sampling_args(num_steps, temperature)
        seed = checks.seed("seed", seed)
        seed = None if seed is None else tf.constant(seed, tf.int64)
        y = self._compiled_gibbs(self._flat(self.checked_inputs(x)), num_steps, seed,
                                 temperature)
        return tf.reshape(y, tf.shape(x))

    def _sampling_args(self, num_steps, temperature):
        num_steps = checks.positive_int("num_steps", num_steps)
        temperature = self.temperature if temperature is None else check_temperature(temperature)
        return num_steps, temperature

    def sample(self, num_samples, seed=None, num_steps=100, temperature=None, **condition):
        """Draws by ``num_steps`` Gibbs sweeps from uniform random states.

        Approximate: the chains follow p_T after enough sweeps (tested against
        enumeration). At high T the samples are near uniform; as T -> 0 they
        concentrate on the minima of E.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0; ``None`` draws from the model's generator.
            num_steps: int >= 1 sweeps; default 100.
            temperature: float T > 0, or None (default) for the model's.
            **condition: none; the model is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` float32 0s and 1s.

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``num_steps``,
                ``temperature`` (<= 0) or ``seed``.
        """
        num_samples = partition.unconditional_count(self, num_samples, condition)
        num_steps, temperature = self._sampling_args(num_steps, temperature)
        return self._compiled_sample(num_samples, num_steps, partition.seed_tensor(seed),
                                     temperature)

    def _sample(self, num_samples, num_steps, seed=None, temperature=None):
        start = tf.cast(self.uniform((num_samples, self.num_visible), seed=sub_seed(seed, 0))
                        < 0.5, tf.float32)
        y = self._gibbs(start, num_steps, sub_seed(seed, 1), temperature)
        return tf.reshape(y, tf.concat([[num_samples], self.event_shape], 0))

    _compiled_sample = tf.function(_sample)

    # --- training ----------------------------------------------------------------------
    def compute_terms(self, x, training=None):
        """Per-example ``loss`` (exact NLL, nats, for k=None; else the CD-k
        surrogate) and ``pseudo_log_likelihood``."""
        y = self._flat(x)
        if self.k is None:
            loss = -tf.cast(self._log_prob(y), tf.float32)
        else:
            negative = tf.stop_gradient(self._gibbs(y, self.k))
            loss = (self._energy(y) - tf.reduce_mean(self._energy(negative))) / self.temperature
        return {"loss": loss, "pseudo_log_likelihood": self._pseudo_log_likelihood(y)}

    # --- serving and config ------------------------------------------------------------
    def serving_signatures(self):
        energy = _serving.on_x(self, lambda x: {"energy": self._energy(self._flat(x))})
        signatures = {"energy": energy, "serving_default": energy,
                      "sample": _serving.gibbs_sample(self)}
        if self.num_visible <= MAX_EXACT_UNITS:
            log_prob = _serving.on_x(self, lambda x: {"log_prob": self._log_prob(self._flat(x))})
            signatures.update(log_prob=log_prob, serving_default=log_prob)
        return signatures

    def get_config(self):
        return {**super().get_config(), "num_visible": self.num_visible,
                "temperature": self.temperature, "k": self.k}


__all__ = ["FVBM", "MAX_EXACT_UNITS", "binary_states", "check_temperature"]
