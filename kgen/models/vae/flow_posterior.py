"""Planar and radial flow posteriors for the VAE (Rezende & Mohamed 2015, arXiv:1505.05770)."""

import keras
import tensorflow as tf

from kgen import checks
from kgen.layers.planar import planar_forward, planar_u_hat, radial_alpha_beta, radial_forward
from kgen.models.vae.posteriors import GaussianPosterior, reparameterized_sample
from kgen.serialization import register_serializable


class _AmortizedFlowPosterior(GaussianPosterior):
    """A diagonal Gaussian q_0(z_0|x) and ``num_flows`` steps whose parameters
    the encoder gives per example (a second dense head, ``flow_params``)."""

    def __init__(self, latent_dim, num_flows=10, min_scale=1e-4, **kwargs):
        super().__init__(latent_dim, min_scale=min_scale, **kwargs)
        self.num_flows = checks.positive_int("num_flows", num_flows, minimum=0)
        self.flow_head = None
        if self.num_flows:
            self.flow_head = keras.layers.Dense(self.num_flows * self._step_size(),
                                                name="flow_params")

    @property
    def analytic_kl(self):
        """Closed-form KL only without flow steps (then q is ``GaussianPosterior``)."""
        return self.num_flows == 0

    def build(self, input_shape):
        super().build(input_shape)
        if self.flow_head is not None:
            self.flow_head.build(input_shape)

    def flow_params(self, h):
        """The steps' parameters, ``[batch, num_flows, step size]`` (``None`` if
        ``num_flows == 0``)."""
        if self.flow_head is None:
            return None
        return tf.reshape(self.flow_head(h), (-1, self.num_flows, self._step_size()))

    def flow(self, z, params):
        """Applies the steps to ``z`` ``[..., batch, D]`` with ``params`` from
        ``flow_params``; returns ``z_K`` and sum_k log|det dz_k/dz_{k-1}|,
        ``[..., batch]``."""
        total = tf.zeros(tf.shape(z)[:-1], z.dtype)
        for k in range(self.num_flows):
            z, log_det = self._step(z, params[:, k])
            total += log_det
        return z, total

    def mean(self, h):
        """The flow applied to the mean of q_0, ``[batch, latent_dim]``."""
        return self.flow(self(h)[0], self.flow_params(h))[0]

    def sample_and_log_prob(self, h, noise):
        """``z_K`` ``[k, batch, D]`` and log q_K(z_K|x) = log q_0(z_0|x) - sum_k
        log|det dz_k/dz_{k-1}| ``[k, batch]``, from standard-normal ``noise``."""
        z, log_q = reparameterized_sample(*self(h), noise)
        z, log_det = self.flow(z, self.flow_params(h))
        return z, log_q - log_det

    def _step_size(self):
        """Parameters of one step."""
        raise NotImplementedError

    def _step(self, z, params):
        """One step on ``z`` with ``params`` ``[batch, step size]``: ``(z', log|det|)``."""
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "num_flows": self.num_flows}


@register_serializable
class PlanarPosterior(_AmortizedFlowPosterior):
    """Planar flow posterior q_K(z_K|x) with amortized parameters.

    Sec. 4 of Rezende & Mohamed 2015 (https://arxiv.org/abs/1505.05770): the
    encoder gives a diagonal Gaussian and, per example, the parameters
    ``(w_k, u_k, b_k)`` of ``num_flows`` planar steps (eq. 10-12):

        z_0 = mu(h) + sigma(h) * eps,                 eps ~ N(0, I)
        z_k = z_{k-1} + u_hat_k tanh(w_k . z_{k-1} + b_k)
        log q_K(z_K|x) = log q_0(z_0|x) - sum_k log|1 + u_hat_k . psi_k|

    with ``u_hat = u + (m(w.u) - w.u) w / |w|^2``, ``m(a) = -1 + softplus(a)``
    (appendix A.1), so each step is invertible. The step maths is
    ``kgen.layers.planar`` (that of ``PlanarStep``). With ``num_flows=0`` it
    is ``GaussianPosterior`` (same weights, closed-form KL).

    Args:
        latent_dim: int >= 1, dimension of z.
        num_flows: int >= 0, planar steps K.
        min_scale: float >= 0 added to sigma.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        h: encoder features ``[batch, features]``.

    Input shape:
        ``[batch, features]``.

    Output shape:
        ``call(h)``: ``(mu, sigma)`` of q_0, each ``[batch, latent_dim]``;
        ``sample_and_log_prob(h, noise)`` with noise ``[k, batch, latent_dim]``:
        ``z_K`` ``[k, batch, latent_dim]`` and log q ``[k, batch]`` (nats);
        ``mean(h)``: the flow applied to ``mu``.

    Raises:
        ValueError / TypeError: naming the argument (``num_flows=-1``, ...).

    Example:

    >>> model = kgen.models.vae.VAE(latent_dim=50, posterior=PlanarPosterior(
    ...     50, num_flows=10, name="posterior"))
    """

    def _step_size(self):
        return 2 * self.latent_dim + 1

    def _step(self, z, params):
        w, u, b = tf.split(params, [self.latent_dim, self.latent_dim, 1], axis=-1)
        return planar_forward(z, w, planar_u_hat(w, u), b[..., 0])


@register_serializable
class RadialPosterior(_AmortizedFlowPosterior):
    """Radial flow posterior q_K(z_K|x) with amortized parameters.

    As ``PlanarPosterior`` with radial steps (Rezende & Mohamed 2015,
    https://arxiv.org/abs/1505.05770, eq. 14, appendix A.2): per example and
    step the encoder gives ``z0_k`` ``[D]`` and raw ``alpha_k``, ``beta_k``,

        z_k = z_{k-1} + beta_k (z_{k-1} - z0_k) / (alpha_k + |z_{k-1} - z0_k|)

    with ``alpha = softplus(.) > 0`` and ``beta = -alpha + softplus(.)`` (so
    each step is invertible); maths of ``kgen.layers.planar`` (``RadialStep``).

    Args, Call arguments, Input / Output shape, Raises: as ``PlanarPosterior``.

    Example:

    >>> posterior = RadialPosterior(50, num_flows=10, name="posterior")
    """

    def _step_size(self):
        return self.latent_dim + 2

    def _step(self, z, params):
        z0, alpha_raw, beta_raw = tf.split(params, [self.latent_dim, 1, 1], axis=-1)
        return radial_forward(z, z0, *radial_alpha_beta(alpha_raw[..., 0], beta_raw[..., 0]))


__all__ = ["PlanarPosterior", "RadialPosterior"]
