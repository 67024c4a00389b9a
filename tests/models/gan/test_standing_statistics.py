"""recompute_ema_statistics: the EMA generator's batch-norm statistics, exactly."""

import keras
import numpy as np

import kgen
from kgen import testing
from kgen.models.gan import GAN, recompute_ema_statistics


def bn_gan(ema_decay=0.5):
    """z (3) -> Dense(4) -> BatchNorm -> Dense(2), a critic on 2-D points."""
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                                  keras.layers.BatchNormalization(momentum=0.9),
                                  keras.layers.Dense(2)], name="generator")
    critic = kgen.networks.mlp_discriminator(2, (8,), activation="tanh", seed=1)
    model = GAN(generator, critic, loss="non_saturating", ema_decay=ema_decay, seed=0)
    model.compile(optimizer={"generator": keras.optimizers.SGD(0.1),
                             "discriminator": keras.optimizers.SGD(0.1)})
    x = np.random.default_rng(0).normal(2.0, 1.0, size=(64, 2)).astype(np.float32)
    model.fit(x, batch_size=16, epochs=2, verbose=0)
    return model


def test_the_ema_moving_statistics_become_the_mean_batch_statistics():
    model = bn_gan()
    live = [v.numpy() for v in model.generator.variables]
    ema = [v.numpy() for v in model.ema]  # kernel, bias, gamma, beta, kernel, bias | mean, var
    assert not np.allclose(ema[0], model.generator.layers[0].kernel.numpy())  # averaged
    assert recompute_ema_statistics(model, num_batches=3, batch_size=16, seed=5) == 1
    means, variances = [], []
    for k in range(3):
        h = model.noise(16, seed=5 + k).numpy() @ ema[0] + ema[1]  # the EMA Dense's output
        means.append(h.mean(0))
        variances.append(h.var(0))  # Keras normalizes a batch with its biased variance
    np.testing.assert_allclose(model.ema[6].numpy(), np.mean(means, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.ema[7].numpy(), np.mean(variances, 0), rtol=1e-5,
                               atol=1e-6)
    for before, after in zip(ema[:6], model.ema[:6]):  # the averaged trainable weights stay
        np.testing.assert_array_equal(before, after.numpy())
    for before, after in zip(live, model.generator.variables):  # so does the live generator
        np.testing.assert_array_equal(before, after.numpy())
    assert model.generator.layers[1].momentum == 0.9  # restored
    # Sampling uses them: the EMA generator with these statistics, in inference mode.
    z = model.noise(5, seed=9)
    h = (z.numpy() @ ema[0] + ema[1] - model.ema[6].numpy()) / np.sqrt(
        model.ema[7].numpy() + model.generator.layers[1].epsilon)
    expected = (h * ema[2] + ema[3]) @ ema[4] + ema[5]
    np.testing.assert_allclose(model.generate(z).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_a_generator_without_batch_norm_is_left_alone_and_bad_input_is_refused():
    generator = kgen.networks.mlp_generator(3, 2, (8,), activation="tanh", seed=0)
    critic = kgen.networks.mlp_discriminator(2, (8,), activation="tanh", seed=1)
    model = GAN(generator, critic, loss="non_saturating", ema_decay=0.9, seed=0)
    before = [v.numpy() for v in model.ema]
    assert recompute_ema_statistics(model) == 0
    for a, b in zip(before, model.ema):
        np.testing.assert_array_equal(a, b.numpy())
    plain = GAN(kgen.networks.mlp_generator(3, 2, (8,), seed=0),
                kgen.networks.mlp_discriminator(2, (8,), seed=1), loss="non_saturating")
    testing.assert_raises_naming(ValueError, "model", recompute_ema_statistics, plain)
    for kwargs, name in [({"num_batches": 0}, "num_batches"), ({"batch_size": 1}, "batch_size"),
                         ({"seed": -1}, "seed")]:
        testing.assert_raises_naming(ValueError, name, recompute_ema_statistics, model,
                                     **kwargs)


def test_a_conditional_generator_gets_the_classes_in_turn():
    from kgen.models.gan import ConditionalGAN
    from kgen.networks.gan import _noise_input

    classes = 3
    inputs, h = _noise_input(3, classes)  # [z, labels] -> [z, one_hot(labels)]
    h = keras.layers.BatchNormalization()(keras.layers.Dense(4)(h))
    generator = keras.Model(inputs, keras.layers.Dense(2)(h), name="generator")
    critic = kgen.networks.mlp_discriminator(2, (8,), seed=1, num_classes=classes)
    model = ConditionalGAN(generator, critic, num_classes=classes, loss="non_saturating",
                           ema_decay=0.9, seed=0)
    assert recompute_ema_statistics(model, num_batches=2, batch_size=6) == 1
    ema = [v.numpy() for v in model.ema]
    onehot = np.eye(classes, dtype=np.float32)[np.arange(6) % classes]
    hs = [np.concatenate([model.noise(6, seed=k).numpy(), onehot], 1) @ ema[0] + ema[1]
          for k in range(2)]
    np.testing.assert_allclose(model.ema[6].numpy(), np.mean([h.mean(0) for h in hs], 0),
                               rtol=1e-5, atol=1e-6)
