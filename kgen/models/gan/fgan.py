"""``FGAN``: variational divergence minimization for an f-divergence (f-GAN)."""

import tensorflow as tf

from kgen import checks
from kgen.models.gan import divergences as fdiv
from kgen.models.gan import losses as gan_losses
from kgen.models.gan.gan import GAN
from kgen.models.registry import register

GENERATOR_LOSSES = ("minimax", "alternative")


def divergence_loss(divergence, generator_loss="minimax"):
    """The ``GANLoss`` of an f-GAN: critic loss f*(g_f(V(G(z)))) - g_f(V(x)) and the
    generator loss of ``Divergence.generator_loss``, from raw critic outputs V.

    It is not registered (``kgen.models.gan.losses.available()`` is unchanged):
    ``FGAN`` holds it.

    Raises:
        ValueError: naming ``divergence`` or ``generator_loss``.
    """
    div = fdiv.get(divergence)
    alternative = checks.one_of("generator_loss", generator_loss, GENERATOR_LOSSES) != "minimax"
    return gan_losses.GANLoss(
        f"f_{div.name}", discriminator=div.critic_loss,
        generator=lambda f: div.generator_loss(f, alternative=alternative))


@register("fgan")
class FGAN(GAN):
    """An f-GAN (Nowozin, Cseke, Tomioka 2016, arXiv:1606.00709): the generator Q
    minimizes the variational lower bound of the f-divergence D_f(P || Q) that the
    critic V maximizes (eq. 6),

        F(G, V) = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))] <= D_f(P || Q),

    with the output activation g_f and the convex conjugate f* of the paper's
    Table 2 (``kgen.models.gan.divergences``: ``kl``, ``reverse_kl``,
    ``jensen_shannon`` (2 JSD), ``pearson``, ``squared_hellinger``).

    The critic's per-example loss is -(g_f(V(x_i)) - f*(g_f(V(G(z_i))))); the
    generator's is -f*(g_f(V(G(z)))) (``generator_loss="minimax"``, the saddle point
    of eq. 6) or -g_f(V(G(z))) (``"alternative"``, sec. 3.2, which for
    ``jensen_shannon`` is the GAN's non-saturating loss up to a constant). The
    schedule is ``GAN``'s (``n_critic`` critic steps on strided chunks of each
    batch, then one generator step; the paper alternates single steps,
    ``n_critic=1``), as are EMA, sampling, saving and the serving signatures.

    ``fit`` reports ``GAN``'s ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake``
    (the mean raw critic outputs V) and ``divergence_estimate``, the lower bound
    in nats averaged over the epoch's critic batches (= -``d_loss``). For a fixed
    generator and a critic trained to its optimum it approaches D_f(P || Q);
    ``divergence_estimate(x)`` evaluates it on given data.

    Args:
        generator: ``keras.Model`` from ``[batch, latent_dim]`` noise to data.
        discriminator: ``keras.Model`` from data to raw critic outputs V in R
            (``[batch]``, ``[batch, 1]`` or a map, averaged per example); g_f is
            applied by the loss, so the network ends linear.
        divergence: one of ``kgen.models.gan.divergences.available()``.
        generator_loss: ``"minimax"`` or ``"alternative"``.
        **kwargs: as ``GAN`` (``n_critic``, ``latent_dim``, ``ema_decay``,
            ``data_range``, ``seed``, ``name``); not ``loss``, which
            ``divergence`` sets.

    Call arguments:
        z: ``[batch, latent_dim]`` noise. Returns G(z).

    Input shape: as ``GAN``: data ``[batch, *event_shape]``, the generator's output shape.
    Output shape: ``sample`` / ``generate``: ``[batch, *event_shape]``.

    Raises:
        ValueError: naming ``divergence`` (listing the choices), ``generator_loss``
            or ``loss``, and as ``GAN``.

    Example:

    >>> fgan = kgen.models.gan.FGAN(kgen.networks.mlp_generator(2, 2),
    ...                             kgen.networks.mlp_discriminator(2),
    ...                             divergence="reverse_kl", seed=0)
    >>> fgan.compile(optimizer={"generator": keras.optimizers.Adam(1e-3, 0.5),
    ...                         "discriminator": keras.optimizers.Adam(1e-3, 0.5)})
    >>> fgan.fit(points, batch_size=256, epochs=20)  # logs divergence_estimate (nats)
    >>> fgan.divergence_estimate(points).numpy().mean()
    """

    auxiliary_metric_names = ("divergence_estimate",)

    def __init__(self, generator, discriminator, divergence="kl", generator_loss="minimax",
                 **kwargs):
        if "loss" in kwargs:
            raise ValueError(f"`loss` is set by `divergence` in FGAN; pass "
                             f"divergence= one of {list(fdiv.available())}. "
                             f"Received: loss={kwargs['loss']!r}")
        loss = divergence_loss(divergence, generator_loss)  # checks both, before GAN's
        super().__init__(generator, discriminator, loss=loss, **kwargs)
        self.divergence = fdiv.get(divergence)
        self.generator_loss = generator_loss

    def discriminator_terms(self, real, fake, training=True, labels=None):
        """``GAN``'s terms plus ``divergence_estimate``, g_f(V(x)) - f*(g_f(V(G(z)))),
        each ``[batch]``."""
        terms = super().discriminator_terms(real, fake, training=training, labels=labels)
        # d_real / d_fake are the raw outputs V (the loss is not a probability one).
        terms["divergence_estimate"] = self.divergence.bound_terms(terms["d_real"],
                                                                   terms["d_fake"])
        return terms

    def divergence_estimate(self, x, seed=None, ema=None):
        """Per-example terms of the lower bound on D_f(P || Q) for data x ~ P against
        as many fresh samples G(z) ~ Q: g_f(V(x_i)) - f*(g_f(V(G(z_i)))), in nats.

        Their mean is the bound (its Monte Carlo estimate); a large ``x`` and a fixed
        ``seed`` give a precise, reproducible figure.

        Args:
            x: ``[batch, *event_shape]`` data.
            seed: optional int >= 0 for the noise z; ``None`` draws from the model.
            ema: as ``generate``.

        Returns:
            ``[batch]`` float32.

        Raises:
            ValueError / TypeError: naming ``x``, ``seed`` or ``ema``.
        """
        x = tf.convert_to_tensor(checks.data_array("x", x, self.event_shape,
                                                   value_range=self.data_range))
        fake = self._generate(self.noise(len(x), checks.seed("seed", seed)),
                              self._use_ema(ema))
        real_v, _ = self.critic(x, None, False)
        fake_v, _ = self.critic(fake, None, False)
        return self.divergence.bound_terms(real_v, fake_v)

    def get_config(self):
        config = super().get_config()
        config.pop("loss")
        return {**config, "divergence": self.divergence.name,
                "generator_loss": self.generator_loss}


__all__ = ["FGAN", "GENERATOR_LOSSES", "divergence_loss"]
