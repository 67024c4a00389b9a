"""``BigGAN``: ``ConditionalGAN`` with BigGAN's defaults, presets and truncated serving."""

import tensorflow as tf

from kgen import checks
from kgen.models.gan.conditional_gan import ConditionalGAN
from kgen.models.registry import register

# Keys of a preset's ``{type: biggan}`` network specs (the builders' arguments).
NETWORK_KEYS = {
    "generator": {"base_channels", "embedding_dim", "attention_resolution",
                  "orthogonal_weight", "spectral_norm", "synchronized"},
    "discriminator": {"base_channels", "attention_resolution", "spectral_norm"},
}
DISCRIMINATOR_SEED_OFFSET = 1000  # as kgen.models.gan.preset_args


@register("biggan")
class BigGAN(ConditionalGAN):
    """BigGAN's parts (Brock et al. 2019, arXiv:1809.11096) as a class-conditional GAN.

    Why a small subclass: ``ConditionalGAN`` already trains everything BigGAN adds,
    because the parts live in the networks (``kgen.networks.biggan_generator`` /
    ``biggan_discriminator``): the shared class embedding, the hierarchical latents
    and the class-conditional BN (``kgen.layers.ConditionalBatchNormalization``), the
    self-attention block (``kgen.layers.SelfAttention``, SAGAN, Zhang et al. 2019,
    arXiv:1805.08318), spectral norm in both networks, the projection discriminator
    (Miyato & Koyama 2018, arXiv:1802.05637), and the orthogonal regularization (a
    kernel regularizer, ``kgen.layers.OffDiagonalOrthogonalRegularizer``, which
    ``GAN``'s step adds to the loss through ``model.losses``: the generator's
    penalty moves only the generator). ``GAN.sample(truncation=t)`` is already the
    truncation trick: BigGAN resamples every coordinate of z with ``|z| > t``, which
    draws z from N(0, 1) truncated to ``[-t, t]``, the distribution ``GAN.noise``
    draws by the inverse CDF (the same law, other draws). So this class only:

    - defaults to the hinge loss (BigGAN's, Lim & Ye 2017; Miyato et al. 2018);
    - builds the BigGAN networks from a preset's ``{type: biggan, ...}`` specs
      (``from_preset``), which ``kgen.models.gan.preset_args`` does not know;
    - adds the serving signature ``sample_truncated(labels, truncation)``.

    The BNs of ``biggan_generator`` use synchronized (cross-replica) batch statistics,
    so a step under a 2-replica ``MirroredStrategy`` equals the 1-device step.

    Args:
        generator: ``keras.Model`` from ``[z, labels]`` to ``[batch, *event_shape]``,
            e.g. ``kgen.networks.biggan_generator(60, 10)``.
        discriminator: ``keras.Model`` from ``[x, labels]`` to raw outputs, e.g.
            ``kgen.networks.biggan_discriminator((28, 28, 1), 10)``.
        num_classes: int >= 2.
        loss: a name of ``kgen.models.gan.losses.available()``; default ``"hinge"``.
        **kwargs: as ``GAN`` (``n_critic``, ``ema_decay``, ``seed``, ...).

    Call arguments:
        inputs: ``[z, labels]``. Returns G(z, labels) (the training generator).

    Raises:
        ValueError: as ``ConditionalGAN`` (``labels`` may be left out);
            ``truncation`` <= 0 in ``sample``; in
            ``from_preset``, naming ``model_args.<role>`` on an unknown key.

    Example:

    >>> gan = kgen.models.gan.BigGAN(
    ...     kgen.networks.biggan_generator(60, 10, (28, 28, 1), seed=0),
    ...     kgen.networks.biggan_discriminator((28, 28, 1), 10, seed=1),
    ...     num_classes=10, n_critic=2, seed=0)
    >>> gan.compile(optimizer={"generator": keras.optimizers.Adam(1e-4, 0.0, 0.999),
    ...                        "discriminator": keras.optimizers.Adam(4e-4, 0.0, 0.999)})
    >>> gan.fit(images, labels, batch_size=2 * 64, epochs=10)
    >>> gan.sample(10, labels=range(10), truncation=0.5)   # in [-1, 1]
    """

    def __init__(self, generator, discriminator, num_classes=10, loss="hinge", **kwargs):
        super().__init__(generator, discriminator, num_classes=num_classes, loss=loss,
                         **kwargs)

    def serving_signatures(self):
        """``ConditionalGAN``'s, and ``sample_truncated(labels, truncation)``: one image
        per label from z truncated to ``[-truncation, truncation]`` (> 0)."""
        signatures = super().serving_signatures()
        y_spec = tf.TensorSpec((None,), tf.int32, name="labels")
        t_spec = tf.TensorSpec((), tf.float32, name="truncation")
        ema = bool(self.ema)

        def sample_truncated(labels, truncation):
            check = tf.debugging.assert_positive(truncation, message="`truncation` > 0")
            with tf.control_dependencies([check]):
                z = self.noise(tf.shape(labels)[0], truncation=truncation)
            return {"x": self._generate(z, ema, labels)}

        signatures["sample_truncated"] = tf.function(sample_truncated,
                                                     input_signature=[y_spec, t_spec])
        return signatures

    @classmethod
    def from_preset(cls, model_args, event_shape, seed=None):
        """As ``GAN.from_preset``; a ``generator`` / ``discriminator`` spec of
        ``type: biggan`` builds ``kgen.networks.biggan_*`` with its other keys."""
        from kgen import networks

        args = dict(model_args)
        builders = {"generator": networks.biggan_generator,
                    "discriminator": networks.biggan_discriminator}
        for role, build in builders.items():
            spec = args.get(role)
            if not isinstance(spec, dict) or spec.get("type") != "biggan":
                continue
            spec = {k: v for k, v in spec.items() if k != "type"}
            extra = sorted(set(spec) - NETWORK_KEYS[role])
            if extra:
                raise ValueError(f"Unknown keys {extra} in `model_args.{role}` of type "
                                 f"biggan. Known keys: {sorted(NETWORK_KEYS[role])}")
            classes = checks.positive_int("model_args.num_classes",
                                          args.get("num_classes", 10), minimum=2)
            net_seed = None if seed is None else seed + (
                DISCRIMINATOR_SEED_OFFSET if role == "discriminator" else 0)
            if role == "generator":
                args[role] = build(args.get("latent_dim", 60), classes, tuple(event_shape),
                                   seed=net_seed, **spec)
            else:
                args[role] = build(tuple(event_shape), classes, seed=net_seed, **spec)
        return super().from_preset(args, event_shape, seed)


__all__ = ["BigGAN"]
