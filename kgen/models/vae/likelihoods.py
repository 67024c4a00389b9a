"""Observation models p(x | z) of the VAE family, as Keras layers over TFP.

A likelihood layer turns the decoder's output (one value per data dimension,
shape ``[..., *event_shape]``) into a ``tfd.Independent`` distribution whose
``log_prob`` is in nats per example. Learned scales live in the layer, so the
decoder network always outputs ``event_shape`` values.
"""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import checks
from kgen.serialization import register_serializable

tfd = tfp.distributions


@register_serializable
class BernoulliLikelihood(keras.layers.Layer):
    """Factorised Bernoulli p(x|z) over binary pixels, decoder output = logits.

    Data: values exactly 0 or 1 (e.g. binarized MNIST).
    Mean: ``sigmoid(logits)``, in [0, 1].
    """

    data_range = (0.0, 1.0)
    binary = True
    integer = True
    noise = "uniform"

    def __init__(self, event_shape, **kwargs):
        super().__init__(**kwargs)
        self.event_shape = tuple(event_shape)

    def call(self, params):
        return tfd.Independent(
            tfd.Bernoulli(logits=params, dtype=tf.float32),
            reinterpreted_batch_ndims=len(self.event_shape),
        )

    def mean(self, params):
        return tf.sigmoid(params)

    def sample(self, params, uniform_noise):
        return tf.cast(uniform_noise < tf.sigmoid(params), tf.float32)

    def get_config(self):
        return {**super().get_config(), "event_shape": list(self.event_shape)}


@register_serializable
class GaussianLikelihood(keras.layers.Layer):
    """Factorised Gaussian p(x|z) = N(x; mu(z), sigma^2), decoder output = mu.

    ``sigma`` is a learned per-dimension scale (``log_scale`` weight,
    initialised at ``log(init_scale)``), shared over examples.

    Args:
        event_shape: shape of one example.
        init_scale: initial standard deviation (> 0), in data units.
    """

    data_range = None
    binary = False
    integer = False
    noise = "normal"

    def __init__(self, event_shape, init_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.event_shape = tuple(event_shape)
        if not init_scale > 0:
            raise ValueError(f"`init_scale` must be > 0. Received: init_scale={init_scale}")
        self.init_scale = float(init_scale)
        self.log_scale = self.add_weight(
            shape=self.event_shape,
            initializer=keras.initializers.Constant(np.log(self.init_scale)),
            name="log_scale",
        )

    def call(self, params):
        return tfd.Independent(
            tfd.Normal(loc=params, scale=tf.exp(self.log_scale)),
            reinterpreted_batch_ndims=len(self.event_shape),
        )

    def mean(self, params):
        return params

    def sample(self, params, normal_noise):
        return params + tf.exp(self.log_scale) * normal_noise

    def get_config(self):
        return {
            **super().get_config(),
            "event_shape": list(self.event_shape),
            "init_scale": self.init_scale,
        }


@register_serializable
class DiscretizedLogisticLikelihood(keras.layers.Layer):
    """Discretized logistic p(x|z) over 8-bit pixels, decoder output = loc.

    Each pixel k in {0, ..., num_bins - 1} gets the logistic mass of
    [k - 0.5, k + 0.5], with the edge bins taking the tails (Kingma et al.
    2016, IAF, arXiv:1606.04934, sec. 5.2; Salimans et al. 2017,
    arXiv:1701.05517, eq. 2). Built on ``tfd.QuantizedDistribution``.

    Data: integer-valued floats in [0, num_bins - 1] (pixel range 0..255).
    The decoder's output is the logistic location in pixel units; the
    per-pixel ``log_scale`` is learned (initial scale ``num_bins / 16``).

    Args:
        event_shape: shape of one example.
        num_bins: int >= 2, the number of pixel levels (256 for 8-bit).

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


# What ``VAE`` asks of a likelihood layer besides ``call(params) -> tfd``.
INTERFACE = ("mean", "sample", "binary", "data_range", "noise")

LIKELIHOODS = {
    "bernoulli": BernoulliLikelihood,
    "gaussian": GaussianLikelihood,
    "logistic": DiscretizedLogisticLikelihood,
}


def get(name, event_shape):
    """Builds the likelihood layer registered as ``name``."""
    checks.one_of("likelihood", name, LIKELIHOODS)
    return LIKELIHOODS[name](event_shape, name=f"{name}_likelihood")
