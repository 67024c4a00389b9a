"""``CycleGAN``: unpaired translation between two image domains with cycle consistency."""

import keras
import tensorflow as tf

from kgen import checks
from kgen.models.base import GenerativeModel
from kgen.models.gan import _domains, _history
from kgen.models.gan import losses as gan_losses
from kgen.models.gan.gan import _deserialize
from kgen.models.registry import register

NETWORKS = _domains.NETWORKS
# The least-squares loss of kgen.models.gan.losses: D's (r - 1)^2 / 2 + f^2 / 2 is the
# paper's halved D objective; its generator loss (f - 1)^2 / 2 is doubled below, since
# the paper's (and the released code's) G loss is the plain (f - 1)^2.
_LSGAN = gan_losses.get("least_squares")


def _l1(a, b):
    """Mean absolute difference per example, ``[batch]`` (the released code's L1Loss)."""
    return tf.reduce_mean(tf.reshape(tf.abs(a - b), (tf.shape(a)[0], -1)), axis=1)


@register("cyclegan")
class CycleGAN(GenerativeModel):
    """CycleGAN (Zhu et al. 2017, arXiv:1703.10593): generators G: X -> Y
    (``generator_xy``) and F: Y -> X (``generator_yx``) trained without pairs against
    discriminators D_X and D_Y, with the least-squares adversarial loss (Mao et al.
    2017), the cycle-consistency loss and, optionally, the identity loss:

        L_G = E_x (D_Y(G(x)) - 1)^2 + E_y (D_X(F(y)) - 1)^2
              + cycle_weight (E_x |F(G(x)) - x| + E_y |G(F(y)) - y|)
              + identity_weight (E_y |G(y) - y| + E_x |F(x) - x|)
        L_D_Y = E_y (D_Y(y) - 1)^2 / 2 + E_{y~} D_Y(y~)^2 / 2    (L_D_X alike)

    ``|.|`` is the mean absolute error over an example's pixels (the released code's
    ``L1Loss``), D's outputs are averaged over its patch map, and y~ comes from the
    history buffer of ``history_size`` generated images per discriminator (Shrivastava
    et al. 2017, arXiv:1612.07828): while filling it passes images through, then it
    returns a stored image in place of the new one with probability 1/2
    (``kgen.models.gan._history``). The buffer is training state (``add_state``), saved
    and resumed with the weights; its draws come from the model's ``uniform`` noise.
    Under a ``tf.distribute`` strategy it is replica-consistent: each step gathers the
    global batch of fakes, every replica applies the same update and keeps its own
    slice, so all replicas hold one buffer and a 2-replica step equals the 1-device one.

    **Players.** Four, one optimizer each: ``compile(optimizer={"generator_xy": ...,
    "generator_yx": ..., "discriminator_x": ..., "discriminator_y": ...})``. The
    paper's code uses one Adam for both generators and one for both discriminators;
    Adam's state is per variable and both halves are stepped together, so four Adams
    of the same settings take exactly that step, while each optimizer is saved,
    resumed and scheduled under its network's name. Each step is the released code's:
    one forward of both generators, one update of G and F on L_G (one gradient of the
    joint objective), then one of D_X and D_Y on the buffered fakes of that forward.

    **Data.** ``fit`` takes unpaired batches ``(x, y)`` of one size: a dataset of
    ``(x_batch, y_batch)`` zipped from two independently shuffled domains
    (``kgen.data.unpaired.unpaired_dataset``), or ``fit(x_images, y_images)``
    (shuffle them independently first: Keras batches them by index).

    ``fit`` reports ``generator_xy_loss`` and ``generator_yx_loss`` (the adversarial
    terms of G and F), ``discriminator_x_loss`` and ``discriminator_y_loss``,
    ``cycle_loss`` and ``identity_loss`` (unweighted, both directions summed; identity
    only with ``identity_weight > 0``), ``g_loss`` (L_G, weighted) and the mean raw D
    outputs ``d_x_real``, ``d_x_fake``, ``d_y_real``, ``d_y_fake`` (least squares:
    1 is "real", 0 "fake").

    CycleGAN translates; it has no unconditional ``sample`` (it raises
    ``NotImplementedError``). ``monitor`` is ``("cycle_loss", "min")``, a weak proxy:
    judge a translation by a downstream measure (``benchmarks/cyclegan_digits.py``).
    ``event_shape`` is the domain X's shape (``call(x)`` is G(x)).

    Args:
        generator_xy: ``keras.Model`` G from ``[batch, *x_shape]`` to
            ``[batch, *y_shape]``, e.g. ``kgen.networks.cyclegan_generator``.
        generator_yx: ``keras.Model`` F from ``[batch, *y_shape]`` to
            ``[batch, *x_shape]``.
        discriminator_x: ``keras.Model`` D_X from ``[batch, *x_shape]`` to raw outputs
            (a patch map, ``[batch, 1]`` or ``[batch]``), e.g.
            ``kgen.networks.patchgan_discriminator``.
        discriminator_y: D_Y, the same for ``y_shape``.
        cycle_weight: float >= 0, lambda of the cycle loss (10 in the paper).
        identity_weight: float >= 0 (the paper uses 0.5 * cycle_weight for photo ->
            painting); needs ``x_shape == y_shape`` when > 0.
        history_size: int >= 0, images in each buffer (50 in the paper; 0: none).
        data_range: ``(low, high)`` of both domains; default from the generators'
            output activation (tanh: ``(-1, 1)``). Data outside it is refused.
        seed: optional int >= 0 seeding the buffer's draws.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, *x_shape]``. Returns G(x).

    Raises:
        ValueError / TypeError: naming a network whose shapes do not chain (G's
            output must be D_Y's and F's input, F's output G's input and D_X's),
            ``cycle_weight``, ``identity_weight``, ``history_size``, ``data_range`` or
            ``event_shape``; later ``x`` / ``y`` of the translation methods and ``fit``.

    Example:

    >>> nets = dict(generator_xy=kgen.networks.cyclegan_generator(seed=0),
    ...             generator_yx=kgen.networks.cyclegan_generator(seed=1),
    ...             discriminator_x=kgen.networks.patchgan_discriminator(seed=2),
    ...             discriminator_y=kgen.networks.patchgan_discriminator(seed=3))
    >>> model = kgen.models.gan.CycleGAN(**nets, cycle_weight=10.0, seed=0)
    >>> model.compile(optimizer={p: keras.optimizers.Adam(2e-4, 0.5) for p in model.players})
    >>> model.fit(kgen.data.unpaired.unpaired_dataset(x_images, y_images, 16, seed=0))
    >>> model.translate_x_to_y(x_images[:8])   # G(x), [8, *y_shape]
    """

    players = NETWORKS
    monitor = ("cycle_loss", "min")

    def __init__(self, generator_xy, generator_yx, discriminator_x, discriminator_y,
                 cycle_weight=10.0, identity_weight=0.0, history_size=50, data_range=None,
                 seed=None, event_shape=None, **kwargs):
        nets = dict(zip(NETWORKS, map(_deserialize, (generator_xy, generator_yx,
                                                     discriminator_x, discriminator_y))))
        x_shape, y_shape = _domains.domain_shapes(nets)
        if event_shape is not None and tuple(event_shape) != x_shape:
            raise ValueError(f"`event_shape` must be generator_xy's input shape {x_shape}. "
                             f"Received: event_shape={event_shape!r}")
        super().__init__(event_shape=x_shape, seed=seed, **kwargs)
        self.x_shape, self.y_shape = x_shape, y_shape
        self.cycle_weight = checks.non_negative_float("cycle_weight", cycle_weight)
        self.identity_weight = checks.non_negative_float("identity_weight", identity_weight)
        if self.identity_weight > 0 and x_shape != y_shape:
            raise ValueError(f"`identity_weight` > 0 needs domains of one shape (G(y) ~ y); "
                             f"here X is {x_shape} and Y {y_shape}. Received: "
                             f"identity_weight={identity_weight}")
        self.history_size = checks.positive_int("history_size", history_size, minimum=0)
        self._data_range = _domains.data_range(data_range, nets)
        self._explicit_range = data_range
        for arg, net in nets.items():
            setattr(self, arg, net)
        names = [f"{n}_loss" for n in NETWORKS] + ["cycle_loss"]
        names += ["identity_loss"] if self.identity_weight > 0 else []
        names += ["g_loss", "d_x_real", "d_x_fake", "d_y_real", "d_y_fake"]
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.buffers = {}
        if self.history_size:
            for domain, shape in (("x", x_shape), ("y", y_shape)):
                self.buffers[domain] = (
                    self.add_state(f"history_{domain}", (self.history_size,) + shape),
                    self.add_state(f"history_{domain}_count", (), dtype="int32"))
        self.built = True

    @property
    def data_range(self):
        """``(low, high)`` of both domains, or ``None`` if unknown."""
        return self._data_range

    # --- translation -------------------------------------------------------------------
    def call(self, x, training=None):
        return self.generator_xy(x, training=training)

    def _checked(self, name, value, shape):
        return tf.constant(checks.data_array(name, value, shape, value_range=self.data_range))

    def translate_x_to_y(self, x):
        """G(x), ``[batch, *y_shape]``. Raises ``ValueError`` naming ``x`` on bad data."""
        return self.generator_xy(self._checked("x", x, self.x_shape), training=False)

    def translate_y_to_x(self, y):
        """F(y), ``[batch, *x_shape]``. Raises ``ValueError`` naming ``y`` on bad data."""
        return self.generator_yx(self._checked("y", y, self.y_shape), training=False)

    def reconstruct_x(self, x):
        """F(G(x)), ``[batch, *x_shape]``: the cycle X -> Y -> X."""
        return self.generator_yx(self.translate_x_to_y(x), training=False)

    def reconstruct_y(self, y):
        """G(F(y)), ``[batch, *y_shape]``: the cycle Y -> X -> Y."""
        return self.generator_xy(self.translate_y_to_x(y), training=False)

    def sample(self, num_samples, seed=None, **condition):
        """Not offered: CycleGAN translates an input and has no prior to sample from.

        Raises:
            NotImplementedError: always; use ``translate_x_to_y`` / ``translate_y_to_x``.
        """
        raise NotImplementedError("CycleGAN translates between domains and has no "
                                  "unconditional sample(); call translate_x_to_y(x) or "
                                  "translate_y_to_x(y) on images of the other domain")

    # --- the losses ----------------------------------------------------------------------
    def generator_terms(self, x, y, training=True):
        """The generators' per-example terms on unpaired batches x and y of one size:
        ``generator_xy_loss`` (D_Y(G(x)) - 1)^2, ``generator_yx_loss``, ``cycle_loss``
        |F(G(x)) - x| + |G(F(y)) - y|, ``identity_loss`` (if weighted) and ``g_loss``
        (the weighted sum), each ``[batch]``; plus the fakes ``fake_y`` = G(x) and
        ``fake_x`` = F(y)."""
        fake_y = self.generator_xy(x, training=training)
        fake_x = self.generator_yx(y, training=training)
        terms = {
            "generator_xy_loss": 2.0 * _LSGAN.generator_loss(
                gan_losses.per_example(self.discriminator_y(fake_y, training=training))),
            "generator_yx_loss": 2.0 * _LSGAN.generator_loss(
                gan_losses.per_example(self.discriminator_x(fake_x, training=training))),
            "cycle_loss": (_l1(self.generator_yx(fake_y, training=training), x)
                           + _l1(self.generator_xy(fake_x, training=training), y)),
        }
        g_loss = (terms["generator_xy_loss"] + terms["generator_yx_loss"]
                  + self.cycle_weight * terms["cycle_loss"])
        if self.identity_weight > 0:
            terms["identity_loss"] = (_l1(self.generator_xy(y, training=training), y)
                                      + _l1(self.generator_yx(x, training=training), x))
            g_loss += self.identity_weight * terms["identity_loss"]
        return {**terms, "g_loss": g_loss, "fake_x": fake_x, "fake_y": fake_y}

    def discriminator_terms(self, x, y, fake_x, fake_y, training=True):
        """Both discriminators' per-example least-squares losses on real images and
        (buffered) fakes, ``discriminator_x_loss`` / ``discriminator_y_loss``, and
        their mean raw outputs ``d_x_real`` ... ``d_y_fake``, each ``[batch]``."""
        terms = {}
        for domain, net, real, fake in (("x", self.discriminator_x, x, fake_x),
                                        ("y", self.discriminator_y, y, fake_y)):
            r = gan_losses.per_example(net(real, training=training))
            f = gan_losses.per_example(net(fake, training=training))
            terms.update({f"discriminator_{domain}_loss": _LSGAN.discriminator_loss(r, f),
                          f"d_{domain}_real": r, f"d_{domain}_fake": f})
        return terms

    def buffered(self, domain, fakes):
        """The fakes the discriminator of ``domain`` trains on: ``fakes`` passed through
        its history buffer (updating it), or themselves without one."""
        if not self.buffers:
            return tf.stop_gradient(fakes)
        buffer, count = self.buffers[domain]
        draws = self.uniform(tf.stack([tf.shape(fakes)[0], 2]))
        return _history.replica_query(buffer, count, fakes, draws)

    # --- training -------------------------------------------------------------------------
    def split_batch(self, data):
        """``(x, y)`` of a batch of ``fit``: the two domains' images, float32."""
        if not isinstance(data, (tuple, list)) or len(data) < 2 or data[1] is None:
            raise ValueError("CycleGAN trains on unpaired (x, y) batches: pass fit(x, y) or "
                             "a dataset of (x_batch, y_batch). Received: batches without "
                             "`y`")
        return tf.cast(data[0], tf.float32), tf.cast(data[1], tf.float32)

    def train_step(self, data):
        x, y = self.split_batch(data)
        with tf.GradientTape() as tape:
            g_terms = self.generator_terms(x, y)
            loss = self.total_loss(g_terms["g_loss"])
        g_grads = self._minimize_players(loss, tape, ("generator_xy", "generator_yx"))
        # The buffers' draws: D_Y's first, then D_X's.
        fake_y = self.buffered("y", g_terms.pop("fake_y"))
        fake_x = self.buffered("x", g_terms.pop("fake_x"))
        with tf.GradientTape() as tape:
            d_terms = self.discriminator_terms(x, y, fake_x, fake_y)
            loss = self.total_loss(d_terms["discriminator_x_loss"]
                                   + d_terms["discriminator_y_loss"])
        self._minimize_players(loss, tape, ("discriminator_x", "discriminator_y"), g_grads)
        return self.update_metrics({**g_terms, **d_terms})

    def _minimize_players(self, loss, tape, players, after=()):
        """``minimize`` for players that share one objective: one gradient of ``loss``
        for all their variables, each part applied by its player's optimizer (the
        gradient of a sum of independent losses is each loss's own). The updates wait
        for ``loss`` and the tensors ``after`` (the generators' gradients, which read
        the discriminators' weights), so that no read of the weights can race an
        update, whatever order Grappler leaves. Returns the gradients."""
        groups = [self.player_variables(p) for p in players]
        grads = tape.gradient(loss, [v for group in groups for v in group])
        with tf.control_dependencies([loss, *[g for g in after if g is not None]]):
            start = 0
            for player, variables in zip(players, groups):
                self.player_optimizer(player).apply(grads[start:start + len(variables)],
                                                    variables)
                start += len(variables)
        return grads

    def test_step(self, data):
        x, y = self.split_batch(data)
        g_terms = self.generator_terms(x, y, training=False)
        d_terms = self.discriminator_terms(x, y, g_terms.pop("fake_x"), g_terms.pop("fake_y"),
                                           training=False)
        return self.update_metrics({**g_terms, **d_terms})

    # --- input checks ----------------------------------------------------------------------
    def validate_inputs(self, x, name="x"):
        return checks.data_array(name, x, self.x_shape, value_range=self.data_range)

    def validate_pair(self, x, y, name="x"):
        """Checks one batch of each domain (shapes, range, one batch size).

        Raises:
            ValueError / TypeError: naming ``name`` (``x``, or ``y`` for its domain).
        """
        x = checks.data_array(name, x, self.x_shape, value_range=self.data_range)
        y_name = "y" if name == "x" else f"{name} y"
        y = checks.data_array(y_name, y, self.y_shape, value_range=self.data_range)
        if len(x) != len(y):
            raise ValueError(f"`{name}` must give batches of x and y of one size (unpaired, "
                             f"one per example). Received: {len(x)} x and {len(y)} y")
        return x, y

    def validate_data(self, x, name="x"):
        if isinstance(x, tf.data.Dataset):
            for batch in x.take(1):
                if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                    raise ValueError(f"`{name}` must yield unpaired (x_batch, y_batch) "
                                     f"pairs for CycleGAN. Received: a dataset of "
                                     f"{type(batch).__name__}")
                self.validate_pair(batch[0].numpy(), batch[1].numpy(), name)
            return None
        return super().validate_data(x, name)

    def fit(self, x=None, y=None, *args, **kwargs):
        if x is not None and not isinstance(x, tf.data.Dataset):
            if y is None:
                raise ValueError("`y` is required: CycleGAN trains on unpaired images of "
                                 "both domains, fit(x, y). Received: y=None")
            self.validate_pair(x, y)
        return super().fit(x, y, *args, **kwargs)

    # --- serving and config -----------------------------------------------------------------
    def serving_signatures(self):
        """``translate_x_to_y(x)`` -> ``y`` (also ``serving_default``) and
        ``translate_y_to_x(y)`` -> ``x``."""
        x_spec = tf.TensorSpec((None,) + self.x_shape, tf.float32, name="x")
        y_spec = tf.TensorSpec((None,) + self.y_shape, tf.float32, name="y")

        def x_to_y(x):
            return {"y": self.generator_xy(x, training=False)}

        def y_to_x(y):
            return {"x": self.generator_yx(y, training=False)}

        return {"serving_default": tf.function(x_to_y, input_signature=[x_spec]),
                "translate_x_to_y": tf.function(x_to_y, input_signature=[x_spec]),
                "translate_y_to_x": tf.function(y_to_x, input_signature=[y_spec])}

    def get_config(self):
        config = super().get_config()
        config.pop("event_shape")  # generator_xy's input shape
        return {**config,
                **{n: keras.saving.serialize_keras_object(getattr(self, n)) for n in NETWORKS},
                "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight,
                "history_size": self.history_size,
                "data_range": (None if self._explicit_range is None
                               else list(self._data_range))}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def from_preset(cls, model_args, event_shape, seed=None):
        """Builds the model for two domains of ``event_shape``: ``model_args`` may hold
        ``generator`` / ``discriminator`` specs, the keyword arguments of
        ``kgen.networks.cyclegan_generator`` / ``patchgan_discriminator`` (each network
        seeded from ``seed``), and ``CycleGAN``'s own arguments.

        Raises:
            ValueError: naming ``model_args`` (or ``model_args.generator`` /
                ``model_args.discriminator``) for an unknown or refused key.
        """
        args = dict(model_args or {})
        built = _domains.preset_networks(args.pop("generator", None),
                                         args.pop("discriminator", None), event_shape, seed)
        return super().from_preset({**built, **args}, event_shape, seed)


__all__ = ["CycleGAN"]
