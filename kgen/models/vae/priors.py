"""Priors p(z) of the VAE family: the standard normal, or a kgen normalizing flow.

A prior layer offers ``latent_dim``, ``analytic_kl`` (whether the VAE may use a
closed-form KL against it), ``log_prob(z)`` (``[..., latent_dim]`` -> ``[...]``,
nats) and ``sample(noise)``: ``z`` from standard-normal ``noise`` of the same shape
(the model draws the noise, so its one noise source stays the only one).
"""

import keras
import tensorflow as tf

from kgen import checks
from kgen.bijectors.flow_bijector import forward_and_log_det
from kgen.models.vae.posteriors import standard_normal_log_prob
from kgen.serialization import register_serializable

# The flows a prior can be named by, and their default arguments (MADE / coupling
# networks of the IAF posterior's size; no ActNorm: no data-dependent init in a VAE).
FLOW_DEFAULTS = {"maf": {"num_flows": 2, "hidden_units": (320, 320), "actnorm": False},
                 "realnvp": {"num_flows": 4, "hidden_units": (320, 320), "actnorm": False}}
PRIORS = ("standard_normal",) + tuple(FLOW_DEFAULTS)
INTERFACE = ("latent_dim", "analytic_kl", "log_prob", "sample")


@register_serializable
class StandardNormalPrior(keras.layers.Layer):
    """p(z) = N(0, I), the prior of Kingma & Welling 2014 (arXiv:1312.6114).

    Args:
        latent_dim: int >= 1, dimension of z.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Input shape: ``log_prob(z)`` and ``sample(noise)`` take ``[..., latent_dim]``.
    """

    analytic_kl = True

    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = checks.positive_int("latent_dim", latent_dim)

    def log_prob(self, z):
        return standard_normal_log_prob(z)

    def sample(self, noise):
        return noise

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@register_serializable
class FlowPrior(keras.layers.Layer):
    """A normalizing-flow prior p(z): any unconditional kgen flow on ``[latent_dim]``.

    ``log_prob`` is the flow's exact density (change of variables, e.g. MAF:
    Papamakarios et al. 2017, arXiv:1705.07057; RealNVP: Dinh et al. 2016,
    arXiv:1605.08803), and ``sample`` its ``decode`` of the given noise, so a
    VAE with this prior has E_q[log q(z|x) - log p(z)] as a Monte Carlo KL term,
    and its IWAE bound weighs each sample with the flow's log p(z). The flow's
    weights are the VAE's (trained by the ELBO's KL term).

    Args:
        flow: a ``kgen.models.flows.FlowModel`` with ``event_shape=(latent_dim,)``,
            no context, no dequantization or logit transform (or its config).
        **kwargs: base ``keras.layers.Layer`` arguments.

    Input shape: ``log_prob(z)`` and ``sample(noise)`` take ``[..., latent_dim]``.

    Raises:
        TypeError / ValueError: naming ``flow`` if it is not such a flow.

    Example:

    >>> prior = FlowPrior(kgen.models.flows.MAF(event_shape=(50,), actnorm=False))
    >>> model = kgen.models.vae.VAE(latent_dim=50, prior=prior)
    """

    analytic_kl = False

    def __init__(self, flow, **kwargs):
        super().__init__(**kwargs)
        from kgen.models.flows import FlowModel

        if isinstance(flow, dict):
            flow = keras.saving.deserialize_keras_object(flow)
        if not isinstance(flow, FlowModel):
            raise TypeError(f"`flow` must be a kgen FlowModel. Received: flow={flow!r}")
        if (len(flow.event_shape) != 1 or flow.latent_shape != flow.event_shape
                or flow.context_units is not None or flow.preprocessing_bijectors()):
            raise ValueError(
                "`flow` must be an unconditional flow on vectors [D] without "
                f"preprocessing. Received: flow with event_shape={flow.event_shape}, "
                f"context_units={flow.context_units}, num_levels={flow.num_levels}, "
                f"logit_alpha={flow.logit_alpha}")
        self.flow = flow
        self.latent_dim = flow.event_shape[0]

    def _flat(self, fn, z):
        values = fn(tf.reshape(z, (-1, self.latent_dim)))
        return tf.reshape(values, tf.concat([tf.shape(z)[:-1], tf.shape(values)[1:]], 0))

    def log_prob(self, z):
        return self._flat(self.flow, z)  # a flow's call is its log_prob

    def sample(self, noise):
        return self._flat(lambda eps: forward_and_log_det(
            self.flow.bijector(), eps, self.flow.event_ndims)[0], noise)

    def get_config(self):
        return {**super().get_config(), "flow": keras.saving.serialize_keras_object(self.flow)}


def named_flow(kind, latent_dim, seed=None, **kwargs):
    """A ``maf`` or ``realnvp`` flow on ``[latent_dim]``, ``FLOW_DEFAULTS`` updated
    by ``kwargs``."""
    from kgen.models import flows

    cls = {"maf": flows.MAF, "realnvp": flows.RealNVP}[kind]
    return cls(event_shape=(latent_dim,), seed=seed, name="prior_flow",
               **{**FLOW_DEFAULTS[kind], **kwargs})


def get(prior, latent_dim, seed=None):
    """The prior layer for ``prior``: a name of ``PRIORS`` or a prior layer.

    Raises:
        ValueError / TypeError: naming ``prior`` (unknown name, no prior
            layer, another ``latent_dim``).
    """
    if isinstance(prior, str):
        checks.one_of("prior", prior, set(PRIORS))
        if prior == "standard_normal":
            return StandardNormalPrior(latent_dim, name="prior")
        return FlowPrior(named_flow(prior, latent_dim, seed), name="prior")
    missing = [a for a in INTERFACE if not hasattr(prior, a)]
    if not isinstance(prior, keras.layers.Layer) or missing:
        raise TypeError(f"`prior` must be one of {list(PRIORS)} or a prior layer with "
                        f"{', '.join(INTERFACE)}. Received: prior={prior!r}")
    if prior.latent_dim != latent_dim:
        raise ValueError(f"`prior` must have latent_dim={latent_dim}. Received: prior with "
                         f"latent_dim={prior.latent_dim}")
    return prior


__all__ = ["FlowPrior", "StandardNormalPrior", "PRIORS", "get"]
