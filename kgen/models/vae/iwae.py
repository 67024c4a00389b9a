"""Importance-weighted autoencoder (Burda et al. 2016, arXiv:1509.00519)."""

import math

import tensorflow as tf

from kgen import checks
from kgen.models.registry import register
from kgen.models.vae.vae import VAE


@register("iwae")
class IWAE(VAE):
    """Importance-weighted autoencoder: a VAE trained on the k-sample bound.

    With z_1..z_k ~ q(z|x) and w_i = p(x, z_i) / q(z_i|x) (Burda et al.
    2016, arXiv:1509.00519, eq. 8):

        L_k(x) = log (1/k) sum_i w_i   <=   log p(x),

    and L_1 is the ELBO. L_k is non-decreasing in k (their Theorem 1). The
    gradient weights each sample by its normalised importance weight (eq. 14),
    which is what autodiff of L_k gives. The training loss scales
    log p(z_i) - log q(z_i|x) inside each w_i by ``beta * kl_weight`` (beta
    weight and KL warm-up), so beta = w = 1 trains on L_k itself.

    Args:
        num_samples: int k >= 1, importance samples per example in training.
        **kwargs: as ``kgen.models.vae.VAE``.

    Metrics: ``loss`` (= -L_k with warm-up), ``iwae_bound`` (L_k), ``elbo``
    (the mean of log w_i, an unbiased ELBO estimate), nats per example.

    Example:

    >>> model = kgen.models.vae.IWAE(num_samples=50, seed=0)
    >>> model.compile(optimizer="adam")
    """

    metric_names = ("loss", "iwae_bound", "elbo")
    monitor = ("iwae_bound", "max")  # L_k is what IWAE maximises; its ELBO may fall

    def __init__(self, num_samples=5, **kwargs):
        self.num_samples = checks.positive_int("num_samples", num_samples)
        super().__init__(**kwargs)

    def compute_terms(self, x, training=None):
        log_px, log_pz, log_qz = self.log_weights(x, self.num_samples, training=training)
        log_k = math.log(self.num_samples)
        log_w = log_px + log_pz - log_qz
        warm = log_px + self.beta * self.kl_weight * (log_pz - log_qz)
        return {
            "loss": -(tf.reduce_logsumexp(warm, axis=0) - log_k),
            "iwae_bound": tf.reduce_logsumexp(log_w, axis=0) - log_k,
            "elbo": tf.reduce_mean(log_w, axis=0),
        }

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples}
