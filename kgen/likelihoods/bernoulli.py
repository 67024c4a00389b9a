"""Factorised Bernoulli likelihood over binary data."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.serialization import register_serializable

tfd = tfp.distributions


@register_serializable
class BernoulliLikelihood(keras.layers.Layer):
    """Factorised Bernoulli p(x | params) over binary pixels, params = logits.

    Data: values exactly 0 or 1 (e.g. binarized MNIST).
    Mean: ``sigmoid(logits)``, in [0, 1].
    Sample: ``1[u < sigmoid(logits)]`` from uniform noise ``u``.

    Args:
        event_shape: shape of one example.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).
    """

    data_range = (0.0, 1.0)
    binary = True
    integer = True
    noise = "uniform"

    def __init__(self, event_shape, **kwargs):
        super().__init__(**kwargs)
        self.event_shape = tuple(event_shape)

    @property
    def params_shape(self):
        """The shape of ``params`` for one example: ``event_shape``."""
        return self.event_shape

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
