"""Factorised Gaussian likelihood over real-valued data."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.serialization import register_serializable

tfd = tfp.distributions


@register_serializable
class GaussianLikelihood(keras.layers.Layer):
    """Factorised Gaussian p(x | params) = N(x; mu, sigma^2), params = mu.

    ``sigma`` is a learned per-dimension scale (``log_scale`` weight,
    initialised at ``log(init_scale)``), shared over examples.

    Args:
        event_shape: shape of one example.
        init_scale: initial standard deviation (> 0), in data units.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Raises:
        ValueError: if ``init_scale`` is not > 0.
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

    @property
    def params_shape(self):
        """The shape of ``params`` for one example: ``event_shape``."""
        return self.event_shape

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
