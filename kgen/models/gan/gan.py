"""``GAN``: a generator and a discriminator trained by one of the GAN losses."""

import keras
import tensorflow as tf

from kgen import checks
from kgen.models.base import GenerativeModel
from kgen.models.gan import losses as gan_losses
from kgen.models.gan._conditioning import Unconditional, first_input
from kgen.models.registry import register

# Output activations whose range is the data range of a generator ending in them.
_ACTIVATION_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def _deserialize(obj):
    return keras.saving.deserialize_keras_object(obj) if isinstance(obj, dict) else obj


@register("gan")
class GAN(Unconditional, GenerativeModel):
    """A generative adversarial network: G(z), z ~ N(0, I), against a discriminator D.

    Each training step (one batch of ``fit``) takes ``n_critic`` discriminator steps
    and then one generator step (Arjovsky et al. 2017, alg. 1; Gulrajani et al. 2017,
    alg. 1), each with its own optimizer (``compile(optimizer={"generator": ...,
    "discriminator": ...})``). Every critic step gets a fresh real batch and fresh
    noise: the batch of ``fit`` holds ``n_critic`` real batches, critic step k taking
    the examples ``k, k + n_critic, k + 2 n_critic, ...`` (a strided split, so that
    under a ``tf.distribute`` strategy each replica's k-th chunk is part of the same
    global chunk when the per-replica batch is a multiple of ``n_critic``). So feed
    ``batch_size = n_critic * m`` for critic batches of m; the generator step draws m
    noise vectors. (The keras-io WGAN-GP recipe reuses one real batch for all critic
    steps instead.) The losses are those of ``kgen.models.gan.losses``; per-example
    losses are averaged over the global batch.

    ``fit`` reports ``d_loss`` and ``g_loss`` (per example, averaged over the epoch
    and, for ``d_loss``, over the critic steps), ``d_real`` and ``d_fake`` (the mean
    of D(x) and of D(G(z)): a probability for ``minimax`` / ``non_saturating``, the
    raw output otherwise), ``wasserstein_estimate`` = mean D(x) - mean D(G(z)) for
    the Wasserstein losses and ``grad_penalty`` for ``wasserstein_gp``.
    ``d_loss`` includes the weighted penalty.

    With ``ema_decay`` set, an exponential moving average of the generator's
    weights (Yazici et al. 2019, arXiv:1806.04498) is kept as state (saved with
    the weights) and ``sample`` / ``generate`` / the serving signatures use it.
    Non-trainable generator weights (batch-norm moving statistics) are averaged
    too; ``kgen.models.gan.recompute_ema_statistics(model)`` recomputes them for
    the averaged weights (BigGAN's standing statistics) before sampling.

    ``monitor`` is ``("fid", "min")``: a GAN's losses do not rank checkpoints.
    The value comes from ``kgen.callbacks.SampleQuality`` listed before the
    checkpoint callback; without one, Keras's ``ModelCheckpoint(save_best_only)``
    finds no ``fid`` and saves nothing, and ``kgen train`` keeps the last weights.

    Args:
        generator: ``keras.Model`` from ``[batch, latent_dim]`` noise to
            ``[batch, *event_shape]`` data.
        discriminator: ``keras.Model`` from ``[batch, *event_shape]`` to raw outputs
            ``[batch]``, ``[batch, 1]`` or a map (averaged per example). For
            ``wasserstein_gp`` it must not use batch normalization (the penalty is
            per example; Gulrajani et al. sec. 4 use layer norm).
        loss: a name of ``kgen.models.gan.losses.available()``, or a ``GANLoss`` (for a
            subclass whose config rebuilds it, as ``FGAN``'s ``divergence`` does).
        n_critic: int >= 1, discriminator steps per generator step (5 in the WGAN
            papers).
        latent_dim: int; default the generator's input size (which it must equal).
        gp_weight: float >= 0, lambda of the gradient penalty (10 in Gulrajani et al.).
        clip_value: float > 0, c of the weight clipping of ``wasserstein`` (0.01 in
            Arjovsky et al.).
        ema_decay: ``None`` (no EMA) or a float in [0, 1), e.g. 0.999.
        data_range: ``(low, high)`` of the data; default from the generator's output
            activation (``(-1, 1)`` for tanh, ``(0, 1)`` for sigmoid, else unknown).
            Data outside it is refused.
        seed: optional int >= 0 seeding every draw of noise.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        z: ``[batch, latent_dim]`` noise. Returns G(z) (the training generator).

    Raises:
        ValueError: naming ``loss``, ``n_critic``, ``latent_dim``, ``generator``,
            ``discriminator``, ``gp_weight``, ``clip_value``, ``ema_decay`` or
            ``data_range``; later ``x``, ``z``, ``num_samples`` or ``truncation``.

    Example:

    >>> gan = kgen.models.gan.GAN(kgen.networks.dcgan_generator(100, (28, 28, 1)),
    ...                           kgen.networks.dcgan_discriminator((28, 28, 1), "layer"),
    ...                           loss="wasserstein_gp", n_critic=5, seed=0)
    >>> gan.compile(optimizer={"generator": keras.optimizers.Adam(1e-4, 0.0, 0.9),
    ...                        "discriminator": keras.optimizers.Adam(1e-4, 0.0, 0.9)})
    >>> gan.fit(images.batch(5 * 64, drop_remainder=True), epochs=10)
    >>> gan.sample(16, seed=0)   # [16, 28, 28, 1] in [-1, 1]
    """

    players = ("generator", "discriminator")
    monitor = ("fid", "min")

    def __init__(self, generator, discriminator, loss="non_saturating", n_critic=1,
                 latent_dim=None, gp_weight=10.0, clip_value=0.01, ema_decay=None,
                 data_range=None, seed=None, event_shape=None, **kwargs):
        generator, discriminator = _deserialize(generator), _deserialize(discriminator)
        for arg, net in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(net, keras.Model):
                raise TypeError(f"`{arg}` must be a keras.Model. Received: {arg}={net!r}")
        shape = tuple(generator.output_shape[1:])
        if event_shape is not None and tuple(event_shape) != shape:
            raise ValueError(f"`event_shape` must be the generator's output shape {shape}. "
                             f"Received: event_shape={event_shape!r}")
        super().__init__(event_shape=shape, seed=seed, **kwargs)
        self.loss_fn = loss if isinstance(loss, gan_losses.GANLoss) else gan_losses.get(loss)
        self.loss_name = self.loss_fn.name
        self.n_critic = checks.positive_int("n_critic", n_critic)
        self.check_label_inputs(generator, discriminator)
        inputs = first_input(generator.input_shape)
        if len(inputs) != 2 or inputs[1] is None:
            raise ValueError(f"`generator` must take [batch, latent_dim] noise. Received: a "
                             f"generator with input shape {inputs}")
        self.latent_dim = checks.positive_int(
            "latent_dim", inputs[1] if latent_dim is None else latent_dim)
        if self.latent_dim != inputs[1]:
            raise ValueError(f"`latent_dim` must be the generator's input size {inputs[1]}. "
                             f"Received: latent_dim={latent_dim}")
        if tuple(first_input(discriminator.input_shape)[1:]) != shape:
            raise ValueError(f"`discriminator` must take the generator's output shape "
                             f"{shape}. Received: a discriminator with input shape "
                             f"{discriminator.input_shape}")
        if self.loss_fn.gradient_penalty and any(
                isinstance(layer, keras.layers.BatchNormalization)
                for layer in discriminator._flatten_layers(include_self=False)):
            raise ValueError("`discriminator` must not use batch normalization with "
                             "loss='wasserstein_gp': the gradient penalty is per example "
                             "(use layer norm). Received: a discriminator with "
                             "BatchNormalization layers")
        self.gp_weight = checks.non_negative_float("gp_weight", gp_weight)
        self.clip_value = checks.non_negative_float("clip_value", clip_value)
        if self.clip_value == 0:
            raise ValueError(f"`clip_value` must be > 0. Received: clip_value={clip_value}")
        if ema_decay is not None:
            ema_decay = checks.non_negative_float("ema_decay", ema_decay)
            if ema_decay >= 1:
                raise ValueError(f"`ema_decay` must be None or in [0, 1). "
                                 f"Received: ema_decay={ema_decay}")
        self.ema_decay = ema_decay
        self._data_range = self._checked_range(data_range, generator)
        self._explicit_range = data_range
        self.generator, self.discriminator = generator, discriminator
        names = ["d_loss", "g_loss", "d_real", "d_fake"]
        names += ["wasserstein_estimate"] if self.loss_fn.wasserstein else []
        names += ["grad_penalty"] if self.loss_fn.gradient_penalty else []
        names += list(self.auxiliary_metric_names)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.ema = []
        if ema_decay is not None:
            for i, w in enumerate(generator.trainable_variables
                                  + generator.non_trainable_variables):
                self.ema.append(self.add_state(f"generator_ema_{i}", w.shape, dtype=w.dtype))
                self.ema[-1].assign(w)
        self.built = True

    @staticmethod
    def _checked_range(data_range, generator):
        if data_range is None:
            activation = getattr(generator.layers[-1], "activation", None)
            return _ACTIVATION_RANGES.get(getattr(activation, "__name__", None))
        try:
            low, high = (float(v) for v in data_range)
        except (TypeError, ValueError):
            low = high = None
        if low is None or not low < high:
            raise ValueError(f"`data_range` must be (low, high) with low < high. "
                             f"Received: data_range={data_range!r}")
        return (low, high)

    @property
    def data_range(self):
        """``(low, high)`` of the data space, or ``None`` if unknown."""
        return self._data_range

    # --- the model -------------------------------------------------------------
    def call(self, z, training=None):
        return self.generator(z, training=training)

    def generate(self, z, ema=None, **condition):
        """G(z) for given noise, with the EMA weights when there are some.

        Args:
            z: ``[batch, latent_dim]`` noise.
            ema: bool or ``None`` (the EMA weights if ``ema_decay`` is set).
            **condition: none; a conditional model's ``labels``.

        Returns:
            ``[batch, *event_shape]`` float32, in ``data_range``.

        Raises:
            ValueError: naming ``z`` if it is not ``[batch, latent_dim]`` or not
                finite, or ``ema`` if ``True`` without ``ema_decay``.
        """
        z = checks.data_array("z", z, (self.latent_dim,))
        labels = self.condition(len(z), condition)
        return self._generate(tf.convert_to_tensor(z), self._use_ema(ema), labels)

    def _use_ema(self, ema):
        if ema and not self.ema:
            raise ValueError("`ema` is True but the model keeps no EMA of the generator "
                             "(ema_decay=None). Received: ema=True")
        return bool(self.ema) if ema is None else bool(ema)

    def _generate(self, z, ema, labels=None):
        inputs = self.generator_inputs(z, labels)
        if not ema:
            return self.generator(inputs, training=False)
        count = len(self.generator.trainable_variables)
        x, _ = self.generator.stateless_call(
            [v.value for v in self.ema[:count]], [v.value for v in self.ema[count:]], inputs,
            training=False)
        return x

    def sample(self, num_samples, seed=None, truncation=None, ema=None, **condition):
        """Draws G(z) for ``num_samples`` noise vectors z ~ N(0, I).

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0 for a reproducible draw; ``None`` draws from the
                model's seed generator.
            truncation: ``None`` or a float t > 0: each coordinate of z is drawn from
                N(0, 1) truncated to [-t, t] (the "truncation trick", Brock et al.
                2019, arXiv:1809.11096), by the inverse CDF of one uniform draw.
            ema: as ``generate``.
            **condition: none; the model is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` float32.

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``seed``, ``truncation``
                or ``ema``, or any condition.
        """
        num_samples = checks.positive_int("num_samples", num_samples)
        labels = self.condition(num_samples, condition)
        if truncation is not None:
            truncation = checks.non_negative_float("truncation", truncation)
            if truncation == 0:
                raise ValueError("`truncation` must be None or > 0. Received: truncation=0")
        return self._generate(self.noise(num_samples, checks.seed("seed", seed), truncation),
                              self._use_ema(ema), labels)

    def noise(self, num_samples, seed=None, truncation=None):
        """z, ``[num_samples, latent_dim]``: standard normal, or truncated to
        ``[-truncation, truncation]`` by the inverse CDF of the model's uniform draw."""
        shape = (num_samples, self.latent_dim)
        if truncation is None:
            return self.standard_normal(shape, seed=seed)
        low = 0.5 * tf.math.erfc(truncation / tf.sqrt(2.0))  # Phi(-t)
        u = self.uniform(shape, seed=seed)
        return tf.clip_by_value(tf.math.ndtri(low + u * (1.0 - 2.0 * low)),
                                -truncation, truncation)

    # --- training --------------------------------------------------------------
    def train_step(self, data):
        x, labels = self.split_batch(data)
        n = self.n_critic
        chunks = [(x[k::n], None if labels is None else labels[k::n]) for k in range(n)]
        d_terms = [self._critic_step(*chunk) for chunk in chunks]
        g_terms = self._generator_step(*chunks[0])
        self._update_ema()
        terms = {name: tf.concat([t[name] for t in d_terms], 0) for name in d_terms[0]}
        return self.update_metrics({**terms, **g_terms})

    def discriminator_terms(self, real, fake, training=True, labels=None):
        """D's per-example terms on a real and a generated batch (with their ``labels``
        for a conditional model): ``d_loss`` (with the weighted gradient penalty and
        any auxiliary loss), ``d_real``, ``d_fake`` and, where meaningful,
        ``wasserstein_estimate``, ``grad_penalty`` and the auxiliary terms, each
        ``[batch]``."""
        loss = self.loss_fn
        r, r_aux = self.critic(real, labels, training)
        f, f_aux = self.critic(fake, labels, training)
        terms = {"d_loss": loss.discriminator_loss(r, f), "d_real": loss.output(r),
                 "d_fake": loss.output(f)}
        if loss.wasserstein:
            terms["wasserstein_estimate"] = r - f
        if loss.gradient_penalty:
            penalty = self.gradient_penalty(real, fake, training=training,
                                            labels=labels)["penalty"]
            terms["grad_penalty"] = penalty
            terms["d_loss"] += self.gp_weight * penalty
        aux_loss, aux_terms = self.discriminator_auxiliary(r_aux, f_aux, labels)
        terms["d_loss"] += aux_loss
        return {**terms, **aux_terms}

    def gradient_penalty(self, real, fake, seed=None, training=True, labels=None):
        """The WGAN-GP penalty at x_hat = x + eps (G(z) - x), eps ~ U[0, 1] drawn per
        example from the model's noise (``losses.gradient_penalty``).

        Returns:
            dict of ``epsilon``, ``norm`` and ``penalty`` (``[batch]``) and
            ``interpolates`` (``[batch, *event_shape]``).
        """
        epsilon = self.uniform(tf.shape(real)[:1], seed=seed)
        x_hat = gan_losses.interpolate(real, fake, epsilon)
        norm = gan_losses.gradient_norm(
            lambda x, training: self.critic(x, labels, training)[0], x_hat, training=training)
        return {"epsilon": epsilon, "interpolates": x_hat, "norm": norm,
                "penalty": tf.square(norm - 1.0)}

    def _critic_step(self, real, labels=None):
        fake = self.generator(self.generator_inputs(self.noise(tf.shape(real)[0]), labels),
                              training=True)
        with tf.GradientTape() as tape:
            terms = (self.discriminator_terms(real, fake) if labels is None
                     else self.discriminator_terms(real, fake, labels=labels))
            loss = self.total_loss(terms["d_loss"])
        self.minimize(loss, tape, "discriminator")
        if self.loss_fn.clip_weights:
            for v in self.discriminator.trainable_variables:
                v.assign(tf.clip_by_value(v, -self.clip_value, self.clip_value))
        return terms

    def _generator_step(self, real, labels=None):
        z = self.generator_inputs(self.noise(tf.shape(real)[0]), labels)
        with tf.GradientTape() as tape:
            fake, aux = self.critic(self.generator(z, training=True), labels, True)
            g_loss = self.loss_fn.generator_loss(fake)
            aux_loss, aux_terms = self.generator_auxiliary(aux, labels)
            loss = self.total_loss(g_loss + aux_loss)
        self.minimize(loss, tape, "generator")
        return {"g_loss": g_loss, **aux_terms}

    def _update_ema(self):
        weights = self.generator.trainable_variables + self.generator.non_trainable_variables
        for average, w in zip(self.ema, weights):
            average.assign(self.ema_decay * average + (1.0 - self.ema_decay) * w)

    def test_step(self, data):
        x, labels = self.split_batch(data)
        fake = self.generator(self.generator_inputs(self.noise(tf.shape(x)[0]), labels),
                              training=False)
        terms = (self.discriminator_terms(x, fake, training=False) if labels is None
                 else self.discriminator_terms(x, fake, training=False, labels=labels))
        r_fake, aux = self.critic(fake, labels, False)
        terms.update(self.generator_auxiliary(aux, labels)[1])
        return self.update_metrics({**terms, "g_loss": self.loss_fn.generator_loss(r_fake)})

    # --- input checks, serving and config ----------------------------------------
    def validate_inputs(self, x, name="x"):
        x = checks.data_array(name, x, self.event_shape, value_range=self.data_range)
        if len(x) < self.n_critic:
            raise ValueError(f"`{name}` batches must hold at least n_critic="
                             f"{self.n_critic} examples (one real batch per critic step). "
                             f"Received: a batch of {len(x)}")
        return x

    def serving_signatures(self):
        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        n_spec = tf.TensorSpec((), tf.int32, name="num_samples")
        ema = bool(self.ema)

        def generate(z):
            return {"x": self._generate(z, ema)}

        return {
            "serving_default": tf.function(generate, input_signature=[z_spec]),
            "generate": tf.function(generate, input_signature=[z_spec]),
            "sample": tf.function(lambda n: {"x": self._generate(self.noise(n), ema)},
                                  input_signature=[n_spec]),
        }

    def get_config(self):
        config = super().get_config()
        config.pop("event_shape")  # the generator's output shape
        return {**config, "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "loss": self.loss_name, "n_critic": self.n_critic,
                "latent_dim": self.latent_dim, "gp_weight": self.gp_weight,
                "clip_value": self.clip_value, "ema_decay": self.ema_decay,
                "data_range": (None if self._explicit_range is None
                               else list(self._data_range))}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def from_preset(cls, model_args, event_shape, seed=None):
        """As ``GenerativeModel.from_preset``, with ``generator`` / ``discriminator``
        given as specs (``kgen.models.gan.preset_args``)."""
        from kgen.models.gan import preset_args

        return super().from_preset(
            preset_args.build_args(model_args, event_shape, seed, **cls._network_kwargs(
                model_args)), event_shape, seed)


__all__ = ["GAN"]
