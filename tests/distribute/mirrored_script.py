"""One ``fit`` step of a small VAE under MirroredStrategy (2 logical CPUs) and on
one device, from identical weights and with the noise fixed at zero.

Run by ``test_mirrored.py`` in a fresh interpreter, because logical devices
must be configured before TensorFlow runs any op. Prints one JSON line.
"""

import json
import tempfile

from kgen import distribute

distribute.split_cpu(2)  # before any op

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kgen  # noqa: E402
import kgen.export  # noqa: E402

EVENT_SHAPE, LATENT_DIM = (28, 28, 1), 4


class ZeroNoiseVAE(kgen.models.vae.VAE):
    """A VAE whose only noise source returns zeros: z is the posterior mean,
    so a training step is deterministic and identical on every replica."""

    def standard_normal(self, shape, seed=None):
        return tf.zeros(shape)


def small_vae():
    model = ZeroNoiseVAE(
        event_shape=EVENT_SHAPE, latent_dim=LATENT_DIM,
        encoder=kgen.networks.mlp_encoder(EVENT_SHAPE, (16,)),
        decoder=kgen.networks.mlp_decoder(LATENT_DIM, EVENT_SHAPE, (16,)),
        seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.1))  # not Adam: it hides scale errors
    return model


def one_step(model, x):
    history = model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return history.history["loss"][0], [w.tolist() for w in model.get_weights()]


class TwoOptimizers(keras.Model):
    """A model that, like a GAN, updates two parts with two optimizers."""

    def __init__(self):
        super().__init__()
        self.first, self.second = keras.layers.Dense(4), keras.layers.Dense(1)

    def call(self, x):
        return self.second(self.first(x))

    def compile(self, first_optimizer, second_optimizer):
        super().compile()
        self.first_optimizer, self.second_optimizer = first_optimizer, second_optimizer

    def train_step(self, x):
        with tf.GradientTape(persistent=True) as tape:
            loss = tf.nn.compute_average_loss(tf.reduce_sum(self(x) ** 2, axis=-1))
        for opt, layer in ((self.first_optimizer, self.first),
                           (self.second_optimizer, self.second)):
            opt.apply(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables)
        return {"loss": loss}


def two_optimizer_fit(strategy, initial=None):
    """One SGD step of ``TwoOptimizers`` (two optimizers, different rates) under
    ``strategy``, from ``initial`` weights if given: (initial, after) weights."""
    x = np.random.RandomState(1).rand(8, 3).astype(np.float32)  # replicas see other rows
    with strategy.scope():
        model = TwoOptimizers()
        model(tf.ones((1, 3)))
        if initial is not None:
            model.set_weights([np.asarray(w, np.float32) for w in initial])
        first, second = keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.05)
        distribute.build_optimizer(first, model.first, strategy)
        distribute.build_optimizer(second, model.second.trainable_variables)
        model.compile(first, second)
    before = model.get_weights()
    model.fit(x, batch_size=8, shuffle=False, verbose=0)
    return [w.tolist() for w in before], [w.tolist() for w in model.get_weights()]


def main():
    strategy = distribute.strategy("mirrored")
    x = (np.random.RandomState(0).rand(8, *EVENT_SHAPE) > 0.5).astype(np.float32)
    with strategy.scope():
        mirrored, wrong = small_vae(), small_vae()
    single = small_vae()
    initial = mirrored.get_weights()
    single.set_weights(initial)
    wrong.set_weights(initial)
    # The error every hand-written train_step risks: a replica-local mean.
    wrong.average_over_global_batch = tf.reduce_mean

    result = {
        "replicas": strategy.num_replicas_in_sync,
        "auto": type(distribute.strategy("auto")).__name__,
        "initial": [w.tolist() for w in initial],
        "names": [w.path for w in single.weights],
    }
    for key, model in (("mirrored", mirrored), ("single", single), ("wrong", wrong)):
        result[key + "_loss"], result[key] = one_step(model, x)
    # A KL warm-up weight set from outside the step (as KLWarmup does) reaches every replica.
    with strategy.scope():
        warm_mirrored = small_vae()
    warm_single = small_vae()
    for model in (warm_mirrored, warm_single):
        model.set_weights(initial)
        model.kl_weight.assign(0.25)
    for key, model in (("warm_mirrored", warm_mirrored), ("warm_single", warm_single)):
        result[key + "_loss"], result[key] = one_step(model, x)
    initial, result["two_optimizer_mirrored"] = two_optimizer_fit(strategy)
    _, result["two_optimizer_single"] = two_optimizer_fit(tf.distribute.get_strategy(), initial)
    result["two_optimizer_initial"] = initial
    with strategy.scope():  # the real noise source, not the zero one
        noisy = kgen.models.vae.VAE(event_shape=(2,), latent_dim=1, seed=0,
                                    encoder=kgen.networks.mlp_encoder((2,), (4,)),
                                    decoder=kgen.networks.mlp_decoder(1, (2,), (4,)))
    per_replica = strategy.run(tf.function(lambda: noisy.standard_normal((3,))))
    result["replica_noise"] = [t.numpy().tolist()
                               for t in strategy.experimental_local_results(per_replica)]
    with tempfile.TemporaryDirectory() as base:  # a model trained distributed exports
        loaded = tf.saved_model.load(kgen.export.saved_model(mirrored, base, "vae"))
        served = loaded.signatures["encode"](x=tf.constant(x))["z"].numpy()
    result["export_encode_error"] = float(np.abs(served - single.encode(x).numpy()).max())
    with strategy.scope(), tempfile.TemporaryDirectory() as base:
        try:
            kgen.export.saved_model(mirrored, base, "vae")
        except ValueError as e:
            result["export_in_scope_error"] = str(e)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
