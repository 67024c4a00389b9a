"""ConditionalBatchNormalization: BN with per-example gains and biases by hand, plain BN
for equal conditions, moving statistics, serialization, bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import testing
from kgen.layers import ConditionalBatchNormalization

EPS = 1e-4


def _layer(x, c, seed=0, **kwargs):
    """A built layer with random gain and bias maps (a fresh one has zeros)."""
    layer = ConditionalBatchNormalization(epsilon=EPS, **kwargs)
    layer([x, c], training=False)
    rng = np.random.default_rng(seed)
    w_gain = rng.normal(size=layer.gain.kernel.shape).astype(np.float32)
    w_bias = rng.normal(size=layer.bias.kernel.shape).astype(np.float32)
    layer.gain.kernel.assign(w_gain)
    layer.bias.kernel.assign(w_bias)
    return layer, w_gain.astype(np.float64), w_bias.astype(np.float64)


def _inputs(batch=6, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.normal(2.0, 3.0, (batch, 3, 3, 4)).astype(np.float32),
            rng.normal(size=(batch, 5)).astype(np.float32))


def test_training_output_is_batch_norm_with_the_per_example_gain_and_bias_by_hand():
    x, c = _inputs()
    layer, w_gain, w_bias = _layer(x, c)
    y = layer([x, c], training=True).numpy()
    x64 = x.astype(np.float64)
    mean, var = x64.mean((0, 1, 2)), x64.var((0, 1, 2))
    gain = 1.0 + c.astype(np.float64) @ w_gain          # [batch, channels]
    bias = c.astype(np.float64) @ w_bias
    expected = (gain[:, None, None] * (x64 - mean) / np.sqrt(var + EPS)
                + bias[:, None, None])
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    # The moving statistics moved by (1 - momentum) towards the batch's.
    np.testing.assert_allclose(layer.batch_norm.moving_mean.numpy(), 0.01 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.batch_norm.moving_variance.numpy(), 0.99 + 0.01 * var,
                               rtol=1e-5)
    # Inference normalizes with the moving statistics.
    moving_mean = layer.batch_norm.moving_mean.numpy().astype(np.float64)
    moving_var = layer.batch_norm.moving_variance.numpy().astype(np.float64)
    expected = (gain[:, None, None] * (x64 - moving_mean) / np.sqrt(moving_var + EPS)
                + bias[:, None, None])
    np.testing.assert_allclose(layer([x, c], training=False).numpy(), expected, rtol=1e-5,
                               atol=1e-5)


def test_equal_conditions_give_plain_batch_norm_with_those_parameters():
    x, c = _inputs()
    c[:] = c[0]
    layer, w_gain, w_bias = _layer(x, c)
    plain = keras.layers.BatchNormalization(epsilon=EPS)
    plain.build(x.shape)
    plain.gamma.assign((1.0 + c[0] @ w_gain).astype(np.float32))
    plain.beta.assign((c[0] @ w_bias).astype(np.float32))
    for training in (True, False):  # the second call sees the updated moving statistics
        np.testing.assert_allclose(layer([x, c], training=training).numpy(),
                                   plain(x, training=training).numpy(), rtol=1e-5, atol=1e-5)


def test_a_fresh_layer_is_batch_norm_with_gain_1_and_bias_0():
    x, c = _inputs()
    layer = ConditionalBatchNormalization(epsilon=EPS)
    plain = keras.layers.BatchNormalization(epsilon=EPS, center=False, scale=False)
    np.testing.assert_allclose(layer([x, c], training=True).numpy(),
                               plain(x, training=True).numpy(), rtol=1e-5, atol=1e-5)


def test_keras_round_trip_in_safe_mode_with_spectral_norm_and_a_regularizer(tmp_path):
    x, c = _inputs()
    reg = kgen.layers.OffDiagonalOrthogonalRegularizer(1e-3)
    inputs = [keras.Input((3, 3, 4)), keras.Input((5,))]
    layer = ConditionalBatchNormalization(spectral_norm=True, synchronized=False,
                                          kernel_initializer=keras.initializers.Orthogonal(seed=0),
                                          kernel_regularizer=reg)
    model = keras.Model(inputs, layer(inputs))
    assert len(model.losses) == 2  # the gain's and the bias's kernels
    model([x, c], training=True)
    path = tmp_path / "cbn.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(loaded([x, c]).numpy(), model([x, c]).numpy())
    config = loaded.layers[-1].get_config()
    assert config["spectral_norm"] and not config["synchronized"]
    assert keras.saving.get_registered_name(ConditionalBatchNormalization) == (
        "kgen.layers>ConditionalBatchNormalization")
    # Seeded copies: the gain and bias maps are not drawn equal.
    assert not np.array_equal(layer.gain.layer.kernel.numpy(), layer.bias.layer.kernel.numpy())


def test_bad_input_raises_naming_the_argument():
    testing.assert_raises_naming(ValueError, "epsilon", ConditionalBatchNormalization,
                                 epsilon=0.0)
    testing.assert_raises_naming(ValueError, "momentum", ConditionalBatchNormalization,
                                 momentum=1.5)
    testing.assert_raises_naming(TypeError, "synchronized", ConditionalBatchNormalization,
                                 synchronized="yes")
    x, c = _inputs()
    with pytest.raises(ValueError, match="`inputs`"):
        ConditionalBatchNormalization()(tf.constant(x))
    with pytest.raises(ValueError, match="`inputs`"):
        ConditionalBatchNormalization()([tf.constant(x), tf.constant(x)])
