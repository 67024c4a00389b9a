"""kgen.testing's .keras and SavedModel round trips pass faithful models and fail others."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import testing
from kgen.models.base import SEED_STATE_KEY, GenerativeModel
from kgen.testing import round_trip

X = np.arange(6, dtype="float32").reshape(3, 2) / 6.0


@keras.saving.register_keras_serializable(package="kgen_tests")
class Affine(GenerativeModel):
    """``y = x W + b`` and noisy samples, with a signature without inputs."""

    def __init__(self, event_shape=(2,), extra_state=False, **kwargs):
        super().__init__(event_shape=event_shape, **kwargs)
        self.dense = keras.layers.Dense(2, kernel_initializer="glorot_uniform")
        if extra_state:  # not in the config: a file holds what a fresh model lacks
            self.add_state("extra", (3,))

    def call(self, x):
        return self.dense(x)

    def sample(self, num_samples, seed=None):
        return self.dense(self.standard_normal((num_samples, 2), seed=seed))

    def serving_signatures(self):
        x = tf.TensorSpec((None, 2), tf.float32, name="x")
        n = tf.TensorSpec((), tf.int32, name="num_samples")
        return {
            "serving_default": tf.function(lambda x: {"y": self(x)}, input_signature=[x]),
            "sample": tf.function(lambda n: {"x": self.sample(n)}, input_signature=[n]),
            "bias": tf.function(lambda: {"b": tf.identity(self.dense.bias)},
                                input_signature=[]),
        }


INPUTS = {"serving_default": {"x": X}, "sample": {"num_samples": 4}, "bias": {}}


def affine(**kwargs):
    model = Affine(seed=0, **kwargs)
    model.build_from_event_shape()
    return model


def _fails(check, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


# --- .keras ---------------------------------------------------------------------------
def test_keras_round_trip_keeps_weights_and_the_noise_position(tmp_path):
    model = affine()
    model.seed_generator.next()  # a position a fresh model does not have
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.sample(3))
    np.testing.assert_array_equal(loaded.seed_generator.state.numpy(),
                                  model.seed_generator.state.numpy())


@keras.saving.register_keras_serializable(package="kgen_tests")
class ForgetsTheNoisePosition(Affine):
    def load_own_variables(self, store):  # the bug: the saved position is dropped
        keras.Model.load_own_variables(
            self, {k: store[k] for k in store.keys() if k != SEED_STATE_KEY})


def test_keras_round_trip_fails_if_the_seed_generator_state_is_lost(tmp_path):
    model = ForgetsTheNoisePosition(seed=0)
    model.build_from_event_shape()
    model.seed_generator.next()
    # fn draws with an explicit seed, so only the state check can see the loss.
    message = _fails(testing.assert_keras_round_trip, model, tmp_path,
                     lambda m: m.sample(3, seed=1))
    assert "seed_generator state" in message


@keras.saving.register_keras_serializable(package="kgen_tests")
class LenientLoad(Affine):
    def load_own_variables(self, store):  # the bug: loads what fits, drops the rest
        keys = list(store.keys())[:len(self._trainable_variables + self._non_trainable_variables)]
        keras.Model.load_own_variables(self, {k: store[k] for k in keys})


def test_keras_round_trip_fails_on_a_weight_the_loaded_model_lacks(tmp_path):
    model = LenientLoad(seed=0, extra_state=True)
    model.build_from_event_shape()
    message = _fails(testing.assert_keras_round_trip, model, tmp_path, lambda m: m(X))
    assert "weights saved" in message and "extra" in message


# --- SavedModel -------------------------------------------------------------------------
def test_saved_model_round_trip_serves_every_signature_as_the_model(tmp_path):
    model = affine()
    state = model.seed_generator.state.numpy()
    served = testing.assert_saved_model_round_trip(model, tmp_path, INPUTS)
    assert sorted(served) == ["bias", "sample", "serving_default"]
    np.testing.assert_allclose(served["serving_default"]["y"], model(X).numpy(), atol=1e-6)
    np.testing.assert_array_equal(served["bias"]["b"], model.dense.bias.numpy())
    # The served noise continued the model's stream from its saved position...
    np.testing.assert_allclose(served["sample"]["x"], model.sample(4).numpy(), atol=1e-6)
    model.seed_generator.state.assign(state)
    # ...and the check itself left the model's generator where it was.
    np.testing.assert_allclose(served["sample"]["x"], model.sample(4).numpy(), atol=1e-6)


class TracedConstant(Affine):
    """The bug: a signature reads Python state at trace time, so the exported
    graph holds another number than the model computes now."""

    traces = itertools.count()

    def serving_signatures(self):
        signatures = super().serving_signatures()
        offset = float(next(self.traces))
        x = tf.TensorSpec((None, 2), tf.float32, name="x")
        signatures["serving_default"] = tf.function(lambda x: {"y": self(x) + offset},
                                                    input_signature=[x])
        return signatures


def test_saved_model_round_trip_fails_when_served_and_model_outputs_differ(tmp_path):
    model = TracedConstant(seed=0)
    model.build_from_event_shape()
    message = _fails(testing.assert_saved_model_round_trip, model, tmp_path, INPUTS)
    assert "serving_default['y']" in message and "sample" not in message


def test_saved_model_round_trip_fails_if_serving_imports_a_forbidden_module(
        tmp_path, monkeypatch):
    # The loader imports numpy itself: forbidding it shows the check looks.
    monkeypatch.setattr(round_trip, "FORBIDDEN_IN_SERVING", ("kgen", "numpy"))
    message = _fails(testing.assert_saved_model_round_trip, affine(), tmp_path, INPUTS)
    assert "serving imported ['numpy']" in message


@pytest.mark.parametrize("inputs", [
    {"serving_default": {"x": X}, "sample": {"num_samples": 4}},  # "bias" forgotten
    {**INPUTS, "encode": {"x": X}},  # not a signature of the model
    {**INPUTS, "sample": {}},  # an input forgotten
    {**INPUTS, "serving_default": {"x": X, "z": X}},  # an input too many
    [X],
])
def test_saved_model_inputs_must_cover_every_signature(tmp_path, inputs):
    testing.assert_raises_naming(ValueError, "inputs", testing.assert_saved_model_round_trip,
                                 affine(), tmp_path, inputs)
    assert not (tmp_path / "saved_model_round_trip").exists()  # refused before exporting
