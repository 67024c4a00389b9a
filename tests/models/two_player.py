"""A minimal two-player model for the tests of the base's multi-optimizer plumbing.

A one-dimensional GAN: the generator ``g(z) = a z + b`` and the logistic
discriminator ``D(x) = sigmoid(w x + c)``, trained with the non-saturating
losses, one optimizer each, plus an EMA of the generator's weights declared
with ``add_state``. Small enough to compare steps exactly.
"""

import keras
import tensorflow as tf

from kgen.models.base import GenerativeModel


@keras.saving.register_keras_serializable(package="kgen_tests")
class TwoPlayer(GenerativeModel):
    metric_names = ("d_loss", "g_loss")
    monitor = ("g_loss", "min")
    players = ("generator", "discriminator")

    def __init__(self, event_shape=(1,), seed=None, ema_decay=0.9, **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.ema_decay = ema_decay
        self.generator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)],
                                          name="generator")
        self.discriminator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)],
                                              name="discriminator")
        self.ema = self.add_state("generator_ema", (2,))
        self.steps_taken = self.add_state("steps_taken", (), dtype="int64")
        self.built = True

    def call(self, x):
        return self.discriminator(x)

    def generator_weights(self):
        kernel, bias = self.generator.trainable_variables
        return tf.concat([tf.reshape(kernel, [-1]), bias], 0)

    def train_step(self, data):
        x = self.unpack_batch(data)
        z = self.standard_normal(tf.shape(x))
        with tf.GradientTape() as tape:
            real, fake = self.discriminator(x), self.discriminator(self.generator(z))
            d_terms = (tf.nn.softplus(-real) + tf.nn.softplus(fake))[:, 0]
            d_loss = self.total_loss(d_terms)
        self.minimize(d_loss, tape, "discriminator")
        z = self.standard_normal(tf.shape(x))
        with tf.GradientTape() as tape:
            g_terms = tf.nn.softplus(-self.discriminator(self.generator(z)))[:, 0]
            g_loss = self.total_loss(g_terms)
        self.minimize(g_loss, tape, "generator")
        self.ema.assign(self.ema_decay * self.ema
                        + (1.0 - self.ema_decay) * self.generator_weights())
        self.steps_taken.assign_add(1)
        return self.update_metrics({"d_loss": d_terms, "g_loss": g_terms})

    def sample(self, num_samples, seed=None):
        return self.generator(self.standard_normal((num_samples, 1), seed=seed))

    def get_config(self):
        return {**super().get_config(), "ema_decay": self.ema_decay}


def make():
    """The factory of the replica test: a seeded model."""
    return TwoPlayer(seed=3)


def data(num=64, seed=0):
    import numpy as np

    return (2.0 + 0.5 * np.random.default_rng(seed).standard_normal((num, 1))).astype("float32")
