"""Glow's invertible 1x1 convolution (Kingma & Dhariwal 2018), plain and LU-decomposed."""

import random as python_random

import keras
import numpy as np
import scipy.linalg
import tensorflow as tf

from kgen import checks
from kgen.layers.flow_layer import FlowLayer
from kgen.serialization import register_serializable


def random_rotation(channels, seed=None):
    """A random orthogonal ``[channels, channels]`` float64 matrix (QR of a Gaussian
    matrix, signs fixed so that the draw is uniform): Glow's initialization of ``W``.

    With ``seed=None`` the generator's seed is drawn from Python's ``random``, as
    Keras's unseeded initializers draw theirs, so ``keras.utils.set_random_seed``
    reproduces the rotation (``default_rng(None)`` would read the OS entropy)."""
    rng = np.random.default_rng(python_random.randint(1, 10**9) if seed is None else seed)
    q, r = np.linalg.qr(rng.normal(size=(channels, channels)))
    return q * np.sign(np.diag(r))


def _constant(value):
    return keras.initializers.Constant(np.asarray(value, np.float32))


@register_serializable
class InvertibleConv1x1(FlowLayer):
    """Invertible 1x1 convolution (Kingma & Dhariwal 2018, Glow, arXiv:1807.03039, sec. 3.2).

    One ``C x C`` matrix ``W`` mixes the channels of every position (a learned
    generalization of the channel permutations of RealNVP). In kgen's
    directions (``FlowLayer``), per position (row vectors over the last axis):

        inverse (data -> latent):  z = x W,      log|det dz/dx| = P * log|det W|
        forward (latent -> data):  x = z W^-1,   log|det dx/dz| = -P * log|det W|

    with ``P`` the positions per example (``H * W`` for images ``[H, W, C]``,
    1 for vectors ``[D]``, where the layer is an invertible linear map).

    - ``lu_decomposed=False``: ``W`` is a free weight; ``log|det W|`` from
      ``tf.linalg.slogdet`` (O(C^3); its ``LogMatrixDeterminant`` op has no
      XLA kernel, so this path does not compile with ``jit_compile=True``).
    - ``lu_decomposed=True`` (eq. 10): ``W = P L (U + diag(s))`` with the
      permutation ``P`` fixed, ``L`` lower triangular with a unit diagonal,
      ``U`` strictly upper triangular and ``s = sign(s) * exp(log|s|)``
      (``sign`` fixed); ``log|det W| = sum(log|s|)`` (O(C)), and ``W^-1`` by
      two triangular solves: no determinant op at all, so the layer compiles
      with XLA. ``P``, ``L``, ``U`` and ``sign`` come from the LU
      decomposition of the initial rotation (``scipy.linalg.lu``).

    ``W`` starts as a random rotation (log-det 0). ``permutation`` and
    ``sign`` are non-trainable weights, so a ``.keras`` file restores them.

    Args:
        lu_decomposed: bool, the LU parametrization.
        seed: optional int >= 0 seeding the initial rotation; ``None`` follows
            ``keras.utils.set_random_seed`` (see ``random_rotation``).
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments, Returns: as ``FlowLayer`` (no context).

    Input shape:
        ``[batch, ..., C]`` (``[batch, D]`` or ``[batch, H, W, C]``).

    Output shape:
        the same, and ``[batch]`` for the log-det (nats).

    Raises:
        TypeError: naming ``lu_decomposed`` if it is not a bool.
        ValueError: naming ``seed`` on a bad seed.

    Example:

    >>> layer = InvertibleConv1x1(lu_decomposed=True, seed=0)
    >>> z, log_det = layer(x, inverse=True)     # x: [batch, 8, 8, 12]
    >>> x2, _ = layer(z)                        # x2 == x
    """

    def __init__(self, lu_decomposed=True, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(lu_decomposed, bool):
            raise TypeError(f"`lu_decomposed` must be True or False. "
                            f"Received: lu_decomposed={lu_decomposed!r}")
        self.lu_decomposed = lu_decomposed
        self.seed = checks.seed("seed", seed)

    def build(self, input_shape):
        super().build(input_shape)
        channels = int(input_shape[-1])
        self.channels = channels
        rotation = random_rotation(channels, self.seed)
        square = (channels, channels)
        if not self.lu_decomposed:
            self.kernel = self.add_weight(shape=square, name="kernel",
                                          initializer=_constant(rotation))
            return
        p, lower, upper = scipy.linalg.lu(rotation)
        diagonal = np.diag(upper)
        values = {"permutation": p, "lower": np.tril(lower, -1), "upper": np.triu(upper, 1),
                  "log_abs_s": np.log(np.abs(diagonal)), "sign": np.sign(diagonal)}
        for name, value in values.items():
            setattr(self, name, self.add_weight(
                shape=value.shape, initializer=_constant(value), name=name,
                trainable=name not in ("permutation", "sign")))
        self._lower_mask = tf.constant(np.tril(np.ones(square), -1), tf.float32)
        self._upper_mask = tf.constant(np.triu(np.ones(square), 1), tf.float32)

    # --- W, W^-1 and log|det W| -------------------------------------------------
    def _triangles(self):
        eye = tf.eye(self.channels)
        lower = self.lower * self._lower_mask + eye
        upper = (self.upper * self._upper_mask
                 + tf.linalg.diag(self.sign * tf.exp(self.log_abs_s)))
        return lower, upper

    def weight_matrix(self):
        """``W``, ``[C, C]`` (``P L (U + diag(s))`` when LU-decomposed)."""
        if not self.lu_decomposed:
            return tf.convert_to_tensor(self.kernel)
        lower, upper = self._triangles()
        return tf.matmul(self.permutation, tf.matmul(lower, upper))

    def inverse_weight_matrix(self):
        """``W^-1``: ``tf.linalg.inv``, or ``(U + diag(s))^-1 L^-1 P^T`` by two
        triangular solves when LU-decomposed."""
        if not self.lu_decomposed:
            return tf.linalg.inv(self.kernel)
        lower, upper = self._triangles()
        inner = tf.linalg.triangular_solve(lower, tf.transpose(self.permutation), lower=True)
        return tf.linalg.triangular_solve(upper, inner, lower=False)

    def log_abs_det(self):
        """``log|det W|``, a scalar in nats."""
        if not self.lu_decomposed:
            return tf.linalg.slogdet(self.kernel)[1]
        return tf.reduce_sum(self.log_abs_s)

    # --- the step ----------------------------------------------------------------
    def _apply(self, x, matrix, sign):
        flat = tf.matmul(tf.reshape(x, (-1, self.channels)), matrix)
        positions = tf.cast(tf.reduce_prod(tf.shape(x)[1:-1]), x.dtype)
        log_det = tf.fill(tf.shape(x)[:1], sign * positions * self.log_abs_det())
        return tf.reshape(flat, tf.shape(x)), log_det

    def _forward(self, z, context):
        return self._apply(z, self.inverse_weight_matrix(), -1.0)

    def _inverse(self, x, context):
        return self._apply(x, self.weight_matrix(), 1.0)

    def get_config(self):
        return {**super().get_config(), "lu_decomposed": self.lu_decomposed, "seed": self.seed}


__all__ = ["InvertibleConv1x1", "random_rotation"]
