"""ConditionalGAN and ACGAN: labels steer the samples, .keras and SavedModel round trips
with a labels input, the 2-replica step, presets, bad labels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import testing
from kgen.models.gan import ACGAN, ConditionalGAN

MEANS = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]], np.float32)  # class c at MEANS[c]


def _classes(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return (MEANS[y] + 0.2 * rng.normal(size=(n, 2))).astype(np.float32), y


def toy(cls=ConditionalGAN, loss="non_saturating", n_critic=1, ema_decay=None, seed=0,
        hidden=(16,)):
    aux = cls is ACGAN
    return cls(kgen.networks.mlp_generator(4, 2, hidden, seed=seed, num_classes=3),
               kgen.networks.mlp_discriminator(2, hidden, seed=seed + 1, num_classes=3,
                                               auxiliary_classifier=aux),
               num_classes=3, loss=loss, n_critic=n_critic, ema_decay=ema_decay, seed=seed)


def replica_cgan():
    return toy(ConditionalGAN, n_critic=2)


def replica_acgan():
    return toy(ACGAN, loss="wasserstein_gp", n_critic=2)


def _compiled(model, lr=1e-3, **kwargs):
    model.compile(optimizer={"generator": keras.optimizers.Adam(lr, 0.5),
                             "discriminator": keras.optimizers.Adam(lr, 0.5)}, **kwargs)
    return model


@pytest.mark.parametrize("cls", [ConditionalGAN, ACGAN])
def test_samples_of_label_c_come_from_class_c(cls):
    # Three classes 4 apart (std 0.2). Measured after 6 epochs (282 steps), seeds 0-1: 100 %
    # of 600 samples nearest their label's mean, mean distance 0.27-0.42. A generator that
    # ignored its labels could place at most a third of them right.
    keras.utils.set_random_seed(0)
    model = _compiled(toy(cls, hidden=(32, 32)), lr=2e-3, jit_compile=True,
                      steps_per_execution=50)
    x, y = _classes()
    model.fit(x, y, batch_size=64, epochs=6, verbose=0)
    labels = np.arange(600) % 3
    s = model.sample(600, labels=labels, seed=0).numpy()
    nearest = np.argmin(((s[:, None] - MEANS[None]) ** 2).sum(-1), 1)
    assert (nearest == labels).mean() >= 0.9
    assert np.sqrt(((s - MEANS[labels]) ** 2).sum(-1)).mean() < 1.0
    # The same noise drawn for another label lands elsewhere.
    z = model.noise(5, seed=1).numpy()
    a, b = model.generate(z, labels=0).numpy(), model.generate(z, labels=2).numpy()
    assert np.linalg.norm(a - b, axis=1).min() > 2.0
    if cls is ACGAN:
        logs = model.evaluate(x[:600], y[:600], batch_size=100, verbose=0, return_dict=True)
        assert logs["real_accuracy"] > 0.9 and logs["fake_accuracy"] > 0.9


def test_acgan_class_terms_are_the_cross_entropies_of_the_paper():
    model = toy(ACGAN)
    logits = tf.constant([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    labels = tf.constant([0, 2])
    real_loss, terms = model.discriminator_auxiliary(logits, logits[::-1], labels)
    p = tf.nn.softmax(logits).numpy()
    nll_real = -np.log(p[[0, 1], [0, 2]])
    nll_fake = -np.log(p[[1, 0], [0, 2]])
    np.testing.assert_allclose(terms["d_class_loss"], nll_real + nll_fake, rtol=1e-6)
    np.testing.assert_allclose(real_loss, nll_real + nll_fake, rtol=1e-6)
    np.testing.assert_array_equal(terms["real_accuracy"], [1.0, 0.0])
    g_loss, g_terms = model.generator_auxiliary(logits, labels)
    np.testing.assert_allclose(g_loss, nll_real, rtol=1e-6)


@pytest.mark.parametrize("cls", [ConditionalGAN, ACGAN])
def test_keras_and_saved_model_round_trips_with_labels(cls, tmp_path):
    model = _compiled(toy(cls, ema_decay=0.9))
    x, y = _classes(40)
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    z = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    labels = np.array([0, 1, 2, 2, 1, 0], np.int32)
    loaded = testing.assert_keras_round_trip(model, tmp_path,
                                             lambda m: m.generate(z, labels=labels))
    assert loaded.num_classes == 3 and type(loaded) is cls
    assert int(loaded.discriminator_optimizer.iterations) == 2
    np.testing.assert_array_equal(loaded.sample(4, labels=1).numpy(),
                                  model.sample(4, labels=1).numpy())
    testing.assert_config_round_trip(model)
    if cls is ACGAN:  # the serving signatures are the Conditional mixin's, served once
        return
    served = testing.assert_saved_model_round_trip(model, tmp_path / "sm", {
        "serving_default": {"z": z, "labels": labels},
        "generate": {"z": z, "labels": labels}, "sample": {"labels": labels}})
    np.testing.assert_allclose(served["generate"]["x"],
                               model.generate(z, labels=labels).numpy(), rtol=1e-5)
    assert served["sample"]["x"].shape == (6, 2)


@pytest.mark.parametrize("factory", ["replica_cgan", "replica_acgan"])
def test_a_two_replica_step_equals_one_device(factory):
    # 20 examples: 10 per replica, 5 per critic step and replica.
    x, y = _classes(20)
    testing.assert_replica_step_matches(
        f"tests.models.gan.test_conditional_gans:{factory}", (x, y.astype(np.int32)),
        compile_fn="kgen.testing.replicas:sgd_per_player", method="fit",
        normal_value=1.0, rtol=1e-4, atol=1e-6, every_weight_moves=False)


def test_presets_build_conditional_networks():
    args = {"latent_dim": 4, "num_classes": 3, "generator": {"type": "mlp", "hidden_units": [8]},
            "discriminator": {"type": "mlp", "hidden_units": [8]}}
    cgan = ConditionalGAN.from_preset(args, (2,), seed=0)
    assert cgan.discriminator.input_shape == [(None, 2), (None,)]
    acgan = ACGAN.from_preset(args, (2,), seed=0)
    assert acgan.discriminator.output_shape == [(None, 1), (None, 3)]
    assert {"conditional_gan", "acgan"} <= set(kgen.models.available())


def test_bad_input_raises_naming_the_argument():
    g = kgen.networks.mlp_generator(4, 2, (8,), num_classes=3)
    testing.assert_raises_naming(ValueError, "generator", ConditionalGAN,
                                 kgen.networks.mlp_generator(4, 2, (8,)),
                                 kgen.networks.mlp_discriminator(2, (8,), num_classes=3), 3)
    testing.assert_raises_naming(ValueError, "discriminator", ConditionalGAN, g,
                                 kgen.networks.mlp_discriminator(2, (8,)), 3)
    testing.assert_raises_naming(ValueError, "discriminator", ACGAN, g,
                                 kgen.networks.mlp_discriminator(2, (8,)), 3)
    testing.assert_raises_naming(ValueError, "discriminator", ACGAN, g,
                                 kgen.networks.mlp_discriminator(2, (8,), num_classes=4,
                                                                 auxiliary_classifier=True), 3)
    testing.assert_raises_naming(ValueError, "num_classes", ConditionalGAN, g,
                                 kgen.networks.mlp_discriminator(2, (8,), num_classes=3), 1)
    testing.assert_raises_naming(ValueError, "class_weight", ACGAN, g,
                                 kgen.networks.mlp_discriminator(2, (8,), num_classes=3,
                                                                 auxiliary_classifier=True),
                                 3, class_weight=-1.0)
    for cls in (ConditionalGAN, ACGAN):
        model = _compiled(toy(cls))
        x, y = _classes(20)
        before = [w.copy() for w in model.get_weights()]
        testing.assert_raises_naming(ValueError, "y", model.fit, x, batch_size=10, verbose=0)
        testing.assert_raises_naming(ValueError, "y", model.fit, x, y + 1, batch_size=10,
                                     verbose=0)  # label 3 of 3 classes
        testing.assert_raises_naming(ValueError, "x", model.fit,
                                     tf.data.Dataset.from_tensor_slices(x).batch(10), verbose=0)
        bad = tf.data.Dataset.from_tensor_slices((x, y - 1)).batch(10)
        testing.assert_raises_naming(ValueError, "x labels", model.fit, bad, verbose=0)
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        testing.assert_raises_naming(ValueError, "labels", model.sample, 3, labels=[0, 3, 1])
        testing.assert_raises_naming(ValueError, "labels", model.sample, 3, labels=[0, 1])
        testing.assert_raises_naming(TypeError, "labels", model.sample, 2, labels=[0.5, 1])
        testing.assert_raises_naming(ValueError, "labels", model.generate,
                                     np.zeros((2, 4), np.float32), labels=[-1, 0])
        with pytest.raises(TypeError, match="labels"):
            model.sample(2, classes=[0, 1])


@pytest.mark.parametrize("cls", [ConditionalGAN, ACGAN])
def test_conditional_dcgan_networks_train_and_load_in_safe_mode(cls, tmp_path):
    shape, aux = (28, 28, 1), cls is ACGAN
    model = _compiled(cls(kgen.networks.dcgan_generator(8, shape, 4, num_classes=10, seed=0),
                          kgen.networks.dcgan_discriminator(shape, "layer", 4, seed=1,
                                                            num_classes=10,
                                                            auxiliary_classifier=aux),
                          num_classes=10, loss="wasserstein_gp", n_critic=2, seed=0))
    assert model.data_range == (-1.0, 1.0)
    x = np.random.default_rng(0).uniform(-1, 1, (8,) + shape).astype(np.float32)
    history = model.fit(x, np.arange(8) % 10, batch_size=8, epochs=1, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())
    z = np.ones((2, 8), np.float32)
    testing.assert_keras_round_trip(model, tmp_path, lambda m: m.generate(z, labels=[3, 9]))
    # The label reaches the image: the same z for two classes gives two images.
    a, b = model.generate(z, labels=[3, 9]).numpy()
    assert np.abs(a - b).max() > 1e-4


@pytest.mark.parametrize("cls", [ConditionalGAN, ACGAN])
def test_without_labels_sample_draws_the_classes_in_turn(cls):
    model = toy(cls)
    z = model.noise(7, seed=3)
    expected = model.generate(z, labels=np.arange(7) % 3).numpy()
    np.testing.assert_array_equal(model.generate(z).numpy(), expected)
    np.testing.assert_array_equal(model.sample(7, seed=3).numpy(), expected)
    with pytest.raises(ValueError, match="y"):  # training still needs the labels
        _compiled(model).fit(np.zeros((6, 2), np.float32), None, verbose=0)
