"""ActNorm: per-channel affine normalization with data-dependent initialization."""

import keras
import tensorflow as tf

from kgen.layers.flow_layer import FlowLayer
from kgen.serialization import register_serializable


@register_serializable
class ActNorm(FlowLayer):
    """Activation normalization (Kingma & Dhariwal 2018, arXiv:1807.03039, sec. 3.1).

    A per-channel (last axis) affine map with a location ``loc`` and a
    log-scale ``log_scale``, ``[channels]`` each:

        inverse (data -> latent):  z = (x - loc) * exp(-log_scale)
        forward (latent -> data):  x = z * exp(log_scale) + loc
        log|det dz/dx| = -P * sum(log_scale),  P = positions per channel
                                                (H * W for images, 1 for vectors)

    ``initialize(x)`` sets ``loc`` to the per-channel mean of ``x`` and
    ``log_scale`` to the log of its standard deviation (plus ``epsilon``), so
    that ``inverse(x)`` has zero mean and unit variance per channel on that
    batch: Glow's data-dependent initialization. Before it, the layer is the
    identity. The flow models call it on their first training batch
    (``FlowModel.initialize_from_data``), once, eagerly and on the whole
    batch, so every replica of a ``tf.distribute`` strategy gets the same
    values.

    Args:
        epsilon: float > 0 added to the standard deviation.
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments, Returns: as ``FlowLayer`` (no context).

    Input shape:
        ``[batch, ..., channels]``.

    Output shape:
        the same, and ``[batch]`` for the log-det.

    Example:

    >>> layer = ActNorm()
    >>> layer.initialize(x)                 # x: [batch, 8, 8, 3]
    >>> z, log_det = layer(x, inverse=True)  # z has zero mean, unit variance
    """

    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool) or epsilon <= 0:
            raise ValueError(f"`epsilon` must be a number > 0. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        self.loc = self.add_weight(shape=(channels,), initializer="zeros", name="loc")
        self.log_scale = self.add_weight(shape=(channels,), initializer="zeros",
                                         name="log_scale")

    def _positions(self, x):
        return tf.cast(tf.reduce_prod(tf.shape(x)[1:-1]), x.dtype)

    def _forward(self, z, context):
        x = z * tf.exp(self.log_scale) + self.loc
        return x, tf.fill(tf.shape(z)[:1], self._positions(z) * tf.reduce_sum(self.log_scale))

    def _inverse(self, x, context):
        z = (x - self.loc) * tf.exp(-self.log_scale)
        return z, tf.fill(tf.shape(x)[:1], -self._positions(x) * tf.reduce_sum(self.log_scale))

    def initialize(self, x):
        """Sets ``loc`` and ``log_scale`` from the per-channel statistics of ``x``
        (``[batch, ..., channels]``), so that ``inverse(x)`` is standardized."""
        x = tf.convert_to_tensor(x, tf.float32)
        if not self.built:
            self.build(tuple(x.shape))
        axes = list(range(len(x.shape) - 1))
        mean, variance = tf.nn.moments(x, axes=axes)
        self.loc.assign(mean)
        self.log_scale.assign(tf.math.log(tf.sqrt(variance) + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


__all__ = ["ActNorm"]
