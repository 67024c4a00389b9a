"""Squeeze: the 2x2 space-to-depth step of multi-scale flows, and NICE's diagonal scaling."""

import tensorflow as tf

from kgen.layers.flow_layer import FlowLayer
from kgen.serialization import register_serializable


@register_serializable
class Squeeze(FlowLayer):
    """The squeeze operation (Dinh et al. 2016, arXiv:1605.08803, sec. 3.6).

    ``inverse`` (data -> latent) turns ``[H, W, C]`` into ``[H/2, W/2, 4C]``
    (``tf.nn.space_to_depth`` with blocks of 2x2); ``forward`` undoes it. A
    permutation: the log-det is 0.

    Input shape:
        ``[batch, H, W, C]`` with even ``H`` and ``W`` (data side).

    Raises:
        ValueError: naming ``event_shape`` for odd ``H`` or ``W`` (from
            ``inverse_event_shape``).
    """

    def forward_event_shape(self, shape):
        h, w, c = shape
        return (2 * h, 2 * w, c // 4)

    def inverse_event_shape(self, shape):
        if len(shape) != 3 or shape[0] % 2 or shape[1] % 2:
            raise ValueError(f"`event_shape` must be [H, W, C] with even H and W to squeeze. "
                             f"Received: event_shape={tuple(shape)}")
        h, w, c = shape
        return (h // 2, w // 2, 4 * c)

    def _forward(self, z, context):
        return tf.nn.depth_to_space(z, 2), tf.zeros(tf.shape(z)[:1], z.dtype)

    def _inverse(self, x, context):
        return tf.nn.space_to_depth(x, 2), tf.zeros(tf.shape(x)[:1], x.dtype)


@register_serializable
class DiagonalScaling(FlowLayer):
    """NICE's diagonal scaling layer (Dinh et al. 2014, arXiv:1410.8516, sec. 3.3).

    ``forward``: ``x = z * exp(s)``; ``inverse``: ``z = x * exp(-s)``, with one
    trainable log-scale ``s`` per dimension of the event (zero at the start);
    ``log|det dx/dz| = sum(s)``.

    Input shape:
        ``[batch, *event_shape]``.
    """

    def build(self, input_shape):
        super().build(input_shape)
        self.log_scale = self.add_weight(shape=tuple(input_shape[1:]), initializer="zeros",
                                         name="log_scale")

    def _total(self, x, sign):
        return tf.fill(tf.shape(x)[:1], sign * tf.reduce_sum(self.log_scale))

    def _forward(self, z, context):
        return z * tf.exp(self.log_scale), self._total(z, 1.0)

    def _inverse(self, x, context):
        return x * tf.exp(-self.log_scale), self._total(x, -1.0)


__all__ = ["DiagonalScaling", "Squeeze"]
