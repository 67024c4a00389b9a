"""``ProgressiveGAN``: a GAN whose networks grow from low to full resolution while it
trains, each new block faded in (Karras et al. 2018, arXiv:1710.10196)."""

import copy

import tensorflow as tf

from kgen import checks
from kgen.models.gan import losses as gan_losses
from kgen.models.gan.gan import GAN, _deserialize
from kgen.models.registry import register
from kgen.networks import progressive as nets

# The discriminator's seed is the generator's plus this (as for the other GAN presets).
DISCRIMINATOR_SEED_OFFSET = 1000
NETWORK_KEYS = {"generator": {"filters"}, "discriminator": {"filters", "group_size"}}


def progress_at(images_seen, images_per_phase, num_stages):
    """``(stage, alpha)`` after ``images_seen`` real images, the paper's schedule
    (sec. 3, app. A.1): stage 0 trains for one phase of ``images_per_phase`` images;
    each later stage first fades in for one phase (alpha = fraction of the phase
    done, 0 -> 1) and then stabilizes (alpha = 1) for one; the last stage stays.
    At stage 0 alpha is 1 (no block to fade). So with P images a phase, stage s >= 1
    starts at (2 s - 1) P images with alpha = 0 and reaches alpha = 1 at 2 s P.

    Returns:
        ``(int32 stage, float32 alpha)`` scalar tensors; exact at phase boundaries.
    """
    t = tf.cast(images_seen, tf.float64) / float(images_per_phase) - 1.0  # phases past 0
    zero, one = tf.zeros_like(t), tf.ones_like(t)
    stage = tf.where(t < 0, zero, 1.0 + tf.floor(t / 2.0))
    alpha = tf.where(t < 0, one, tf.clip_by_value(t - 2.0 * (stage - 1.0), 0.0, 1.0))
    last = float(num_stages - 1)
    alpha = tf.where(stage > last, one, alpha)
    return tf.cast(tf.minimum(stage, last), tf.int32), tf.cast(alpha, tf.float32)


@register("progressive_gan")
class ProgressiveGAN(GAN):
    """Progressive GAN (Karras, Aila, Laine, Lehtinen 2018, arXiv:1710.10196).

    The generator and discriminator grow through ``resolutions`` (e.g. 7x7 -> 14x14
    -> 28x28): each new block is faded in, alpha going 0 -> 1 over
    ``images_per_phase`` real images, then trained alone for as many (sec. 3,
    ``progress_at``). Networks: ``kgen.networks.progressive_generator`` /
    ``progressive_discriminator`` (equalized learning rate, sec. 4.1; pixel norm,
    sec. 4.2; minibatch standard deviation, sec. 3). Loss: WGAN-GP (``gp_weight``
    10) plus the drift term ``drift_weight * D(x)^2`` (1e-3, app. A.1) in the
    critic's loss, reported as ``drift`` (the mean of D(x)^2).

    **Training state.** ``images_seen``, ``stage`` and ``alpha`` are ``add_state``
    weights: saved in ``.keras`` files and by ``BackupAndRestore``, so a resumed
    ``fit`` goes on where it stopped. Each ``train_step`` runs at the stored
    ``(stage, alpha)`` and then adds the global batch size (all ``n_critic`` chunks)
    to ``images_seen`` and sets ``(stage, alpha) = progress_at(images_seen)``; logs
    show ``stage`` and ``alpha`` after the step. ``set_progress`` jumps.

    **Static shapes.** Every image, real or generated, has the full size at every
    stage: the generator's ``r_s`` image is upsampled by nearest neighbours, and the
    real images are average-pooled to ``r_s``, blended with their half-resolution
    version while the stage fades in (as the paper's code does with its reals) and
    upsampled back (``kgen.networks.progressive.stage_images``); the discriminator
    average-pools its input to each level again. The networks compute every block at
    every stage, weighting each level's path by the stage and alpha (exactly 0 above
    the stage, so those blocks have no effect and get exactly zero gradients: Adam
    leaves them as initialized, and earlier blocks keep their weights through a
    switch). One traced step thus serves all stages, a stage change needs no retrace,
    XLA compiles it, and it runs under ``tf.distribute``; the price is that the early
    stages cost as much as the last (a ``tf.switch_case`` over the stages, measured,
    traced 6x slower and did not compile under XLA: ``kgen.networks.progressive``).
    The gradient penalty is taken at the full-size interpolates, as in the paper's
    code (at stage s its norm is the ``r_s`` image gradient's over the upsampling
    factor).

    ``sample`` / ``generate`` return full-size images at the current stage and alpha,
    clipped to ``data_range`` (the toRGB layers are linear, as in the paper).
    Everything else (``n_critic`` chunks, EMA, metrics, serving) is ``GAN``'s.

    Args:
        generator: a ``kgen.networks.ProgressiveGenerator`` (or a ``keras.Model``
            with its ``[z, progress]`` inputs and ``resolutions``).
        discriminator: a ``kgen.networks.ProgressiveDiscriminator`` (likewise).
        images_per_phase: int >= 1, real images per fade-in and per stabilization
            phase (800,000 in the paper).
        drift_weight: float >= 0, epsilon_drift (1e-3).
        resolutions: ``None`` (the networks') or the schedule, which must equal the
            networks' and end at the data's size.
        loss: a critic loss of ``kgen.models.gan.losses`` (not ``minimax`` /
            ``non_saturating``, whose outputs are probabilities): ``wasserstein_gp``.
        n_critic: int >= 1 (1 in the paper).
        data_range: ``(low, high)`` of the data, ``(-1, 1)``.
        **kwargs: as ``GAN`` (``gp_weight``, ``ema_decay``, ``seed``, ``name``).

    Call arguments:
        z: ``[batch, latent_dim]`` noise. Returns G(z) at the current stage.

    Raises:
        ValueError / TypeError: naming ``generator``, ``discriminator``,
            ``resolutions``, ``images_per_phase``, ``drift_weight`` or ``loss``, or
            as ``GAN``.

    Example:

    >>> gan = kgen.models.gan.ProgressiveGAN(
    ...     kgen.networks.progressive_generator(100, (28, 28, 1), (7, 14, 28)),
    ...     kgen.networks.progressive_discriminator((28, 28, 1), (7, 14, 28)),
    ...     images_per_phase=100_000, ema_decay=0.999, seed=0)
    >>> gan.compile(optimizer={"generator": keras.optimizers.Adam(1e-3, 0.0, 0.99),
    ...                        "discriminator": keras.optimizers.Adam(1e-3, 0.0, 0.99)})
    >>> gan.fit(images.batch(64, drop_remainder=True), epochs=20)
    >>> gan.sample(16, seed=0)   # [16, 28, 28, 1] in [-1, 1]
    """

    # Both networks take a second input, (stage, alpha), where a conditional GAN's
    # networks take labels: GAN's input checks expect it so.
    label_inputs = ("generator", "discriminator")
    auxiliary_metric_names = ("drift",)

    def __init__(self, generator, discriminator, images_per_phase=600_000, drift_weight=1e-3,
                 resolutions=None, loss="wasserstein_gp", n_critic=1, data_range=(-1.0, 1.0),
                 **kwargs):
        generator, discriminator = _deserialize(generator), _deserialize(discriminator)
        for arg, net in (("generator", generator), ("discriminator", discriminator)):
            if not hasattr(net, "resolutions"):
                raise TypeError(f"`{arg}` must be a growing network of "
                                f"kgen.networks.progressive. Received: {arg}={net!r}")
        if gan_losses.get(loss).probability:
            raise ValueError(f"`loss` must be a critic loss (the drift term acts on raw "
                             f"critic values), e.g. 'wasserstein_gp'. Received: loss={loss!r}")
        super().__init__(generator, discriminator, loss=loss, n_critic=n_critic,
                         data_range=data_range, **kwargs)
        schedule = tuple(generator.resolutions)
        if tuple(discriminator.resolutions) != schedule:
            raise ValueError(f"`discriminator` must grow through the generator's resolutions "
                             f"{schedule}. Received: {tuple(discriminator.resolutions)}")
        if resolutions is not None:
            resolutions, _ = nets.check_resolutions(resolutions, self.event_shape)
            if resolutions != schedule:
                raise ValueError(f"`resolutions` must be the networks' {schedule}. "
                                 f"Received: resolutions={resolutions}")
        self.resolutions = schedule
        self.images_per_phase = checks.positive_int("images_per_phase", images_per_phase)
        self.drift_weight = checks.non_negative_float("drift_weight", drift_weight)
        self.images_seen = self.add_state("images_seen", (), dtype="int64")
        self.stage = self.add_state("stage", (), dtype="int32")
        self.alpha = self.add_state("alpha", (), initializer="ones")

    # --- the stage and alpha ---------------------------------------------------------
    def progress(self, batch):
        """``[batch, 2]`` rows ``(stage, alpha)``, the networks' second input."""
        row = tf.stack([tf.cast(self.stage, tf.float32), tf.cast(self.alpha, tf.float32)])
        return tf.tile(row[None], [batch, 1])

    def set_progress(self, images_seen):
        """Sets ``images_seen`` and the ``(stage, alpha)`` it gives; returns them."""
        self.images_seen.assign(tf.cast(images_seen, tf.int64))
        stage, alpha = progress_at(self.images_seen, self.images_per_phase,
                                   len(self.resolutions))
        self.stage.assign(stage)
        self.alpha.assign(alpha)
        return stage, alpha

    # --- GAN's hooks -----------------------------------------------------------------
    def call(self, z, training=None):
        return self.generator(self.generator_inputs(z, None), training=training)

    def generator_inputs(self, z, labels):
        return [z, self.progress(tf.shape(z)[0])]

    def critic(self, x, labels, training):
        out = self.discriminator([x, self.progress(tf.shape(x)[0])], training=training)
        return gan_losses.per_example(out), None

    def split_batch(self, data):
        """The real images at the current stage and alpha (full size), no labels."""
        x = self.unpack_batch(data)
        return nets.stage_images(x, self.stage, self.alpha, self.resolutions), None

    def discriminator_terms(self, real, fake, training=True, labels=None):
        """``GAN``'s terms plus ``drift`` = D(x)^2, added to ``d_loss`` times
        ``drift_weight``."""
        terms = super().discriminator_terms(real, fake, training, labels)
        terms["drift"] = tf.square(terms["d_real"])  # the raw critic value
        terms["d_loss"] += self.drift_weight * terms["drift"]
        return terms

    def _generate(self, z, ema, labels=None):
        low, high = self.data_range
        return tf.clip_by_value(super()._generate(z, ema, labels), low, high)

    def train_step(self, data):
        logs = super().train_step(data)
        batch = tf.shape(self.unpack_batch(data))[0]
        context = tf.distribute.get_replica_context()
        replicas = 1 if context is None else context.num_replicas_in_sync
        stage, alpha = self.set_progress(
            self.images_seen + tf.cast(batch * replicas, tf.int64))
        return {**logs, "stage": stage, "alpha": alpha}

    # --- config and presets ------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "images_per_phase": self.images_per_phase,
                "drift_weight": self.drift_weight, "resolutions": list(self.resolutions)}

    @classmethod
    def from_preset(cls, model_args, event_shape, seed=None):
        """Builds the model from a preset's ``model_args``: ``latent_dim`` (100),
        ``resolutions`` (for both networks and the model) and the network specs
        ``generator: {filters: [...]}`` and ``discriminator: {filters: [...],
        group_size: 4}``; the rest are ``ProgressiveGAN``'s arguments.

        Raises:
            ValueError: naming ``model_args.<role>`` for an unknown key, or as
                ``ProgressiveGAN``.
        """
        args = copy.deepcopy(model_args)
        latent_dim = args.pop("latent_dim", 100)
        resolutions = tuple(args.get("resolutions", (7, 14, 28)))
        specs = {}
        for role, known in NETWORK_KEYS.items():
            spec = args.get(role) or {}
            if not isinstance(spec, dict) or set(spec) - known:
                raise ValueError(f"`model_args.{role}` must be a spec with keys from "
                                 f"{sorted(known)}. Received: {spec!r}")
            specs[role] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
        d_seed = None if seed is None else seed + DISCRIMINATOR_SEED_OFFSET
        args["generator"] = nets.progressive_generator(latent_dim, event_shape, resolutions,
                                                       seed=seed, **specs["generator"])
        args["discriminator"] = nets.progressive_discriminator(
            event_shape, resolutions, seed=d_seed, **specs["discriminator"])
        return super(GAN, cls).from_preset(args, event_shape, seed)


__all__ = ["ProgressiveGAN", "progress_at"]
