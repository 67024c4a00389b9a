"""Approximate posteriors q(z | x) of the VAE family.

A posterior layer takes the encoder's features ``h`` (``[batch, features]``)
and offers:

- ``sample_and_log_prob(h, noise)``: reparameterised samples ``z`` of shape
  ``[k, batch, latent_dim]`` from standard-normal ``noise`` of the same shape,
  and ``log q(z | x)`` of shape ``[k, batch]`` in nats;
- ``mean(h)``: a deterministic code ``[batch, latent_dim]`` (used by ``encode``);
- ``distribution(h)``: the ``tfd`` distribution, when it has a closed form
  (``analytic_kl = True``), for ``tfd.kl_divergence`` against the prior.

The model draws the noise (from its seed generator), so every posterior is
seeded the same way.
"""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.serialization import register_serializable

tfd = tfp.distributions

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def standard_normal_log_prob(z):
    """log N(z; 0, I) summed over the last axis, in nats."""
    return -tf.reduce_sum(0.5 * tf.square(z) + _HALF_LOG_2PI, axis=-1)


def loc_and_scale(params, min_scale):
    """Splits a dense head's output ``[..., 2 d]`` into ``loc`` and
    ``scale = softplus(.) + min_scale``, each ``[..., d]``."""
    loc, raw_scale = tf.split(params, 2, axis=-1)
    return loc, tf.nn.softplus(raw_scale) + min_scale


def reparameterized_sample(loc, scale, noise):
    """``z = loc + scale * noise`` and ``log N(z; loc, scale^2)`` summed over the
    last axis (nats), for standard-normal ``noise`` ``[k, batch, d]``."""
    z = loc + scale * noise
    log_q = standard_normal_log_prob(noise) - tf.reduce_sum(tf.math.log(scale), axis=-1)
    return z, log_q


@register_serializable
class GaussianPosterior(keras.layers.Layer):
    """Diagonal Gaussian q(z|x) = N(mu(h), diag(sigma(h)^2)).

    A dense head maps ``h`` to ``mu`` and a pre-softplus scale (Kingma &
    Welling 2014, arXiv:1312.6114, eq. 9-10). ``sigma = softplus(.) + min_scale``.

    Args:
        latent_dim: int >= 1, dimension of z.
        min_scale: float >= 0 added to sigma for numerical safety.

    Input shape: ``[batch, features]``.
    Output: ``(mu, sigma)``, each ``[batch, latent_dim]``.
    """

    analytic_kl = True

    def __init__(self, latent_dim, min_scale=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = checks.positive_int("latent_dim", latent_dim)
        self.min_scale = checks.non_negative_float("min_scale", min_scale)
        self.head = keras.layers.Dense(2 * self.latent_dim, name="loc_scale")

    def build(self, input_shape):
        self.head.build(input_shape)

    def call(self, h):
        return loc_and_scale(self.head(h), self.min_scale)

    def mean(self, h):
        return self(h)[0]

    def distribution(self, h):
        loc, scale = self(h)
        return tfd.Independent(tfd.Normal(loc, scale), reinterpreted_batch_ndims=1)

    def sample_and_log_prob(self, h, noise):
        return reparameterized_sample(*self(h), noise)

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "min_scale": self.min_scale,
        }
