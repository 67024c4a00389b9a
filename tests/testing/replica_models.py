"""Models for the tests of ``kgen.testing.assert_replica_step_matches``, built by name in
its subprocess: one that is right, two that the check must refuse, and a
``compile_fn`` with one optimizer per player."""

import keras
import tensorflow as tf

from kgen.models.base import GenerativeModel


class Regression(GenerativeModel):
    """A linear map fitted to ones: loss ``|x W + b + e - 1|^2`` per example, with
    noise ``e`` that ``ZeroNoise`` removes (replicas would draw other noise), and a
    layer ``unused`` that the loss never sees, frozen unless ``unused_trainable``."""

    def __init__(self, unused_trainable=False, **kwargs):
        super().__init__(event_shape=(3,), seed=0, **kwargs)
        self.dense = keras.layers.Dense(2, name="dense")
        self.unused = keras.layers.Dense(1, trainable=unused_trainable, name="unused")

    def call(self, x):
        return self.dense(x)

    def build_from_event_shape(self):
        super().build_from_event_shape()
        self.unused.build((None, 3))

    def compute_terms(self, x, training=None):
        error = self(x) + self.standard_normal(tf.shape(x)[:1])[:, None] - 1.0
        return {"loss": tf.reduce_sum(error ** 2, axis=-1)}


def linear():
    """Right under any strategy."""
    return Regression()


def replica_local_mean():
    """The error every hand-written ``train_step`` risks: a replica's mean, not the
    global batch's, so 2 replicas' summed gradients make a step twice too big."""
    model = Regression()
    model.average_over_global_batch = tf.reduce_mean
    return model


def with_an_untrained_weight():
    """A trainable layer that no step moves: the check cannot see its step."""
    return Regression(unused_trainable=True)


def compile_players(model):
    """One SGD per player, at different rates (a swapped pair would show)."""
    model.compile(optimizer={"generator": keras.optimizers.SGD(0.1),
                             "discriminator": keras.optimizers.SGD(0.2)})
