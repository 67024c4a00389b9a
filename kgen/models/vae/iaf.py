"""Inverse autoregressive flow posterior (Kingma et al. 2016, arXiv:1606.04934)."""

import numbers

import keras
import tensorflow as tf

from kgen import checks
from kgen.bijectors import gated_iaf_step
from kgen.layers.made import _ORDERS, MADE
from kgen.models.vae.posteriors import loc_and_scale, reparameterized_sample
from kgen.serialization import register_serializable


@register_serializable
class IAFPosterior(keras.layers.Layer):
    """Inverse autoregressive flow posterior q(z|x) for a VAE.

    From the encoder's features `h`, a dense head gives a diagonal Gaussian
    (as in `GaussianPosterior`) and, optionally, a context vector `c`;
    `num_flows` IAF steps then refine the Gaussian sample (Kingma et al.
    2016, https://arxiv.org/abs/1606.04934, eq. 10-14, with the numerically
    stable gated update of eq. 14):

        z_0 = mu(h) + sigma_0(h) * eps,              eps ~ N(0, I)
        [m_t, s_t] = MADE_t(z_{t-1}, c(h))            (autoregressive in z)
        sigma_t = sigmoid(s_t + gate_bias)
        z_t = sigma_t * z_{t-1} + (1 - sigma_t) * m_t
        log q(z_T | x) = log N(eps; 0, I) - sum_i [log sigma_0,i
                         + sum_t log sigma_t,i]

    Each step is `tfb.Invert(tfb.MaskedAutoregressiveFlow(...))` driven by a
    kgen `MADE` (Keras 3, so the VAE sees and saves its weights), built by
    `kgen.bijectors.gated_iaf_step`. The ordering is reversed between steps
    (the MADEs alternate `input_order`). Sampling and `log q` take one MADE
    pass per step; the flow is never inverted. `gate_bias` is the paper's "sufficiently positive"
    initial `s_t`: with the near-zero MADE output layers, each step starts
    close to the contraction `z -> sigmoid(gate_bias) * z` (0.88 z for the
    default 2.0, a log-det of about `latent_dim * log 0.88`), which the
    learned `m_t, s_t` then move away from.

    Args:
        latent_dim: int >= 1, dimension of z.
        num_flows: int >= 1, number of IAF steps.
        hidden_units: tuple of ints, hidden widths of each step's MADE.
        context_units: optional int >= 1, size of the context `c(h)` given
            to every MADE; `None` for no context.
        activation: activation of the MADE hidden layers.
        gate_bias: float added to `s_t` (so `sigma_t` starts near
            `sigmoid(gate_bias)`).
        min_scale: float >= 0 added to `sigma_0` for numerical safety.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        h: encoder features `[batch, features]`.

    Input shape:
        `[batch, features]`.

    Output shape:
        `call(h)` returns `(mu, sigma_0, context)`: `[batch, latent_dim]`
        twice and `[batch, context_units]` (or `None` without context).
        `sample_and_log_prob(h, noise)` with noise `[k, batch, latent_dim]`
        returns `z` `[k, batch, latent_dim]` and `log q` `[k, batch]` (nats);
        `mean(h)` returns the flow applied to `mu`, `[batch, latent_dim]`.

    Raises:
        ValueError / TypeError: on invalid arguments (e.g. `num_flows=0`).

    Example:

    >>> posterior = IAFPosterior(50, num_flows=2, hidden_units=(320, 320),
    ...                          context_units=50)
    >>> model = kgen.models.vae.VAE(latent_dim=50, posterior=posterior)
    >>> model.compile(optimizer="adam")
    """

    analytic_kl = False

    def __init__(self, latent_dim, num_flows=2, hidden_units=(320, 320), context_units=None,
                 activation="elu", gate_bias=2.0, min_scale=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = checks.positive_int("latent_dim", latent_dim)
        self.num_flows = checks.positive_int("num_flows", num_flows)
        if isinstance(hidden_units, int):
            hidden_units = (hidden_units,)
        self.hidden_units = tuple(hidden_units)
        self.context_units = (None if context_units is None
                              else checks.positive_int("context_units", context_units))
        self.activation = keras.activations.get(activation)
        if isinstance(gate_bias, bool) or not isinstance(gate_bias, numbers.Real):
            raise TypeError(
                f"`gate_bias` must be a real number. Received: gate_bias={gate_bias!r}")
        self.gate_bias = float(gate_bias)
        self.min_scale = checks.non_negative_float("min_scale", min_scale)
        self.head = keras.layers.Dense(2 * self.latent_dim, name="loc_scale")
        self.context_head = (keras.layers.Dense(self.context_units, name="context")
                             if self.context_units else None)
        self.mades = [
            MADE(self.latent_dim, self.hidden_units, params=2, activation=self.activation,
                 input_order=_ORDERS[t % 2], context_units=self.context_units,
                 name=f"made_{t}")
            for t in range(self.num_flows)
        ]

    def build(self, input_shape):
        self.head.build(input_shape)
        if self.context_head is not None:
            self.context_head.build(input_shape)
        for made in self.mades:
            made.build((None, self.latent_dim))

    def call(self, h):
        loc, scale = loc_and_scale(self.head(h), self.min_scale)
        context = None if self.context_head is None else self.context_head(h)
        return loc, scale, context

    def mean(self, h):
        loc, _, context = self(h)
        return self._flow(loc, context, log_det=False)[0]

    def sample_and_log_prob(self, h, noise):
        loc, scale, context = self(h)
        z, log_q = reparameterized_sample(loc, scale, noise)  # z_0, log q(z_0 | x)
        shape = tf.shape(noise)  # [k, batch, latent_dim]
        if context is not None:
            context = tf.broadcast_to(context, tf.concat([shape[:1], tf.shape(context)], 0))
            context = tf.reshape(context, (-1, self.context_units))
        z, log_det = self._flow(tf.reshape(z, (-1, self.latent_dim)), context)
        return tf.reshape(z, shape), log_q - tf.reshape(log_det, shape[:2])

    def _flow(self, z, context, log_det=True):
        """Applies the IAF steps to ``z`` ``[n, latent_dim]``; returns ``z_T``
        and the summed forward log-det ``[n]`` (``None`` if not ``log_det``)."""
        total = None
        for made in self.mades:
            step = gated_iaf_step(made, context, self.gate_bias)
            if log_det:
                ldj = step.forward_log_det_jacobian(z, event_ndims=1)
                total = ldj if total is None else total + ldj
            z = step.forward(z)
        return z, total

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "num_flows": self.num_flows,
            "hidden_units": list(self.hidden_units),
            "context_units": self.context_units,
            "activation": keras.activations.serialize(self.activation),
            "gate_bias": self.gate_bias,
            "min_scale": self.min_scale,
        }


__all__ = ["IAFPosterior"]
