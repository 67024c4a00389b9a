"""Planar and radial flow steps (Rezende & Mohamed 2015, arXiv:1505.05770, sec. 4.1)."""

import keras
import tensorflow as tf

from kgen import checks
from kgen.layers.flow_layer import FlowLayer
from kgen.serialization import register_serializable

# Bisection steps of the planar inverse before its Newton step: the bracket
# shrinks to 2 |w.u| / 2**40, below float32 resolution.
BISECTION_STEPS = 40


def _init(seed, stddev):
    return keras.initializers.RandomNormal(stddev=stddev, seed=seed)


# --- the maths of one step, on parameters that broadcast over leading axes --------
# (the layers below hold them as weights; an amortized flow, e.g. the VAE's planar
# posterior, gives them per example from an encoder)
def planar_u_hat(w, u):
    """``u + (m(w.u) - w.u) w / |w|^2`` over the last axis, ``m(a) = -1 +
    softplus(a)``: then ``w.u_hat = m(w.u) > -1`` and the planar map is invertible.
    At ``w = 0`` (an encoder's output can be exactly 0) it is ``u``, not NaN: the
    map is then the translation by ``u tanh(b)``."""
    wu = tf.reduce_sum(w * u, axis=-1, keepdims=True)
    return u + (tf.nn.softplus(wu) - 1.0 - wu) * tf.math.divide_no_nan(
        w, tf.reduce_sum(w ** 2, axis=-1, keepdims=True))


def planar_log_det(a, wu, b):
    """``log|1 + w.u_hat * (1 - tanh^2(a + b))|`` for ``a = w.z``."""
    return tf.math.log(tf.abs(1.0 + wu * (1.0 - tf.tanh(a + b) ** 2)))


def planar_forward(z, w, u_hat, b):
    """``z + u_hat tanh(w.z + b)`` and its log|det|: ``z``, ``w``, ``u_hat``
    ``[..., D]`` and ``b`` ``[...]``, broadcast; returns ``[..., D]`` and ``[...]``."""
    a = tf.reduce_sum(z * w, axis=-1)
    wu = tf.reduce_sum(w * u_hat, axis=-1)
    return z + u_hat * tf.tanh(a + b)[..., None], planar_log_det(a, wu, b)


def radial_alpha_beta(alpha_raw, beta_raw):
    """``alpha = softplus(alpha_raw) > 0``, ``beta = -alpha + softplus(beta_raw) > -alpha``."""
    alpha = tf.nn.softplus(alpha_raw)
    return alpha, -alpha + tf.nn.softplus(beta_raw)


def radial_log_det(r, alpha, beta, dims):
    """``(D - 1) log(1 + beta h) + log(1 + beta h - beta r / (alpha + r)^2)``."""
    bh = beta / (alpha + r)
    return (dims - 1.0) * tf.math.log1p(bh) + tf.math.log1p(bh - beta * r / (alpha + r) ** 2)


def radial_norm(v):
    """``|v|`` over the last axis, smoothed at 0."""
    return tf.sqrt(tf.reduce_sum(v ** 2, axis=-1) + 1e-12)


def radial_forward(z, z0, alpha, beta):
    """``z + beta (z - z0) / (alpha + |z - z0|)`` and its log|det|: ``z``, ``z0``
    ``[..., D]`` and ``alpha``, ``beta`` ``[...]``, broadcast."""
    r = radial_norm(z - z0)
    x = z + (beta / (alpha + r))[..., None] * (z - z0)
    return x, radial_log_det(r, alpha, beta, tf.cast(tf.shape(z)[-1], z.dtype))


@register_serializable
class PlanarStep(FlowLayer):
    """A planar flow step on vectors ``[D]`` (eq. 10-12, appendix A.1):

        forward (latent -> data):  x = z + u_hat * tanh(w.z + b)
        log|det dx/dz| = log|1 + u_hat.w * (1 - tanh^2(w.z + b))|

    with ``u_hat = u + (m(w.u) - w.u) w / |w|^2``, ``m(a) = -1 + softplus(a)``,
    so ``w.u_hat > -1`` and the map is invertible. The paper gives no inverse;
    here ``inverse`` (data -> latent, the density direction) solves the scalar
    equation ``a + (w.u_hat) tanh(a + b) = w.x`` for ``a = w.z`` (strictly
    increasing in ``a``) by bisection in ``[w.x - |w.u_hat|, w.x + |w.u_hat|]``
    without gradient, then takes one Newton step with gradient, which gives the
    exact gradient of the root (implicit function theorem); ``z = x - u_hat
    tanh(a + b)``.

    Args:
        seed: optional int >= 0 seeding ``w`` (standard normal) and ``u`` (stddev 0.1).
        **kwargs: base ``keras.layers.Layer`` arguments.

    Input shape:
        ``[batch, D]``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = checks.seed("seed", seed)

    def build(self, input_shape):
        super().build(input_shape)
        dims = (input_shape[-1],)
        seed = self.seed
        self.w = self.add_weight(shape=dims, initializer=_init(seed, 1.0), name="w")
        self.u = self.add_weight(shape=dims, initializer=_init(None if seed is None
                                                               else seed + 1, 0.1), name="u")
        self.b = self.add_weight(shape=(), initializer="zeros", name="b")

    def _forward(self, z, context):
        return planar_forward(z, self.w, planar_u_hat(self.w, self.u), self.b)

    def _inverse(self, x, context):
        u_hat = planar_u_hat(self.w, self.u)
        wu = tf.reduce_sum(self.w * u_hat)
        target = tf.linalg.matvec(x, self.w)
        g = lambda a: a + wu * tf.tanh(a + self.b) - target  # noqa: E731
        width = tf.stop_gradient(tf.abs(wu)) + 1e-6
        low, high = tf.stop_gradient(target) - width, tf.stop_gradient(target) + width
        for _ in range(BISECTION_STEPS):
            mid = 0.5 * (low + high)
            above = tf.stop_gradient(g(mid)) > 0
            low, high = tf.where(above, low, mid), tf.where(above, mid, high)
        a = tf.stop_gradient(0.5 * (low + high))
        a = a - g(a) / (1.0 + wu * (1.0 - tf.tanh(a + self.b) ** 2))
        return x - u_hat * tf.tanh(a + self.b)[:, None], -planar_log_det(a, wu, self.b)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@register_serializable
class RadialStep(FlowLayer):
    """A radial flow step on vectors ``[D]`` (eq. 14, appendix A.2):

        forward (latent -> data):  x = z + beta h(r) (z - z0),  r = |z - z0|,
                                   h(r) = 1 / (alpha + r)
        log|det dx/dz| = (D - 1) log(1 + beta h) + log(1 + beta h - beta r / (alpha + r)^2)

    with ``alpha = softplus(alpha_raw) > 0`` and ``beta = -alpha +
    softplus(beta_raw) > -alpha`` (invertible). ``inverse`` is closed-form:
    ``R = |x - z0| = r (1 + beta / (alpha + r))`` is the quadratic
    ``r^2 + (alpha + beta - R) r - alpha R = 0``, whose positive root gives
    ``r``, then ``z = z0 + (x - z0) / (1 + beta h(r))``.

    Args:
        seed: optional int >= 0 seeding ``z0`` (standard normal).
        **kwargs: base ``keras.layers.Layer`` arguments.

    Input shape:
        ``[batch, D]``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = checks.seed("seed", seed)

    def build(self, input_shape):
        super().build(input_shape)
        self.z0 = self.add_weight(shape=(input_shape[-1],), initializer=_init(self.seed, 1.0),
                                  name="z0")
        self.alpha_raw = self.add_weight(shape=(), initializer="zeros", name="alpha_raw")
        self.beta_raw = self.add_weight(shape=(), initializer=keras.initializers.Constant(0.5),
                                        name="beta_raw")

    def _forward(self, z, context):
        return radial_forward(z, self.z0, *radial_alpha_beta(self.alpha_raw, self.beta_raw))

    def _inverse(self, x, context):
        alpha, beta = radial_alpha_beta(self.alpha_raw, self.beta_raw)
        big_r = radial_norm(x - self.z0)
        c = alpha + beta - big_r
        r = 0.5 * (-c + tf.sqrt(c ** 2 + 4.0 * alpha * big_r))
        z = self.z0 + (x - self.z0) / (1.0 + beta / (alpha + r))[:, None]
        return z, -radial_log_det(r, alpha, beta, tf.cast(tf.shape(x)[-1], x.dtype))

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


__all__ = ["PlanarStep", "RadialStep", "planar_forward", "planar_log_det", "planar_u_hat",
           "radial_alpha_beta", "radial_forward", "radial_log_det", "radial_norm"]
