"""Variational autoencoder (Kingma & Welling 2014, arXiv:1312.6114)."""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.models.base import GenerativeModel, sub_seed
from kgen.models.registry import register
from kgen.models.vae import likelihoods, priors
from kgen.models.vae.flow_posterior import PlanarPosterior, RadialPosterior
from kgen.models.vae.iaf import IAFPosterior
from kgen.models.vae.posteriors import GaussianPosterior
from kgen.networks import mlp_decoder, mlp_encoder

tfd = tfp.distributions

_POSTERIORS = {"gaussian": GaussianPosterior, "iaf": IAFPosterior, "planar": PlanarPosterior,
               "radial": RadialPosterior}

# Rows of decoder output evaluated at once by ``iwae_bound`` (samples x batch).
_ROWS_PER_CHUNK = 50_000


def _serialize(obj):
    return keras.saving.serialize_keras_object(obj)


def _deserialize(obj):
    return keras.saving.deserialize_keras_object(obj) if isinstance(obj, dict) else obj


@register("vae")
class VAE(GenerativeModel):
    """Variational autoencoder trained by maximising the ELBO.

    For an example x, with encoder q(z|x), decoder p(x|z) and prior p(z), by
    default N(0, I) (Kingma & Welling 2014, arXiv:1312.6114, eq. 3 and 10):

        ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))   <=   log p(x)

    The KL term is analytic for a Gaussian posterior and prior
    (``analytic_kl=True``) and a one-sample Monte Carlo estimate otherwise
    (IAF, planar or radial posteriors; a flow prior).
    Training minimises ``-(E_q[log p(x|z)] - beta * w * KL)`` where ``beta``
    is the beta-VAE weight (Higgins et al. 2017) and ``w`` the KL warm-up
    weight in [0, 1] (Sønderby et al. 2016, arXiv:1602.02282, sec. 2.4),
    the variable ``kl_weight``, set by ``kgen.callbacks.KLWarmup`` (which
    sets it back to 1 when training ends). It is training state, not a
    weight: it is not in ``weights``, ``.keras`` or ``.weights.h5`` files,
    so restoring weights leaves it unchanged and a loaded model has w = 1.
    The reported ``elbo`` is always the true bound (beta = w = 1). All
    values are nats per example.

    Args:
        event_shape: shape of one example; default ``(28, 28, 1)``.
        latent_dim: int, dimension of z; default 50.
        encoder: ``keras.Model`` from ``[batch, *event_shape]`` to features
            ``[batch, f]``; default ``mlp_encoder`` 200-200 tanh (Burda et
            al. 2016, arXiv:1509.00519).
        decoder: ``keras.Model`` from ``[batch, latent_dim]`` to
            ``[batch, *event_shape]`` likelihood parameters; default
            ``mlp_decoder`` 200-200 tanh.
        likelihood: ``"bernoulli"`` (binary data), ``"gaussian"`` (real
            data), ``"logistic"`` (discretized logistic, pixels 0..255), or
            a likelihood layer.
        posterior: ``"gaussian"``, ``"iaf"`` (an ``IAFPosterior`` with its
            defaults: 2 steps of 320-320 MADEs, Kingma et al. 2016,
            arXiv:1606.04934), ``"planar"`` / ``"radial"`` (10 amortized
            steps, Rezende & Mohamed 2015, arXiv:1505.05770), or a posterior
            layer instance.
        beta: float >= 0, weight of the KL term in the training loss.
        analytic_kl: use the closed-form KL when the posterior has one.
        prior: ``"standard_normal"``, ``"maf"`` / ``"realnvp"`` (a
            ``FlowPrior`` with the defaults of ``priors.FLOW_DEFAULTS``), or a
            prior layer (``kgen.models.vae.priors``).
        seed: optional int seeding every random draw.

    Call arguments:
        x: ``[batch, *event_shape]``.

    Returns (call):
        The reconstruction ``decode(encode(x))``, ``[batch, *event_shape]``.

    Raises:
        ValueError / TypeError: on invalid arguments, and from ``elbo``,
            ``fit`` etc. on data of the wrong shape, with NaN, or outside
            the likelihood's support (non-binary data for Bernoulli).

    Example:

    >>> model = kgen.models.vae.VAE(latent_dim=50, seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=100))
    >>> model.elbo(x)              # [batch], nats
    >>> model.sample(16)           # [16, 28, 28, 1], binary pixels
    """

    metric_names = ("loss", "elbo", "reconstruction", "kl")
    monitor = ("elbo", "max")

    def __init__(self, event_shape=(28, 28, 1), latent_dim=50, encoder=None, decoder=None,
                 likelihood="bernoulli", posterior="gaussian", beta=1.0, analytic_kl=True,
                 prior="standard_normal", seed=None, **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.latent_dim = checks.positive_int("latent_dim", latent_dim)
        self.beta = checks.non_negative_float("beta", beta)
        if not isinstance(analytic_kl, bool):
            raise TypeError(f"`analytic_kl` must be True or False. "
                            f"Received: analytic_kl={analytic_kl!r}")
        self.analytic_kl = analytic_kl
        self.encoder = _deserialize(encoder) or mlp_encoder(self.event_shape)
        self.decoder = _deserialize(decoder) or mlp_decoder(self.latent_dim, self.event_shape)
        for arg, net in (("encoder", self.encoder), ("decoder", self.decoder)):
            if not isinstance(net, keras.Model):
                raise TypeError(f"`{arg}` must be a keras.Model. Received: {arg}={net!r}")
        decoded = tuple(self.decoder.compute_output_shape((None, self.latent_dim))[1:])
        if decoded != self.event_shape:
            raise ValueError(
                f"`decoder` must map [batch, {self.latent_dim}] to [batch, "
                f"{', '.join(map(str, self.event_shape))}]. Received: decoder with output "
                f"shape [batch, {', '.join(map(str, decoded))}]")
        likelihood = _deserialize(likelihood)
        self.likelihood = (likelihoods.get(likelihood, self.event_shape)
                           if isinstance(likelihood, str) else likelihood)
        missing = [a for a in likelihoods.INTERFACE if not hasattr(self.likelihood, a)]
        if not isinstance(self.likelihood, keras.layers.Layer) or missing:
            raise TypeError(
                "`likelihood` must be 'bernoulli', 'gaussian', 'logistic' or a likelihood "
                f"layer with {', '.join(likelihoods.INTERFACE)}. Received: "
                f"likelihood={likelihood!r}" + (f" without {missing}" if missing else ""))
        posterior = _deserialize(posterior)
        if isinstance(posterior, str):
            checks.one_of("posterior", posterior, _POSTERIORS)
            posterior = _POSTERIORS[posterior](self.latent_dim, name="posterior")
        if getattr(posterior, "latent_dim", None) != self.latent_dim:
            raise ValueError(
                f"`posterior` must have latent_dim={self.latent_dim}. Received: "
                f"posterior with latent_dim={getattr(posterior, 'latent_dim', None)}"
            )
        self.posterior = posterior
        self.prior = priors.get(_deserialize(prior), self.latent_dim, seed=self._seed)
        # Training-schedule state, not a weight: Keras files do not hold it, and
        # restoring weights (a best checkpoint, set_weights) cannot bring back a
        # value from inside a warm-up. KLWarmup sets it from the epoch index, so
        # resumed runs continue their schedule. Keras tracks only keras.Variable,
        # so this tf.Variable stays out of `weights`; made in a strategy scope it
        # is mirrored.
        self.kl_weight = tf.Variable(1.0, trainable=False, name="kl_weight",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.build((None,) + self.event_shape)

    def load_own_variables(self, store):
        # Files written before kl_weight left the weights hold it as the model's
        # one own variable ("vars/0"); it is schedule state, so it is skipped.
        own = self._trainable_variables + self._non_trainable_variables
        if not own and list(store.keys()) == ["0"] and tuple(store["0"].shape) == ():
            return
        super().load_own_variables(store)

    @property
    def data_range(self):
        """The likelihood's data range, e.g. ``(0, 1)`` for Bernoulli pixels."""
        return self.likelihood.data_range

    def build(self, input_shape):
        if not self.posterior.built:
            self.posterior.build(self.encoder.compute_output_shape(tuple(input_shape)))
        self.built = True

    # --- the model -------------------------------------------------------------
    def call(self, x, training=None):
        return self.decode(self.encode(x))

    def encode(self, x):
        """A deterministic code, ``[batch, latent_dim]``: the posterior mean for a
        Gaussian posterior, the flow applied to the base mean for IAF."""
        return self.posterior.mean(self.encoder(self.checked_inputs(x)))

    def decode(self, z):
        """The likelihood's ``mean`` of p(x|z), ``[batch, *event_shape]``: pixel
        probabilities for Bernoulli, the mean for Gaussian, the location (median)
        clipped to [0, 255] for the discretized logistic."""
        return self.likelihood.mean(self.decoder(z))

    def reconstruct(self, x):
        """``decode(encode(x))``, ``[batch, *event_shape]``."""
        return self(x)

    def sample(self, num_samples, seed=None, mean=False, **condition):
        """Draws z ~ p(z) and x ~ p(x|z).

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0 for a reproducible draw.
            mean: return the likelihood mean instead of a sample of x.
            **condition: none; the VAE is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` in data space.

        Raises:
            ValueError / TypeError: on a bad ``num_samples`` or ``seed``, or any
                condition.
        """
        if condition:
            raise TypeError(f"{type(self).__name__} is unconditional. "
                            f"Received conditions: {sorted(condition)}")
        num_samples = checks.positive_int("num_samples", num_samples)
        return self._sample(num_samples, checks.seed("seed", seed), mean)

    def _sample(self, num_samples, seed=None, mean=False):
        z = self.standard_normal((num_samples, self.latent_dim), seed=sub_seed(seed, 0))
        params = self.decoder(self.prior.sample(z))
        if mean:
            return self.likelihood.mean(params)
        shape, seed_x = tf.shape(params), sub_seed(seed, 1)
        noise = (self.standard_normal(shape, seed=seed_x) if self.likelihood.noise == "normal"
                 else self.uniform(shape, seed=seed_x))
        return self.likelihood.sample(params, noise)

    # --- the bounds ------------------------------------------------------------
    def log_weights(self, x, num_samples=1, seed=None, features=None, training=None):
        """Terms of the importance log-weights log p(x, z_i) - log q(z_i | x).

        Args:
            x: ``[batch, *event_shape]`` tensor (not checked: internal use).
            num_samples: int, samples z_i ~ q(z|x) per example.
            seed: optional seed (int, scalar or ``[2]`` tensor) of the draw.
            features: the encoder's output for ``x``, if already computed.
            training: passed to the encoder and decoder (dropout, batch norm).

        Returns:
            ``(log_px_given_z, log_pz, log_qz)``, each ``[num_samples, batch]``, nats.
        """
        h = self.encoder(x, training=training) if features is None else features
        batch = tf.shape(x)[0]
        noise = self.standard_normal((num_samples, batch, self.latent_dim), seed=seed)
        z, log_qz = self.posterior.sample_and_log_prob(h, noise)
        log_pz = self.prior.log_prob(z)
        params = self.decoder(tf.reshape(z, (-1, self.latent_dim)), training=training)
        params = tf.reshape(params, tf.concat([[num_samples, batch], self.event_shape], 0))
        log_px = self.likelihood(params).log_prob(x)
        return log_px, log_pz, log_qz

    def kl_divergence(self, x, log_pz=None, log_qz=None, features=None):
        """KL(q(z|x) || p(z)) per example, ``[batch]`` in nats.

        Closed form when the posterior has one and ``analytic_kl`` is set;
        otherwise the Monte Carlo mean of ``log_qz - log_pz`` (drawn here if
        not given). ``features`` saves a second encoder pass.
        """
        if self.analytic_kl and self.posterior.analytic_kl and self.prior.analytic_kl:
            h = self.encoder(x) if features is None else features
            q = self.posterior.distribution(h)
            prior = tfd.Independent(tfd.Normal(tf.zeros_like(q.mean()), 1.0), 1)
            return tfd.kl_divergence(q, prior)
        if log_pz is None:
            _, log_pz, log_qz = self.log_weights(x, features=features)
        return tf.reduce_mean(log_qz - log_pz, axis=0)

    def elbo(self, x, seed=None):
        """The evidence lower bound (Kingma & Welling 2014, eq. 3), one sample.

        Args:
            x: ``[batch, *event_shape]`` data in the likelihood's support.
            seed: optional int >= 0 for a reproducible draw.

        Returns:
            ``[batch]`` in nats.

        Raises:
            ValueError / TypeError: on bad ``x`` or ``seed``.
        """
        x, seed = self.checked_inputs(x), _checked_seed(seed)
        h = self.encoder(x)
        log_px, log_pz, log_qz = self.log_weights(x, 1, sub_seed(seed, 0), features=h)
        return log_px[0] - self.kl_divergence(x, log_pz, log_qz, features=h)

    def iwae_bound(self, x, num_samples=5000, seed=None):
        """The k-sample importance-weighted bound (Burda et al. 2016,
        arXiv:1509.00519, eq. 8): log (1/k) sum_i p(x, z_i) / q(z_i | x).

        It tends to log p(x) as k grows, so with k = 5000 it is the standard
        test log-likelihood estimate. ``x`` is encoded once; samples are drawn
        in chunks of at most ``50_000 / batch`` (``50`` if the batch size is
        not static) so that large ``k`` fits in memory.

        Args:
            x: ``[batch, *event_shape]``.
            num_samples: int k >= 1.
            seed: optional int >= 0 or int tensor (scalar or ``[2]``); chunk i
                draws with ``stateless_fold_in(seed, i)``.

        Returns:
            ``[batch]`` in nats.

        Raises:
            ValueError / TypeError: on bad ``x``, ``num_samples`` or ``seed``.
        """
        num_samples = checks.positive_int("num_samples", num_samples)
        x, seed = self.checked_inputs(x), _checked_seed(seed)
        h = self.encoder(x)
        chunk = _ROWS_PER_CHUNK // x.shape[0] if x.shape[0] else 50
        chunk = max(1, min(num_samples, chunk))
        totals = []
        for i, start in enumerate(range(0, num_samples, chunk)):
            size = min(chunk, num_samples - start)
            log_px, log_pz, log_qz = self.log_weights(x, size, sub_seed(seed, i), features=h)
            totals.append(tf.reduce_logsumexp(log_px + log_pz - log_qz, axis=0))
        return tf.reduce_logsumexp(tf.stack(totals), axis=0) - math.log(num_samples)

    # --- training --------------------------------------------------------------
    def compute_terms(self, x, training=None):
        """Per-example training terms, each ``[batch]``: the ``loss`` to minimise
        and the metrics named in ``metric_names``, in nats."""
        h = self.encoder(x, training=training)
        log_px, log_pz, log_qz = self.log_weights(x, features=h, training=training)
        reconstruction = -log_px[0]
        kl = self.kl_divergence(x, log_pz, log_qz, features=h)
        loss = reconstruction + self.beta * self.kl_weight * kl
        return {"loss": loss, "elbo": -(reconstruction + kl),
                "reconstruction": reconstruction, "kl": kl}

    # --- input checks, serving and config ----------------------------------------
    def validate_inputs(self, x, name="x"):
        return checks.data_array(name, x, self.event_shape, binary=self.likelihood.binary,
                                 value_range=self.likelihood.data_range,
                                 integer=getattr(self.likelihood, "integer", False))

    def serving_signatures(self):
        x_spec = tf.TensorSpec((None,) + self.event_shape, tf.float32, name="x")
        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        n_spec = tf.TensorSpec((), tf.int32, name="num_samples")

        def default(x):
            return {"reconstruction": self.decode(self.encode(x)), "elbo": self.elbo(x),
                    "latent_mean": self.encode(x)}

        return {
            "serving_default": tf.function(default, input_signature=[x_spec]),
            "sample": tf.function(lambda n: {"x": self._sample(n)}, input_signature=[n_spec]),
            "encode": tf.function(lambda x: {"z": self.encode(x)}, input_signature=[x_spec]),
            "decode": tf.function(lambda z: {"x": self.decode(z)}, input_signature=[z_spec]),
            "elbo": tf.function(lambda x: {"elbo": self.elbo(x)}, input_signature=[x_spec]),
        }

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "encoder": _serialize(self.encoder),
            "decoder": _serialize(self.decoder),
            "likelihood": _serialize(self.likelihood),
            "posterior": _serialize(self.posterior),
            "beta": self.beta,
            "analytic_kl": self.analytic_kl,
            "prior": _serialize(self.prior),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def from_preset(cls, model_args, event_shape, seed=None):
        """As ``GenerativeModel.from_preset``, with ``encoder`` / ``decoder`` /
        ``posterior`` given as specs (``kgen.models.vae.preset_args``)."""
        from kgen.models.vae import preset_args

        return super().from_preset(preset_args.build_args(model_args, event_shape),
                                   event_shape, seed)


def _checked_seed(seed):
    """Checks a Python seed; tensors (inside graphs) pass through."""
    return seed if seed is None or tf.is_tensor(seed) else checks.seed("seed", seed)


__all__ = ["VAE"]
