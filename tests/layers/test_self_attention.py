"""SelfAttention: a NumPy reference (with and without pooled keys), the identity at
gamma = 0, serialization, bad input."""

import keras
import numpy as np
import pytest

from kgen import testing
from kgen.layers import SelfAttention


def _kernels(layer):
    return [conv.kernel.numpy()[0, 0].astype(np.float64) for conv in
            (layer.query_conv, layer.key_conv, layer.value_conv, layer.output_conv)]


def _pool(a):  # 2x2 max-pool of [batch, H, W, C], H and W even
    b, h, w, c = a.shape
    return a.reshape(b, h // 2, 2, w // 2, 2, c).max((2, 4))


def _reference(x, kernels, gamma, pool):
    wf, wg, wh, wv = kernels
    x = x.astype(np.float64)
    b, h, w, c = x.shape
    f, g, v = x @ wf, x @ wg, x @ wh
    if pool:
        g, v = _pool(g), _pool(v)
    f, g, v = f.reshape(b, h * w, -1), g.reshape(b, -1, g.shape[-1]), v.reshape(
        b, -1, v.shape[-1])
    s = f @ g.transpose(0, 2, 1)
    beta = np.exp(s - s.max(-1, keepdims=True))
    beta /= beta.sum(-1, keepdims=True)
    o = (beta @ v).reshape(b, h, w, -1) @ wv
    return gamma * o + x


@pytest.mark.parametrize("pool", [False, True])
def test_output_equals_a_numpy_reference(pool):
    x = np.random.default_rng(0).normal(size=(2, 4, 6, 16)).astype(np.float32)
    layer = SelfAttention(pool=pool, kernel_initializer=keras.initializers.GlorotNormal(1))
    layer(x)
    layer.gamma.assign(0.7)
    kernels = _kernels(layer)
    assert [k.shape for k in kernels] == [(16, 2), (16, 2), (16, 8), (8, 16)]  # C/8, C/2
    np.testing.assert_allclose(layer(x).numpy(), _reference(x, kernels, 0.7, pool),
                               rtol=1e-5, atol=1e-5)


def test_at_gamma_0_the_block_is_the_identity():
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 8)).astype(np.float32)
    layer = SelfAttention(key_reduction=4, value_reduction=1, spectral_norm=True)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), x)
    assert float(layer.gamma.numpy()) == 0.0


def test_keras_round_trip_in_safe_mode(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 16)).astype(np.float32)
    inputs = keras.Input((4, 4, 16))
    model = keras.Model(inputs, SelfAttention(pool=True, spectral_norm=True,
                                              kernel_regularizer="l2")(inputs))
    model.layers[-1].gamma.assign(0.3)
    model(x, training=True)
    model.save(tmp_path / "attention.keras")
    loaded = keras.models.load_model(tmp_path / "attention.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    assert loaded.layers[-1].get_config()["pool"] and len(loaded.losses) == 4
    assert keras.saving.get_registered_name(SelfAttention) == "kgen.layers>SelfAttention"


def test_bad_input_raises_naming_the_argument():
    testing.assert_raises_naming(ValueError, "key_reduction", SelfAttention, key_reduction=0)
    testing.assert_raises_naming(TypeError, "value_reduction", SelfAttention,
                                 value_reduction=1.5)
    testing.assert_raises_naming(TypeError, "pool", SelfAttention, pool="yes")
    with pytest.raises(ValueError, match="`x`.*channels"):
        SelfAttention()(np.zeros((1, 4, 4, 4), np.float32))  # 4 channels < C/8's 8
    with pytest.raises(ValueError, match="`x`"):
        SelfAttention()(np.zeros((1, 16), np.float32))
