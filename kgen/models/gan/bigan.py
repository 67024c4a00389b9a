"""``BiGAN`` / ALI: a generator G(z), an encoder E(x) and a discriminator on (x, z) pairs."""

import keras
import tensorflow as tf

from kgen import checks
from kgen.models.gan import losses as gan_losses
from kgen.models.gan._conditioning import first_input
from kgen.models.gan.gan import GAN, _deserialize
from kgen.models.registry import register

# The papers' objectives; the other GAN losses have no agreed two-sided form here.
LOSSES = ("non_saturating", "minimax")


def joint_losses(real, fake, loss="non_saturating"):
    """Both players' per-example losses from D's logits on the pairs, in nats.

    With ``real`` = D(x, E(x)) and ``fake`` = D(G(z), z) (logits, ``[batch]``), D
    minimises softplus(-real) + softplus(fake) = -log D(x, E(x)) - log(1 - D(G(z), z))
    (Donahue et al. 2016, eq. 3). G and E minimise, for ``"minimax"``, the negative
    of that (the saddle-point game); for ``"non_saturating"`` the same cross-entropy
    with the labels inverted, softplus(-fake) + softplus(real) = -log D(G(z), z)
    - log(1 - D(x, E(x))) (Donahue et al. sec. 3.4; ALI's L_G, Dumoulin et al. 2016,
    alg. 1).

    Returns:
        ``(d_loss, ge_loss)``, each ``[batch]``.
    """
    checks.one_of("loss", loss, LOSSES)
    d_loss = tf.nn.softplus(-real) + tf.nn.softplus(fake)
    ge_loss = -d_loss if loss == "minimax" else tf.nn.softplus(-fake) + tf.nn.softplus(real)
    return d_loss, ge_loss


@register("bigan")
class BiGAN(GAN):
    """A bidirectional GAN (Donahue et al. 2016, arXiv:1605.09782), also adversarially
    learned inference (ALI, Dumoulin et al. 2016, arXiv:1606.00704): a generator
    G(z), z ~ N(0, I) (ALI's prior), a deterministic encoder E(x) and a discriminator
    D(x, z) that tells real pairs (x, E(x)) from generated pairs (G(z), z). At the
    optimum E inverts G (Donahue et al., thm. 2), so ``encode`` gives features,
    ``decode`` = G(z) and ``reconstruct`` = G(E(x)).

    G and E form one player, ``"generator"`` (its variables are both networks', one
    optimizer as in the papers): ``compile(optimizer={"generator": ...,
    "discriminator": ...})``. Each step takes ``n_critic`` discriminator steps on the
    strided chunks of the batch with fresh z (as ``GAN``), then one G/E step on the
    first chunk; the losses are ``joint_losses``. With ``ema_decay`` the generator's
    weights (not the encoder's) are averaged and used by ``sample``, ``generate``
    and ``reconstruct``.

    ``fit`` reports ``d_loss``, ``g_loss`` (G and E's loss), ``d_real`` and
    ``d_fake`` (the means of D(x, E(x)) and D(G(z), z), probabilities).

    Args:
        generator: ``keras.Model`` from ``[batch, latent_dim]`` to
            ``[batch, *event_shape]``.
        encoder: ``keras.Model`` from ``[batch, *event_shape]`` to
            ``[batch, latent_dim]``, e.g. ``kgen.networks.mlp_gan_encoder`` or
            ``kgen.networks.dcgan_encoder``.
        discriminator: ``keras.Model`` from ``[x, z]`` to a logit ``[batch, 1]``,
            e.g. ``kgen.networks.mlp_joint_discriminator`` or
            ``kgen.networks.dcgan_joint_discriminator``.
        loss: ``"non_saturating"`` or ``"minimax"``.
        **kwargs: as ``GAN`` (``n_critic``, ``ema_decay``, ``data_range``, ``seed``).

    Call arguments:
        z: ``[batch, latent_dim]`` noise. Returns G(z).

    Raises:
        ValueError / TypeError: as ``GAN``, and naming ``loss`` (not one of
            ``LOSSES``), ``encoder`` or ``discriminator`` of the wrong shapes; later
            ``x`` of ``encode`` / ``reconstruct``.

    Example:

    >>> bigan = kgen.models.gan.BiGAN(
    ...     kgen.networks.mlp_generator(2, 2), kgen.networks.mlp_gan_encoder(2, 2),
    ...     kgen.networks.mlp_joint_discriminator(2, 2), seed=0)
    >>> bigan.compile(optimizer={"generator": keras.optimizers.Adam(2e-4, 0.5),
    ...                          "discriminator": keras.optimizers.Adam(2e-4, 0.5)})
    >>> bigan.fit(points, batch_size=128, epochs=10)
    >>> bigan.reconstruct(points[:5])   # G(E(x))
    """

    label_inputs = ("discriminator",)  # D takes [x, z]

    def __init__(self, generator, encoder, discriminator, loss="non_saturating", **kwargs):
        checks.one_of("loss", loss, LOSSES)
        generator, encoder = _deserialize(generator), _deserialize(encoder)
        discriminator = _deserialize(discriminator)
        for arg, net in (("generator", generator), ("encoder", encoder),
                         ("discriminator", discriminator)):
            if not isinstance(net, keras.Model):
                raise TypeError(f"`{arg}` must be a keras.Model. Received: {arg}={net!r}")
        shape, latent = tuple(generator.output_shape[1:]), first_input(generator.input_shape)
        if tuple(encoder.input_shape[1:]) != shape or tuple(encoder.output_shape) != latent:
            raise ValueError(f"`encoder` must map the generator's output shape {shape} to "
                             f"its input {latent}. Received: an encoder from "
                             f"{encoder.input_shape} to {encoder.output_shape}")
        inputs = discriminator.input_shape
        if not (isinstance(inputs, list) and len(inputs) == 2
                and tuple(inputs[0][1:]) == shape and tuple(inputs[1]) == tuple(latent)):
            raise ValueError(f"`discriminator` must take [x, z] of shapes {(None,) + shape} "
                             f"and {latent}. Received: a discriminator with input shape "
                             f"{inputs}")
        super().__init__(generator, discriminator, loss=loss, **kwargs)
        self.encoder = encoder

    def player_variables(self, player):
        """``"generator"``: G's and E's trainable variables; ``"discriminator"``: D's."""
        if player == "generator":
            return self.generator.trainable_variables + self.encoder.trainable_variables
        return super().player_variables(player)

    # --- inference ---------------------------------------------------------------
    def encode(self, x):
        """E(x), ``[batch, latent_dim]``.

        Raises:
            ValueError: naming ``x`` if it is not ``[batch, *event_shape]``, finite and
                inside ``data_range``.
        """
        x = checks.data_array("x", x, self.event_shape, value_range=self.data_range)
        return self.encoder(tf.constant(x), training=False)

    def decode(self, z, ema=None):
        """G(z), ``[batch, *event_shape]``: the contract's name for ``generate``.

        Raises:
            ValueError: as ``generate`` (naming ``z`` or ``ema``).
        """
        return self.generate(z, ema=ema)

    def reconstruct(self, x, ema=None):
        """G(E(x)), ``[batch, *event_shape]``; ``ema`` as ``generate``."""
        return self._generate(self.encode(x), self._use_ema(ema))

    # --- training ----------------------------------------------------------------
    def joint_terms(self, x, z, training=True, encoded=None, generated=None):
        """D on the real pairs (x, E(x)) and the generated pairs (G(z), z): per-example
        ``d_loss``, ``g_loss`` (G and E's), ``d_real`` and ``d_fake``, each ``[batch]``.
        ``encoded`` / ``generated`` are E(x) / G(z) when already computed."""
        encoded = self.encoder(x, training=training) if encoded is None else encoded
        generated = self.generator(z, training=training) if generated is None else generated
        real = gan_losses.per_example(self.discriminator([x, encoded], training=training))
        fake = gan_losses.per_example(self.discriminator([generated, z], training=training))
        d_loss, ge_loss = joint_losses(real, fake, self.loss_name)
        return {"d_loss": d_loss, "g_loss": ge_loss, "d_real": tf.sigmoid(real),
                "d_fake": tf.sigmoid(fake)}

    def train_step(self, data):
        x, _ = self.split_batch(data)
        n = self.n_critic
        d_terms = [self._joint_critic_step(x[k::n]) for k in range(n)]
        z = self.noise(tf.shape(x[0::n])[0])
        with tf.GradientTape() as tape:
            g_loss = self.joint_terms(x[0::n], z)["g_loss"]
            loss = self.total_loss(g_loss)
        self.minimize(loss, tape, "generator")
        self._update_ema()
        terms = {name: tf.concat([t[name] for t in d_terms], 0) for name in d_terms[0]}
        return self.update_metrics({**terms, "g_loss": g_loss})

    def _joint_critic_step(self, x):
        z = self.noise(tf.shape(x)[0])
        encoded, generated = self.encoder(x, training=True), self.generator(z, training=True)
        with tf.GradientTape() as tape:
            terms = self.joint_terms(x, z, encoded=encoded, generated=generated)
            loss = self.total_loss(terms["d_loss"])
        self.minimize(loss, tape, "discriminator")
        return {k: terms[k] for k in ("d_loss", "d_real", "d_fake")}

    def test_step(self, data):
        x, _ = self.split_batch(data)
        return self.update_metrics(self.joint_terms(x, self.noise(tf.shape(x)[0]), False))

    # --- serving and config -------------------------------------------------------
    def serving_signatures(self):
        """``GAN``'s (``generate(z)``, ``sample(num_samples)``), ``encode(x)`` -> ``z``,
        ``decode(z)`` -> ``x`` (as ``generate``) and ``reconstruct(x)`` -> ``x``."""
        x_spec = tf.TensorSpec((None,) + self.event_shape, tf.float32, name="x")
        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        ema = bool(self.ema)

        def encode(x):
            return {"z": self.encoder(x, training=False)}

        def reconstruct(x):
            return {"x": self._generate(self.encoder(x, training=False), ema)}

        return {**super().serving_signatures(),
                "encode": tf.function(encode, input_signature=[x_spec]),
                "decode": tf.function(lambda z: {"x": self._generate(z, ema)},
                                      input_signature=[z_spec]),
                "reconstruct": tf.function(reconstruct, input_signature=[x_spec])}

    def get_config(self):
        return {**super().get_config(),
                "encoder": keras.saving.serialize_keras_object(self.encoder)}

    @staticmethod
    def _network_kwargs(model_args):
        return {"joint": True}  # from_preset: an encoder spec and a joint discriminator


__all__ = ["BiGAN", "LOSSES", "joint_losses"]
