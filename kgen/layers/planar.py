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

    def _u_hat(self):
        wu = tf.reduce_sum(self.w * self.u)
        return self.u + (tf.nn.softplus(wu) - 1.0 - wu) * self.w / tf.reduce_sum(self.w ** 2)

    def _log_det(self, a, wu):
        return tf.math.log(tf.abs(1.0 + wu * (1.0 - tf.tanh(a + self.b) ** 2)))

    def _forward(self, z, context):
        u_hat = self._u_hat()
        a = tf.linalg.matvec(z, self.w)
        wu = tf.reduce_sum(self.w * u_hat)
        return z + u_hat * tf.tanh(a + self.b)[:, None], self._log_det(a, wu)

    def _inverse(self, x, context):
        u_hat = self._u_hat()
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
        return x - u_hat * tf.tanh(a + self.b)[:, None], -self._log_det(a, wu)

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

    def _alpha_beta(self):
        alpha = tf.nn.softplus(self.alpha_raw)
        return alpha, -alpha + tf.nn.softplus(self.beta_raw)

    def _log_det(self, r, alpha, beta, dims):
        bh = beta / (alpha + r)
        return ((dims - 1.0) * tf.math.log1p(bh)
                + tf.math.log1p(bh - beta * r / (alpha + r) ** 2))

    @staticmethod
    def _norm(v):
        return tf.sqrt(tf.reduce_sum(v ** 2, axis=-1) + 1e-12)

    def _forward(self, z, context):
        alpha, beta = self._alpha_beta()
        r = self._norm(z - self.z0)
        x = z + (beta / (alpha + r))[:, None] * (z - self.z0)
        return x, self._log_det(r, alpha, beta, tf.cast(tf.shape(z)[-1], z.dtype))

    def _inverse(self, x, context):
        alpha, beta = self._alpha_beta()
        big_r = self._norm(x - self.z0)
        c = alpha + beta - big_r
        r = 0.5 * (-c + tf.sqrt(c ** 2 + 4.0 * alpha * big_r))
        z = self.z0 + (x - self.z0) / (1.0 + beta / (alpha + r))[:, None]
        return z, -self._log_det(r, alpha, beta, tf.cast(tf.shape(x)[-1], x.dtype))

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


__all__ = ["PlanarStep", "RadialStep"]
