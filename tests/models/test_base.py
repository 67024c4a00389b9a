"""The noise source of ``GenerativeModel``: seeded, and advanced alike under XLA."""

import keras
import numpy as np
import tensorflow as tf

import kgen
from kgen.models.base import GenerativeModel


def _model(seed=0):
    return GenerativeModel(event_shape=(3,), seed=seed)


def test_int_seed_draws_are_pure_functions_of_the_seed():
    model = _model()
    a = model.standard_normal((4, 5), seed=7).numpy()
    b = model.standard_normal((4, 5), seed=7).numpy()
    c = model.standard_normal((4, 5), seed=8).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_generator_draws_advance_and_replay_from_the_model_seed():
    first, second = _model(seed=3), _model(seed=3)
    a1, a2 = first.standard_normal((6,)).numpy(), first.standard_normal((6,)).numpy()
    assert not np.allclose(a1, a2)
    np.testing.assert_array_equal(a1, second.standard_normal((6,)).numpy())


def test_xla_steps_advance_the_generator_like_eager_steps():
    # A jit-compiled train step consumes the same seeds, in the same order, as
    # an eager one. (The numbers drawn from them differ: XLA's Philox is not
    # the CPU kernel's, which is why XLA tests fix the noise with ZeroNoise.)
    eager, compiled = _model(seed=5), _model(seed=5)
    draw = tf.function(lambda: compiled.standard_normal((4, 3)), jit_compile=True)
    xla = [draw().numpy() for _ in range(3)]
    for _ in range(3):
        eager.standard_normal((4, 3))
    np.testing.assert_array_equal(compiled.seed_generator.state.numpy(),
                                  eager.seed_generator.state.numpy())
    assert not np.allclose(xla[0], xla[1]) and not np.allclose(xla[1], xla[2])


def test_saved_weights_keep_the_generator_position(tmp_path):
    # save_weights / .keras / BackupAndRestore hold the generator's state, so a
    # restored model draws what the original draws next.
    from kgen.models.vae import VAE

    model = VAE(event_shape=(4,), latent_dim=2, seed=1)
    for _ in range(3):
        model.standard_normal((2,))
    model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.keras")
    expected = model.standard_normal((5,)).numpy()
    restored = VAE(event_shape=(4,), latent_dim=2, seed=1)
    restored.load_weights(tmp_path / "m.weights.h5")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(restored.standard_normal((5,)).numpy(), expected)
    np.testing.assert_array_equal(loaded.standard_normal((5,)).numpy(), expected)
    fresh = VAE(event_shape=(4,), latent_dim=2, seed=1)
    assert not np.allclose(fresh.standard_normal((5,)).numpy(), expected)


def test_uniform_is_in_the_unit_interval():
    u = _model().uniform((10000,), seed=1).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.02


def test_fit_on_a_dataset_does_not_warn_about_keras_own_shuffle_default():
    import warnings

    model = kgen.models.vae.VAE(event_shape=(4,), latent_dim=1, seed=0,
                                encoder=kgen.networks.mlp_encoder((4,), (3,)),
                                decoder=kgen.networks.mlp_decoder(1, (4,), (3,)))
    model.compile(optimizer="sgd")
    data = tf.data.Dataset.from_tensor_slices(np.ones((8, 4), np.float32)).batch(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(data, epochs=1, verbose=0)
