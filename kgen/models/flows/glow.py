"""Glow (Kingma & Dhariwal 2018): ActNorm, invertible 1x1 convolution, affine coupling,
multi-scale with factored-out latents (``FactorOut``)."""

import keras
import tensorflow as tf

from kgen import checks
from kgen.layers.actnorm import ActNorm
from kgen.layers.coupling import AffineCoupling
from kgen.layers.flow_layer import FlowLayer
from kgen.layers.invertible_conv import InvertibleConv1x1
from kgen.layers.squeeze import Squeeze
from kgen.models.flows.base import FlowModel
from kgen.models.registry import register
from kgen.serialization import register_serializable


def _bound(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value < float("inf"):
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={value!r}")
    return float(value)


@register_serializable
class FactorOut(FlowLayer):
    """The split of a multi-scale flow, with the deeper levels inside it (Dinh et al.
    2016, arXiv:1605.08803, sec. 3.6; Glow, arXiv:1807.03039, fig. 2b and its code's
    ``split2d``).

    On the data side ``x = [x1, x2]`` (channels ``[:C // 2]`` and ``[C // 2:]``):
    ``x1`` is factored out here, ``x2`` goes through ``inner_layers`` (the
    deeper levels, data side first). With ``learned_prior``, ``x1`` has the
    conditional prior ``N(mu(x2), exp(s(x2))^2)`` (a convolution of ``x2``,
    soft-clamped log-scale ``s = B tanh(s_raw / B)``), written as the affine
    map ``eps1 = (x1 - mu) * exp(-s)`` onto the standard normal base, so

        inverse (data -> latent):  [x1, x2] -> [eps1, flat(inner^-1(x2))]
        log|det| = -sum(s) + the inner layers' log-det

    which is exactly ``log N(x1; mu, sigma) + log p_inner(x2)`` under the
    base. Without it, ``eps1 = x1`` (a standard normal prior). The latent keeps
    the data side's shape: the inner latent is reshaped (a permutation) into
    ``x2``'s place.

    Args:
        inner_layers: list of ``FlowLayer``s, the deeper levels (data side first).
        learned_prior: bool, the conditional Gaussian prior on ``x1``.
        log_scale_bound: float > 0, the bound B of the prior's log-scale.
        seed: optional int >= 0 seeding the prior network.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Input shape:
        ``[batch, D]`` or ``[batch, H, W, C]`` with ``C >= 2`` (data side).

    Raises:
        ValueError: naming ``event_shape`` for one channel, or ``inner_layers``
            if it is empty or not flow layers.
    """

    def __init__(self, inner_layers, learned_prior=True, log_scale_bound=3.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        inner_layers = [keras.saving.deserialize_keras_object(layer)
                        if isinstance(layer, dict) else layer for layer in inner_layers]
        if not inner_layers or not all(isinstance(v, FlowLayer) for v in inner_layers):
            raise ValueError(f"`inner_layers` must be a non-empty list of FlowLayers. "
                             f"Received: inner_layers={inner_layers!r}")
        self.inner_layers = inner_layers
        if not isinstance(learned_prior, bool):
            raise TypeError(f"`learned_prior` must be True or False. "
                            f"Received: learned_prior={learned_prior!r}")
        self.learned_prior = learned_prior
        self.log_scale_bound = _bound("log_scale_bound", log_scale_bound)
        self.seed = checks.seed("seed", seed)

    def inverse_event_shape(self, shape):
        shape = tuple(shape)
        if len(shape) not in (1, 3) or shape[-1] < 2:
            raise ValueError(f"`event_shape` must be [D] or [H, W, C] with at least 2 "
                             f"channels to factor out half. Received: event_shape={shape}")
        inner = shape[:-1] + (shape[-1] - shape[-1] // 2,)
        for layer in self.inner_layers:
            inner = layer.inverse_event_shape(inner)
        self._inner_latent_shape = tuple(inner)
        return shape

    def build(self, input_shape):
        super().build(input_shape)
        shape = self.inverse_event_shape(input_shape[1:])
        self.factored = shape[-1] // 2
        if self.learned_prior:
            init = keras.initializers.RandomNormal(stddev=1e-3, seed=self.seed)
            self.prior = (keras.layers.Dense(2 * self.factored, kernel_initializer=init,
                                             name="prior") if len(shape) == 1 else
                          keras.layers.Conv2D(2 * self.factored, 3, padding="same",
                                              kernel_initializer=init, name="prior"))
            self.prior.build((None,) + shape[:-1] + (shape[-1] - self.factored,))

    def _prior(self, x2):
        """``(mu, s)`` of the factored half given the kept half."""
        params = self.prior(x2)
        bound = self.log_scale_bound
        return (params[..., :self.factored],
                bound * tf.tanh(params[..., self.factored:] / bound))

    def _event_sum(self, values):
        return tf.reduce_sum(tf.reshape(values, (tf.shape(values)[0], -1)), axis=1)

    def _inverse(self, x, context):
        x1, h = x[..., :self.factored], x[..., self.factored:]
        log_det = tf.zeros(tf.shape(x)[:1], x.dtype)
        if self.learned_prior:
            mean, log_scale = self._prior(h)
            x1, log_det = (x1 - mean) * tf.exp(-log_scale), -self._event_sum(log_scale)
        kept_shape = tf.shape(h)
        for layer in self.inner_layers:
            h, inner_log_det = layer(h, context=context, inverse=True)
            log_det += inner_log_det
        return tf.concat([x1, tf.reshape(h, kept_shape)], axis=-1), log_det

    def _forward(self, z, context):
        eps1, rest = z[..., :self.factored], z[..., self.factored:]
        kept_shape = tf.shape(rest)
        h = tf.reshape(rest, tf.concat([kept_shape[:1], self._inner_latent_shape], 0))
        log_det = tf.zeros(tf.shape(z)[:1], z.dtype)
        for layer in reversed(self.inner_layers):
            h, inner_log_det = layer(h, context=context)
            log_det += inner_log_det
        h = tf.reshape(h, kept_shape)
        if self.learned_prior:
            mean, log_scale = self._prior(h)
            eps1, log_det = eps1 * tf.exp(log_scale) + mean, log_det + self._event_sum(
                log_scale)
        return tf.concat([eps1, h], axis=-1), log_det

    def initialize(self, x):
        """ActNorm's data-dependent initialization of the inner layers on the kept
        half of ``x`` (each from its own input, as ``FlowModel.initialize_from_data``)."""
        x = tf.convert_to_tensor(x, tf.float32)
        h = x[..., x.shape[-1] // 2:]
        for layer in self.inner_layers:
            if hasattr(layer, "initialize"):
                layer.initialize(h)
            h = layer(h, inverse=True)[0]

    def get_config(self):
        return {**super().get_config(), "learned_prior": self.learned_prior,
                "log_scale_bound": self.log_scale_bound, "seed": self.seed,
                "inner_layers": [keras.saving.serialize_keras_object(layer)
                                 for layer in self.inner_layers]}


@register("glow")
class Glow(FlowModel):
    """Glow: generative flow with invertible 1x1 convolutions (Kingma & Dhariwal 2018,
    arXiv:1807.03039).

    One step of flow (sec. 3, table 1) is ``ActNorm`` (data-dependent
    initialization) -> ``InvertibleConv1x1`` (plain or LU-decomposed) ->
    ``AffineCoupling`` with a channel split (halves alternating between steps;
    soft-clamped log-scale), data side first; see ``FlowModel`` for the
    density, the preprocessing and the API.

    - Images ``[H, W, C]``: the multi-scale architecture (fig. 2b):
      ``num_scales`` levels, each a ``Squeeze`` and ``num_steps`` steps; after
      every level but the last, ``FactorOut`` (with ``factor_out``) sends
      half the channels to the latent, under a learned conditional Gaussian
      prior (``learned_prior``) or a standard normal one, and the other half
      to the next level. ``latent_shape`` is the first level's,
      ``[H/2, W/2, 4C]`` (``[H/2^L, W/2^L, 4^L C]`` without ``factor_out``).
      H and W must be divisible by ``2 ** num_scales``.
    - Vectors ``[D]``: one level of ``num_steps`` steps (an invertible linear
      map in place of the 1x1 convolution, MLP couplings).

    ``sample(n, temperature=T)`` scales every prior's standard deviation by
    ``T`` (sec. 5). The paper's learned top prior and class conditioning are
    not implemented.

    Args:
        event_shape: ``[D]`` or ``[H, W, C]``; default ``(2,)``.
        num_steps: int >= 1, steps of flow per level (the paper's K).
        num_scales: int >= 1, levels for images (the paper's L).
        filters, num_blocks: the couplings' CNNs (images).
        hidden_units: the couplings' MLPs (vectors).
        lu_decomposed: bool, the LU-decomposed 1x1 convolution (XLA-friendly).
        factor_out: bool, factor out half the channels after each level.
        learned_prior: bool, the factored-out halves' learned prior.
        log_scale_bound: float > 0, the bound of every log-scale.
        num_levels, logit_alpha, data_init, seed, **kwargs: as ``FlowModel``
            (8-bit images: ``num_levels=256``; bits/dim include the
            dequantization's ``-D log 256``).

    Call arguments:
        x: ``[batch, *event_shape]``.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` nats.

    Raises:
        ValueError / TypeError: naming the argument (``num_steps=0``, sizes not
            divisible by ``2 ** num_scales`` as ``event_shape``, ...).

    Example:

    >>> model = kgen.models.flows.Glow(event_shape=(28, 28, 1), num_scales=2, num_steps=8,
    ...                                num_levels=256, seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True)
    >>> model.fit(images, batch_size=64)
    >>> model.bits_per_dim(test_images), model.sample(16, seed=0, temperature=0.7)
    """

    def __init__(self, event_shape=(2,), num_steps=4, num_scales=2, filters=64, num_blocks=1,
                 hidden_units=(64, 64), lu_decomposed=True, factor_out=True,
                 learned_prior=True, log_scale_bound=3.0, num_levels=None, logit_alpha=None,
                 data_init=True, seed=None, **kwargs):
        super().__init__(event_shape, num_levels=num_levels, logit_alpha=logit_alpha,
                         data_init=data_init, seed=seed, **kwargs)
        self.num_steps = checks.positive_int("num_steps", num_steps)
        self.num_scales = checks.positive_int("num_scales", num_scales)
        self.filters = checks.positive_int("filters", filters)
        self.num_blocks = checks.positive_int("num_blocks", num_blocks, minimum=0)
        self.hidden_units = tuple([hidden_units] if isinstance(hidden_units, int)
                                  else hidden_units)
        for name, value in (("lu_decomposed", lu_decomposed), ("factor_out", factor_out),
                            ("learned_prior", learned_prior)):
            if not isinstance(value, bool):
                raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
        self.lu_decomposed, self.factor_out = lu_decomposed, factor_out
        self.learned_prior = learned_prior
        self.log_scale_bound = _bound("log_scale_bound", log_scale_bound)
        if len(self.event_shape) == 1:
            layers = self._steps(0)
        elif len(self.event_shape) == 3:
            layers = self._level(0)
        else:
            raise ValueError(f"`event_shape` must be [D] or [H, W, C]. "
                             f"Received: event_shape={self.event_shape}")
        self.set_flow_layers(layers)

    def _steps(self, level):
        layers = []
        for k in range(self.num_steps):
            index = level * self.num_steps + k
            layers += [
                ActNorm(name=f"actnorm_{level}_{k}"),
                InvertibleConv1x1(self.lu_decomposed, seed=self.layer_seed(2 * index),
                                  name=f"conv1x1_{level}_{k}"),
                AffineCoupling("channel", k % 2, hidden_units=self.hidden_units,
                               filters=self.filters, num_blocks=self.num_blocks,
                               log_scale_bound=self.log_scale_bound,
                               seed=self.layer_seed(2 * index + 1),
                               name=f"coupling_{level}_{k}")]
        return layers

    def _level(self, level):
        """Level ``level`` and, nested or following, the deeper ones (data side first)."""
        layers = [Squeeze(name=f"squeeze_{level}")] + self._steps(level)
        if level == self.num_scales - 1:
            return layers
        deeper = self._level(level + 1)
        if not self.factor_out:
            return layers + deeper
        seed = self.layer_seed(10_000 + level)
        return layers + [FactorOut(deeper, self.learned_prior, self.log_scale_bound,
                                   seed=seed, name=f"factor_out_{level}")]

    def get_config(self):
        return {**super().get_config(), "num_steps": self.num_steps,
                "num_scales": self.num_scales, "filters": self.filters,
                "num_blocks": self.num_blocks, "hidden_units": list(self.hidden_units),
                "lu_decomposed": self.lu_decomposed, "factor_out": self.factor_out,
                "learned_prior": self.learned_prior, "log_scale_bound": self.log_scale_bound}


__all__ = ["FactorOut", "Glow"]
