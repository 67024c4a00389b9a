"""Class-conditional batch normalization: BN whose gain and bias are linear maps of a
conditioning vector (BigGAN's shared class embedding with its chunk of z)."""

import keras

from kgen import checks
from kgen.layers._options import checked_bools, copies
from kgen.serialization import register_serializable


@register_serializable
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization with a per-example gain and bias computed from a condition.

    ``x`` is normalized per channel (last axis) with the batch statistics in training
    and the moving statistics in inference, with no learned scale or offset of its own;
    then, for a conditioning vector ``c`` of each example::

        gain = 1 + c @ W_gain        bias = c @ W_bias        ([batch, channels])
        y = gain * (x - mean) / sqrt(var + epsilon) + bias

    the gain and bias broadcast over the positions of the example. ``W_gain`` and
    ``W_bias`` have no bias term and start at zero by default, so a fresh layer is plain
    BN with gain 1 and bias 0 ("1 + linear", as in BigGAN's code). This is the
    conditional BN of de Vries et al. 2017 (arXiv:1707.00683) in the form BigGAN uses
    (Brock et al. 2019, arXiv:1809.11096, sec. 3 and appendix B): ``c`` is a shared
    class embedding concatenated with this block's chunk of z (hierarchical latents);
    with a one-hot ``c`` it is Miyato & Koyama's per-class gains and biases.

    The statistics are synchronized across the replicas of a ``tf.distribute`` strategy
    by default (``synchronized=True``, Keras's ``BatchNormalization`` option, as
    BigGAN's cross-replica BN): a 2-replica step then normalizes with the global batch's
    mean and variance, as one device does, and equals the 1-device step. With
    ``synchronized=False`` each replica uses its own half batch.

    Args:
        momentum: float, of the moving statistics (as ``keras.layers.BatchNormalization``).
        epsilon: float > 0 added to the variance.
        synchronized: bool, global (cross-replica) batch statistics.
        spectral_norm: bool, wrap the two linear maps in
            ``keras.layers.SpectralNormalization`` (BigGAN's generator does).
        kernel_initializer: of ``W_gain`` and ``W_bias`` (default zeros).
        kernel_regularizer: optional regularizer of ``W_gain`` and ``W_bias`` (e.g.
            ``kgen.layers.OffDiagonalOrthogonalRegularizer``).
        **kwargs: base ``keras.layers.Layer`` arguments (e.g. ``name``).

    Call arguments:
        inputs: ``[x, condition]``.
        training: bool, batch statistics (and moving-average updates) if True.

    Input shape:
        ``x``: ``[batch, ..., channels]``; ``condition``: ``[batch, condition_dim]``.

    Output shape:
        as ``x``.

    Raises:
        ValueError / TypeError: naming ``epsilon``, ``momentum`` or ``synchronized``;
            ``inputs`` on build if they are not ``[x, condition]`` with a rank-2
            condition.

    Example:

    >>> cbn = kgen.layers.ConditionalBatchNormalization()
    >>> y = cbn([x, c], training=True)   # x: [8, 14, 14, 64], c: [8, 52]
    """

    def __init__(self, momentum=0.99, epsilon=1e-4, synchronized=True, spectral_norm=False,
                 kernel_initializer="zeros", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.momentum = checks.non_negative_float("momentum", momentum)
        if self.momentum > 1:
            raise ValueError(f"`momentum` must be in [0, 1]. Received: momentum={momentum}")
        self.epsilon = checks.non_negative_float("epsilon", epsilon)
        if self.epsilon == 0:
            raise ValueError(f"`epsilon` must be > 0. Received: epsilon={epsilon}")
        self.synchronized, self.spectral_norm = checked_bools(
            synchronized=synchronized, spectral_norm=spectral_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.batch_norm = keras.layers.BatchNormalization(
            momentum=self.momentum, epsilon=self.epsilon, center=False, scale=False,
            synchronized=synchronized, name="batch_norm")

    def _linear(self, name, units, initializer):
        dense = keras.layers.Dense(units, use_bias=False, name=name,
                                   kernel_initializer=initializer,
                                   kernel_regularizer=self.kernel_regularizer)
        if self.spectral_norm:
            return keras.layers.SpectralNormalization(dense, name=f"{name}_sn")
        return dense

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not all(
                isinstance(s, (list, tuple)) for s in input_shape) or len(input_shape[1]) != 2:
            raise ValueError(f"`inputs` must be [x, condition] with condition of shape "
                             f"[batch, condition_dim]. Received: inputs of shape "
                             f"{input_shape}")
        x_shape, c_shape = (tuple(s) for s in input_shape)
        self.batch_norm.build(x_shape)
        gain_init, bias_init = copies(self.kernel_initializer, 2)
        self.gain = self._linear("gain", int(x_shape[-1]), gain_init)
        self.bias = self._linear("bias", int(x_shape[-1]), bias_init)
        self.gain.build(c_shape)
        self.bias.build(c_shape)

    def call(self, inputs, training=None):
        x, condition = inputs
        normalized = self.batch_norm(x, training=training)
        shape = [-1] + [1] * (len(x.shape) - 2) + [x.shape[-1]]
        gain = keras.ops.reshape(1.0 + self.gain(condition, training=training), shape)
        bias = keras.ops.reshape(self.bias(condition, training=training), shape)
        return normalized * gain + bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "synchronized": self.synchronized, "spectral_norm": self.spectral_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


__all__ = ["ConditionalBatchNormalization"]
