"""Discretized logistic likelihood over 8-bit (or other integer-level) pixels."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.serialization import register_serializable

tfd = tfp.distributions


@register_serializable
class DiscretizedLogisticLikelihood(keras.layers.Layer):
    """Discretized logistic p(x | params) over 8-bit pixels, params = loc.

    Each pixel k in {0, ..., num_bins - 1} gets the logistic mass of
    [k - 0.5, k + 0.5], with the edge bins taking the tails (Kingma et al.
    2016, IAF, arXiv:1606.04934, sec. 5.2; Salimans et al. 2017,
    arXiv:1701.05517, eq. 2). Built on ``tfd.QuantizedDistribution``.

    Data: integer-valued floats in [0, num_bins - 1] (pixel range 0..255).
    ``params`` is the logistic location in pixel units; the per-pixel
    ``log_scale`` is learned (initial scale ``num_bins / 16``).

    Args:
        event_shape: shape of one example.
        num_bins: int >= 2, the number of pixel levels (256 for 8-bit).
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Raises:
        ValueError / TypeError: if ``num_bins`` is not an integer >= 2.
    """

    binary = False
    integer = True
    noise = "uniform"

    def __init__(self, event_shape, num_bins=256, **kwargs):
        super().__init__(**kwargs)
        self.event_shape = tuple(event_shape)
        self.num_bins = checks.positive_int("num_bins", num_bins, minimum=2)
        self.data_range = (0.0, float(self.num_bins - 1))
        self.log_scale = self.add_weight(
            shape=self.event_shape,
            initializer=keras.initializers.Constant(np.log(self.num_bins / 16.0)),
            name="log_scale",
        )

    @property
    def params_shape(self):
        """The shape of ``params`` for one example: ``event_shape``."""
        return self.event_shape

    def call(self, params):
        # Shift by half a bin so that bin k covers [k - 0.5, k + 0.5].
        logistic = tfd.Logistic(loc=params - 0.5, scale=tf.exp(self.log_scale))
        quantized = tfd.QuantizedDistribution(
            logistic, low=0.0, high=float(self.num_bins - 1)
        )
        return tfd.Independent(quantized, reinterpreted_batch_ndims=len(self.event_shape))

    def mean(self, params):
        """The location, clipped to [0, num_bins - 1]: the median of the
        discretized logistic (its mean differs near the edge bins). Images
        drawn from it are the usual "mean" picture of PixelCNN++-style models."""
        return tf.clip_by_value(params, 0.0, float(self.num_bins - 1))

    def sample(self, params, uniform_noise):
        u = tf.clip_by_value(uniform_noise, 1e-6, 1 - 1e-6)
        x = params + tf.exp(self.log_scale) * (tf.math.log(u) - tf.math.log1p(-u))
        return tf.clip_by_value(tf.round(x), 0.0, float(self.num_bins - 1))

    def get_config(self):
        return {
            **super().get_config(),
            "event_shape": list(self.event_shape),
            "num_bins": self.num_bins,
        }
