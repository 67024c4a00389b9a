"""256-way categorical likelihood over 8-bit pixels (PixelCNN's softmax)."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.serialization import register_serializable

tfd = tfp.distributions


@register_serializable
class CategoricalLikelihood(keras.layers.Layer):
    """Factorised categorical p(x | params) over integer pixels, params = logits.

    Every pixel takes one of ``num_bins`` levels ``0, ..., num_bins - 1`` with
    probabilities ``softmax(logits)`` over the last axis of ``params``: the
    256-way softmax of PixelCNN (van den Oord et al. 2016,
    https://arxiv.org/abs/1601.06759, sec. 3.4), which puts no shape on the
    distribution of a pixel's level:

        log p(x | logits) = sum_pixels [logits[x] - logsumexp_k logits[k]]

    Data: integer-valued floats in [0, num_bins - 1] (pixel range 0..255).
    Params: logits ``[..., *event_shape, num_bins]`` (``params_shape``), one
    more axis than the other likelihoods take.
    Mean: the expected level ``sum_k k * softmax(logits)_k``, in
    [0, num_bins - 1] (not an integer in general).
    Sample: the Gumbel-max draw ``argmax_k(logits_k - log(-log(u_k)))`` from
    uniform noise ``u`` with the shape of ``params`` (one uniform per level), an
    exact draw from the softmax.

    Args:
        event_shape: shape of one example (e.g. ``(28, 28, 1)``).
        num_bins: int >= 2, the number of pixel levels (256 for 8-bit).
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        params: logits ``[..., *event_shape, num_bins]``.

    Returns:
        ``call(params)``: a ``tfd.Independent`` over ``event_shape`` of
        ``tfd.Categorical`` (float32 values), ``log_prob`` in nats per example.

    Raises:
        ValueError / TypeError: if ``num_bins`` is not an integer >= 2; a
            ``ValueError`` on ``params`` whose last axis is not ``num_bins`` or
            whose trailing axes are not ``event_shape``.

    Example:

    >>> likelihood = CategoricalLikelihood((2, 2, 1))
    >>> logits = tf.zeros((3, 2, 2, 1, 256))
    >>> likelihood(logits).log_prob(tf.zeros((3, 2, 2, 1))).numpy()  # 4 * log(1/256)
    array([-22.18071, -22.18071, -22.18071], dtype=float32)
    """

    binary = False
    integer = True
    noise = "uniform"

    def __init__(self, event_shape, num_bins=256, **kwargs):
        super().__init__(**kwargs)
        self.event_shape = tuple(event_shape)
        self.num_bins = checks.positive_int("num_bins", num_bins, minimum=2)
        self.data_range = (0.0, float(self.num_bins - 1))

    @property
    def params_shape(self):
        """The shape of ``params`` for one example: ``event_shape + (num_bins,)``."""
        return self.event_shape + (self.num_bins,)

    def _checked(self, params):
        params = tf.convert_to_tensor(params, tf.float32)
        shape = tuple(params.shape)
        rank = len(self.params_shape)
        trailing = shape[-rank:] if len(shape) >= rank else None
        if trailing is None or any(
                got is not None and got != want
                for got, want in zip(trailing, self.params_shape)):
            raise ValueError(
                f"`params` must be logits [..., {', '.join(map(str, self.params_shape))}] "
                f"(event_shape={self.event_shape}, then num_bins={self.num_bins}). "
                f"Received: params.shape={shape}")
        return params

    def call(self, params):
        return tfd.Independent(
            tfd.Categorical(logits=self._checked(params), dtype=tf.float32),
            reinterpreted_batch_ndims=len(self.event_shape),
        )

    def mean(self, params):
        probs = tf.nn.softmax(self._checked(params), axis=-1)
        levels = tf.range(self.num_bins, dtype=probs.dtype)
        return tf.reduce_sum(probs * levels, axis=-1)

    def sample(self, params, uniform_noise):
        # Gumbel-max: with g = -log(-log(u)), argmax(logits + g) ~ softmax(logits).
        # Uniform draws are in [0, 1): u = 0 (which would make g = -inf and forbid
        # even a near-certain level) is raised to the smallest normal float, g >= -4.5;
        # u < 1 keeps g <= 16.7.
        u = tf.maximum(tf.cast(uniform_noise, tf.float32), np.finfo(np.float32).tiny)
        gumbel = -tf.math.log(-tf.math.log(u))
        return tf.cast(tf.argmax(self._checked(params) + gumbel, axis=-1), tf.float32)

    def get_config(self):
        return {
            **super().get_config(),
            "event_shape": list(self.event_shape),
            "num_bins": self.num_bins,
        }
