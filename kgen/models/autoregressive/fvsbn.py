"""FVSBN: the fully visible sigmoid belief network (logistic conditionals)."""

import tensorflow as tf

from kgen.models.autoregressive.base import AutoregressiveModel, strictly_lower_mask
from kgen.models.registry import register


@register("fvsbn")
class FVSBN(AutoregressiveModel):
    """Fully visible sigmoid belief network over binary vectors or images.

    Each pixel is a logistic regression on the pixels before it in raster
    order (Frey 1998; the baseline of Larochelle & Murray 2011, sec. 2):

        p(x_d = 1 | x_<d) = sigmoid(b_d + sum_{j<d} W_dj x_j)

    with ``W`` strictly lower-triangular: the kernel ``W`` ``[D, D]`` is a
    full weight and the triangular mask is applied in ``call`` (``W *
    mask``), so the masked entries get zero gradient and never matter.
    ``log_prob`` is exact (one matrix product); D (D - 1) / 2 + D
    parameters are used.

    References:
        1. Frey, "Graphical models for machine learning and digital
           communication", MIT Press 1998.
        2. Larochelle & Murray, "The Neural Autoregressive Distribution
           Estimator", AISTATS 2011, sec. 2.
           https://proceedings.mlr.press/v15/larochelle11a.html

    Args:
        event_shape: shape of one example; default ``(28, 28, 1)``.
        seed: optional int >= 0 seeding every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: on a bad ``event_shape`` or ``seed``; naming
            ``x`` from ``log_prob`` / ``fit`` on data of the wrong shape or
            not binary.

    Example:

    >>> model = kgen.models.autoregressive.FVSBN(seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=100))
    >>> model.log_prob(x)          # [batch], nats
    >>> model.sample(16, seed=0)   # [16, 28, 28, 1], binary pixels
    """

    def __init__(self, event_shape=(28, 28, 1), seed=None, **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.mask = strictly_lower_mask(self.num_dims)
        self.build((None,) + self.event_shape)

    def build(self, input_shape):
        if self.built:
            return
        self.kernel = self.add_weight(shape=(self.num_dims, self.num_dims), name="kernel",
                                      initializer="zeros")
        self.bias = self.add_weight(shape=(self.num_dims,), initializer="zeros", name="bias")
        self.built = True

    def conditionals(self, x, training=None):
        """Logits ``[batch, *event_shape]``: ``b + x W_masked^T``."""
        flat = tf.reshape(x, (-1, self.num_dims))
        kernel = self.kernel * tf.constant(self.mask)
        logits = tf.matmul(flat, kernel, transpose_b=True) + self.bias
        return tf.reshape(logits, tf.concat([[-1], self.event_shape], 0))


__all__ = ["FVSBN"]
