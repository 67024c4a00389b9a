"""Gaussian-Bernoulli RBM for real-valued data, trained by CD-k or persistent CD."""

import math

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.metrics.partition import MAX_ENUMERATED_UNITS
from kgen.models.base import sub_seed
from kgen.models.energy.rbm import RBM
from kgen.models.registry import register

_CHUNK = 4096


@register("gaussian_rbm")
class GaussianRBM(RBM):
    """Gaussian-Bernoulli restricted Boltzmann machine: real visible units v
    (D = ``num_visible``), binary hidden units h (H = ``num_hidden``).

    The energy of Hinton's practical guide (2010, sec. 13.2) and its free
    energy, in nats, with sigma_i = exp(``log_sigma``_i):

        E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - h.c - sum_ij (v_i / sigma_i) W_ij h_j,
        F(v) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j softplus(((v / sigma) W + c)_j),

    so p(h_j = 1 | v) = sigmoid(((v / sigma) W + c)_j) and
    p(v_i | h) = N(b_i + sigma_i (W h)_i, sigma_i^2). Block Gibbs sampling draws
    the visible units from these Gaussians (at temperature T, variance
    T sigma_i^2). With the hidden units enumerated (H <= 20), completing the square
    gives log Z exactly (``exact_log_partition``):

        log Z = sum_i log(sqrt(2 pi) sigma_i)
                + logsumexp_h [h.c + sum_i (b_i / sigma_i (W h)_i + (W h)_i^2 / 2)].

    **Training** is the RBM's (CD-k, PCD, ``weight_decay``, momentum): the
    surrogate F(v_data) - F(stop_gradient(v~)) gives the CD estimate of the
    log-likelihood gradient for every parameter, the noise levels included.
    ``learn_sigma=False`` (the default) keeps sigma = 1, as the guide advises
    for data standardized to zero mean and unit variance; ``learn_sigma=True``
    learns log sigma (Cho, Ilin & Raiko 2011 learn log sigma^2 of a slightly
    different energy, with v / sigma^2 in the interaction term; both give
    Gaussian visible conditionals). The guide recommends a learning rate one or
    two orders of magnitude smaller than for binary visibles. ``data_init``
    sets the visible biases to the data means (and log sigma to the log of the
    standard deviations when learned), and starts PCD chains at examples.

    **Metrics**: ``loss``, ``free_energy_gap`` and ``reconstruction_error``
    (sum of squared differences to the mean-field reconstruction), per example;
    no pseudo-log-likelihood (not defined by bit flips for real data).

    **Likelihood.** ``log_prob(x) = -F(x) - log Z`` is a log density in nats,
    with the stored log Z (``set_log_partition(model.exact_log_partition())``).
    ``kgen.metrics.exact_log_partition`` and AIS are for Bernoulli RBMs and
    refuse this model.

    References:
        1. Hinton, "A practical guide to training restricted Boltzmann
           machines", UTML TR 2010-003, sec. 13.2.
        2. Cho, Ilin & Raiko, "Improved learning of Gaussian-Bernoulli
           restricted Boltzmann machines", ICANN 2011.

    Args:
        num_visible, num_hidden, event_shape, k, persistent, num_chains,
            weight_decay, data_init, log_partition, seed: as for ``RBM``.
        learn_sigma: bool; True trains ``log_sigma`` [D], False (default) keeps
            sigma = 1.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        x: ``[batch, *event_shape]`` real-valued data.

    Returns (call):
        ``free_energy(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: naming the argument on an invalid one
            (``learn_sigma`` not a bool, ``k`` < 1, ...), and ``x`` on data
            of the wrong shape or not finite.

    Example:

    >>> model = kgen.models.energy.GaussianRBM(num_visible=2, num_hidden=16, k=1,
    ...                                        learn_sigma=True, seed=0)
    >>> model.compile(optimizer=keras.optimizers.SGD(0.005, momentum=0.9))
    >>> model.fit(standardized_data, epochs=20, batch_size=100)
    >>> model.set_log_partition(model.exact_log_partition())
    >>> model.log_prob(standardized_data)   # [batch], log density, nats
    """

    visible_units = "gaussian"
    metric_names = ("loss", "reconstruction_error", "free_energy_gap")
    monitor = ("reconstruction_error", "min")

    def __init__(self, num_visible=None, num_hidden=500, event_shape=None, k=1,
                 persistent=False, num_chains=100, weight_decay=0.0, learn_sigma=False,
                 data_init=True, log_partition=None, seed=None, **kwargs):
        if not isinstance(learn_sigma, bool):
            raise TypeError(f"`learn_sigma` must be True or False. "
                            f"Received: learn_sigma={learn_sigma!r}")
        self.learn_sigma = learn_sigma  # read by build, which RBM.__init__ calls
        super().__init__(num_visible=num_visible, num_hidden=num_hidden,
                         event_shape=event_shape, k=k, persistent=persistent,
                         num_chains=num_chains, weight_decay=weight_decay,
                         data_init=data_init, log_partition=log_partition, seed=seed,
                         **kwargs)

    def build(self, input_shape):
        if self.built:
            return
        super().build(input_shape)
        self.log_sigma = self.add_weight(shape=(self.num_visible,), initializer="zeros",
                                         name="log_sigma", trainable=self.learn_sigma)

    @property
    def data_range(self):
        """``None``: real-valued data."""
        return None

    @property
    def sigma(self):
        """The visible noise levels sigma = exp(log_sigma), ``[D]``."""
        return tf.exp(self.log_sigma)

    # --- the model ---------------------------------------------------------------------
    def _free_energy(self, v):
        quadratic = tf.reduce_sum(tf.square((v - self.visible_bias) / self.sigma), -1) / 2.0
        return quadratic - tf.reduce_sum(tf.nn.softplus(self._hidden_logits(v)), axis=-1)

    def _hidden_logits(self, v):
        return tf.matmul(v / self.sigma, self.kernel) + self.hidden_bias

    def visible_probabilities(self, h, temperature=1.0):
        """The mean of p(v | h), b + sigma * (h W^T), ``[batch, D]`` (at any T)."""
        return self.visible_bias + self.sigma * tf.matmul(tf.cast(h, tf.float32),
                                                          self.kernel, transpose_b=True)

    def _visible_step(self, h, seed, temperature=1.0):
        mean = self.visible_probabilities(h)
        noise = self.standard_normal(tf.shape(mean), seed=seed)
        return mean + math.sqrt(temperature) * self.sigma * noise, mean

    def _sample(self, num_samples, num_steps, seed=None, mean=False, temperature=1.0):
        noise = self.standard_normal((num_samples, self.num_visible), seed=sub_seed(seed, 0))
        start = self.visible_bias + math.sqrt(temperature) * self.sigma * noise
        v = self._gibbs(start, num_steps, seed, mean, temperature)
        return tf.reshape(v, tf.concat([[num_samples], self.event_shape], 0))

    _compiled_sample = tf.function(_sample)

    def exact_log_partition(self):
        """log Z by enumerating the 2**H hidden states (float64), the Gaussian
        integral over v in closed form (see the class docstring).

        Returns:
            dict ``log_z`` (nats), ``method`` (``"exact"``), ``layer``
            (``"hidden"``), ``num_states``, for ``set_log_partition``.

        Raises:
            ValueError: naming ``num_hidden`` if H > 20.
        """
        if self.num_hidden > MAX_ENUMERATED_UNITS:
            raise ValueError(f"`num_hidden` must be at most {MAX_ENUMERATED_UNITS} to "
                             f"enumerate the hidden states. Received: num_hidden="
                             f"{self.num_hidden}")
        w, b, c, log_sigma = (np.asarray(t, np.float64) for t in (
            self.kernel, self.visible_bias, self.hidden_bias, self.log_sigma))
        bits = 1 << np.arange(self.num_hidden)
        terms = []
        for start in range(0, 2 ** self.num_hidden, _CHUNK):
            codes = np.arange(start, min(start + _CHUNK, 2 ** self.num_hidden))
            h = ((codes[:, None] & bits) > 0).astype(np.float64)
            wh = h @ w.T
            terms.append(h @ c + (wh * b / np.exp(log_sigma) + wh ** 2 / 2.0).sum(1))
        terms = np.concatenate(terms)
        top = terms.max()
        log_z = (top + math.log(np.exp(terms - top).sum())
                 + float(np.sum(log_sigma + 0.5 * math.log(2.0 * math.pi))))
        return {"log_z": float(log_z), "method": "exact", "layer": "hidden",
                "num_states": 2 ** self.num_hidden}

    def pseudo_log_likelihood(self, x):
        """Not defined for real-valued visible units (it flips bits).

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError("GaussianRBM has no pseudo-log-likelihood (it flips "
                                  "binary units); use log_prob or reconstruction_error")

    # --- training ----------------------------------------------------------------------
    def compute_terms(self, x, training=None, negative=None):
        """Per-example ``loss`` (the CD / PCD surrogate), ``free_energy_gap`` and
        ``reconstruction_error``, ``[batch]``; ``negative`` as for ``RBM``."""
        v = self._flat(x)
        if negative is None:
            negative = (tf.convert_to_tensor(self.chains) if self.persistent and not training
                        else self.negative_samples(v))
        gap = self._free_energy(v) - tf.reduce_mean(self._free_energy(negative))
        reconstruction = self.visible_probabilities(self.hidden_probabilities(v))
        return {"loss": gap, "free_energy_gap": gap,
                "reconstruction_error": tf.reduce_sum(tf.square(v - reconstruction), -1)}

    def initialize_from_data(self, x):
        """Sets the visible biases to the means of ``x``, log sigma to the log of
        its standard deviations (floored at 1e-2) if learned, and PCD chains to
        the first examples (cycled). Sets ``initialized`` to 1.

        Raises:
            ValueError: naming ``x`` on bad data.
        """
        x = self.validate_inputs(x).reshape(-1, self.num_visible)
        self.visible_bias.assign(x.mean(0))
        if self.learn_sigma:
            self.log_sigma.assign(np.log(np.maximum(x.std(0), 1e-2)).astype(np.float32))
        if self.persistent:
            self.chains.assign(x[np.arange(self.num_chains) % len(x)])
        self.initialized.assign(1.0)

    def validate_inputs(self, x, name="x"):
        return checks.data_array(name, x, self.event_shape)

    def get_config(self):
        return {**super().get_config(), "learn_sigma": self.learn_sigma}


__all__ = ["GaussianRBM"]
