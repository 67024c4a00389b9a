"""The noise source of ``GenerativeModel``: seeded, and the same with XLA."""

import numpy as np
import tensorflow as tf

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


def test_xla_and_default_kernels_draw_the_same_numbers():
    # The generator is named (Philox), so compiling a train step with XLA does
    # not change the noise it sees: results do not depend on jit_compile.
    model = _model()
    for draw in (model.standard_normal, model.uniform):
        eager = draw((64, 50), seed=11).numpy()
        xla = tf.function(lambda: draw((64, 50), seed=11), jit_compile=True)().numpy()
        np.testing.assert_allclose(xla, eager, rtol=1e-6, atol=1e-6)


def test_uniform_is_in_the_unit_interval():
    u = _model().uniform((10000,), seed=1).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.02
