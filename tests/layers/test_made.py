"""Tests of kgen.layers.MADE and MaskedDense: the autoregressive property."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.layers import MADE, MaskedDense

D = 5


def _randomize(layer, seed=0, stddev=0.5):
    """Replaces every weight with N(0, stddev^2) values (the output layer
    starts near zero, which would hide the connectivity)."""
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(0.0, stddev, w.shape).astype("float32"))


def _made_jacobian(made, x, context=None):
    """d out[b, i, p] / d x[b, j] as ``[batch, event_size, params, event_size]``."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = made(x, context=context)
        flat = tf.reshape(out, (x.shape[0], -1))
    jac = tape.batch_jacobian(flat, x).numpy()
    return jac.reshape(x.shape[0], made.event_size, made.params, made.event_size)


def _precedes(order, event_size=D):
    """``allowed[i, j]``: True iff x[j] comes strictly before x[i] in ``order``."""
    rank = np.arange(event_size) if order == "left-to-right" else np.arange(event_size)[::-1]
    return rank[None, :] < rank[:, None]


def _inputs(batch=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, D)).astype("float32")
    c = rng.normal(size=(batch, 3)).astype("float32")
    return x, c


@pytest.mark.parametrize("order", ["left-to-right", "right-to-left"])
@pytest.mark.parametrize("context_units", [None, 3])
def test_output_depends_exactly_on_preceding_inputs(order, context_units):
    made = MADE(D, hidden_units=(16, 16), params=2, activation="tanh", input_order=order,
                context_units=context_units)
    x, c = _inputs()
    context = c if context_units else None
    made(x, context=context)
    _randomize(made)
    jac = np.abs(_made_jacobian(made, x, context))         # [b, i, p, j]
    allowed = _precedes(order)[None, :, None, :]            # [1, i, 1, j]
    allowed = np.broadcast_to(allowed, jac.shape)
    assert np.all(jac[~allowed] == 0.0)                     # exact zeros for j >= i
    assert np.all(jac.max(axis=0)[allowed[0]] > 0.0)        # every j < i is used


def test_every_output_depends_on_context():
    made = MADE(D, hidden_units=(16,), params=2, activation="tanh", context_units=3)
    x, c = _inputs()
    c = tf.convert_to_tensor(c)
    made(x, context=c)
    _randomize(made)
    with tf.GradientTape() as tape:
        tape.watch(c)
        flat = tf.reshape(made(x, context=c), (x.shape[0], -1))
    jac = tape.batch_jacobian(flat, c).numpy()
    assert np.all(np.abs(jac).max(axis=(0, 2)) > 0.0)       # the first output too


@pytest.mark.parametrize("order", ["left-to-right", "right-to-left"])
@pytest.mark.parametrize("hidden_units", [(), (4,), (2, 7), (16, 16, 16)])
def test_mask_product_connects_exactly_the_preceding_inputs(order, hidden_units):
    made = MADE(D, hidden_units=hidden_units, params=3, input_order=order)
    made.build((None, D))
    path = np.eye(D)
    for layer in made.hidden_layers + [made.output_layer]:
        path = path @ layer.mask
    connected = path.reshape(D, D, 3) > 0                   # [j, i, p]
    for p in range(3):
        # Hidden layers of >= D - 1 units reach every preceding input; fewer
        # units may drop some, never add any.
        if all(u >= D - 1 for u in hidden_units):
            np.testing.assert_array_equal(connected[:, :, p].T, _precedes(order))
        assert not np.any(connected[:, :, p].T & ~_precedes(order))


def test_degrees_are_deterministic():
    a, b = MADE(D, (8, 9), input_order="right-to-left"), MADE(D, (8, 9),
                                                              input_order="right-to-left")
    for la, lb in zip(a.hidden_layers + [a.output_layer], b.hidden_layers + [b.output_layer]):
        assert la.input_degrees == lb.input_degrees
        np.testing.assert_array_equal(la.mask, lb.mask)


def test_event_size_one_output_is_constant_in_x():
    made = MADE(1, hidden_units=(4,), params=2, activation="tanh")
    x = np.array([[0.3], [-2.0]], "float32")
    made(x)
    _randomize(made)
    assert np.all(_made_jacobian(made, x) == 0.0)


def test_fresh_output_is_near_zero():
    made = MADE(D, hidden_units=(64, 64), params=2, context_units=3)
    x, c = _inputs(batch=16)
    out = made(x, context=c)
    assert out.shape == (16, D, 2)
    assert np.max(np.abs(out)) < 0.05


def test_accepts_leading_batch_axes_and_symbolic_inputs():
    made = MADE(D, hidden_units=(8,), params=2, context_units=3)
    out = made(np.zeros((2, 3, D), "float32"), context=np.zeros((2, 3, 3), "float32"))
    assert out.shape == (2, 3, D, 2)
    symbolic = made(keras.Input((D,)), context=keras.Input((3,)))
    assert tuple(symbolic.shape) == (None, D, 2)


@pytest.mark.parametrize("context_units", [None, 3])
def test_from_config_of_get_config_gives_identical_outputs(context_units):
    made = MADE(D, hidden_units=(8, 8), params=2, activation="elu",
                input_order="right-to-left", context_units=context_units,
                kernel_initializer="he_normal", output_kernel_initializer="zeros")
    x, c = _inputs()
    context = c if context_units else None
    made(x, context=context)
    _randomize(made)
    clone = MADE.from_config(made.get_config())
    clone(x, context=context)
    clone.set_weights(made.get_weights())
    np.testing.assert_array_equal(clone(x, context=context), made(x, context=context))
    assert clone.get_config() == made.get_config()


def test_masked_dense_round_trips_through_keras_file(tmp_path):
    inputs = keras.Input((3,))
    outputs = MaskedDense([1, 2, 3], [1, 2, 2, 3], activation="relu")(inputs)
    model = keras.Model(inputs, outputs)
    _randomize(model)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(loaded(x), model(x))
    assert loaded.layers[-1].strict is False
    assert not loaded.layers[-1].non_trainable_weights  # the mask is a constant


@pytest.mark.parametrize("kwargs, name", [
    ({"event_size": 0}, "event_size"),
    ({"params": 0}, "params"),
    ({"hidden_units": (8, 0)}, "hidden_units"),
    ({"input_order": "random"}, "input_order"),
    ({"context_units": 0}, "context_units"),
])
def test_bad_arguments_raise_value_error_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MADE(**{"event_size": D, "hidden_units": (8,), **kwargs})


def test_mismatched_inputs_raise_value_error_naming_the_argument():
    x, c = _inputs()
    with pytest.raises(ValueError, match="context"):
        MADE(D, (8,))(x, context=c)                          # unexpected context
    with pytest.raises(ValueError, match="context"):
        MADE(D, (8,), context_units=3)(x)                    # missing context
    with pytest.raises(ValueError, match="context_units=4"):
        MADE(D, (8,), context_units=4)(x, context=c)         # wrong context size
    with pytest.raises(ValueError, match="event_size"):
        MADE(D + 1, (8,))(x)                                 # wrong event size
    with pytest.raises(ValueError, match="input_degrees"):
        MaskedDense([], [1])
    with pytest.raises(ValueError, match="input_degrees"):
        MaskedDense([1, 2], [1])(x)


def test_a_seeded_initializer_gives_each_hidden_layer_its_own_weights():
    def kernels(seed):
        made = MADE(event_size=4, hidden_units=(8, 8, 8),
                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
        made(np.zeros((1, 4), "float32"))
        return [layer.kernel.numpy() for layer in made.hidden_layers]

    first, again = kernels(3), kernels(3)
    for a, b in zip(first, again):  # seeded: reproducible
        np.testing.assert_array_equal(a, b)
    # Layers 1 and 2 have one shape (8 x 8); one seed for both drew identical kernels.
    assert not np.allclose(first[1], first[2])
