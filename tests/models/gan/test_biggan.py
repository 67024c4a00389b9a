"""BigGAN: the networks' hierarchical latents and projection head, the truncation trick,
presets, .keras and SavedModel round trips, the 2-replica step, bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import kgen
from kgen import testing
from kgen.models.gan import BigGAN

SHAPE = (8, 8, 1)  # one up-block (4 -> 8): small enough for exact, fast checks


def tiny(seed=0, ema_decay=None, n_critic=1, synchronized=True, parts=True):
    """A BigGAN of 8x8 images; ``parts=False`` drops spectral norm and attention (tested
    on their own), which take most of the tracing time."""
    return BigGAN(kgen.networks.biggan_generator(8, 3, SHAPE, base_channels=8,
                                                 embedding_dim=4, spectral_norm=parts,
                                                 attention_resolution=8 if parts else None,
                                                 synchronized=synchronized, seed=seed),
                  kgen.networks.biggan_discriminator(SHAPE, 3, base_channels=8,
                                                     spectral_norm=parts,
                                                     attention_resolution=4 if parts else None,
                                                     seed=seed + 1),
                  num_classes=3, n_critic=n_critic, ema_decay=ema_decay, seed=seed)


def replica_biggan(synchronized=True):
    """The replica test's model (synchronized BN in the generator), attention open."""
    model = tiny(synchronized=synchronized)
    _open_attention(model)
    return model


def replica_biggan_local():
    """Replica-local BN statistics. Checked by hand: the 2-replica step of this model
    fails the test by far (a CBN bias kernel's step differs by 0.0046 on a step of
    0.0045, 0.10 x the 1-device step)."""
    return replica_biggan(synchronized=False)


def sgd_per_player(model):
    model.compile(optimizer={"generator": keras.optimizers.SGD(0.01),
                             "discriminator": keras.optimizers.SGD(0.01)})


def _open_attention(model):
    """gamma = 0.5 in every attention block, so that its convolutions get gradients."""
    for net in (model.generator, model.discriminator):
        for layer in net.layers:
            if isinstance(layer, kgen.layers.SelfAttention):
                layer.gamma.assign(0.5)


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n,) + SHAPE).astype(np.float32),
            (np.arange(n) % 3).astype(np.int32))


def _compiled(model):
    model.compile(optimizer={"generator": keras.optimizers.Adam(1e-3, 0.0, 0.999),
                             "discriminator": keras.optimizers.Adam(1e-3, 0.0, 0.999)})
    return model


def test_defaults_are_bigGANs_hinge_loss_and_the_networks_parts():
    g = kgen.networks.biggan_generator(60, 10, (28, 28, 1), seed=0)
    d = kgen.networks.biggan_discriminator((28, 28, 1), 10, seed=1)
    model = BigGAN(g, d, num_classes=10)
    assert model.loss_name == "hinge" and model.data_range == (-1.0, 1.0)
    assert g.output_shape == (None, 28, 28, 1) and d.output_shape == (None, 1)
    kinds = [type(layer).__name__ for layer in g.layers]
    assert kinds.count("ConditionalBatchNormalization") == 4 and "SelfAttention" in kinds
    assert g.get_layer("attention_14").output.shape == (None, 14, 14, 64)
    assert "SelfAttention" in [type(layer).__name__ for layer in d.layers]
    # Spectral norm on every conv / dense of both networks (and D's class embedding).
    for net in (g, d):
        for layer in net._flatten_layers(include_self=False):
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
                assert any(isinstance(p, keras.layers.SpectralNormalization) and p.layer is layer
                           for p in net._flatten_layers(include_self=False)), layer.name
    # The orthogonal penalty is in the generator's losses (one per regularized kernel).
    assert len(g.losses) > 0 and len(d.losses) == 0
    assert g.count_params() < 400_000 and d.count_params() < 200_000  # CPU-sized


def test_each_z_chunk_reaches_only_its_block():
    g = kgen.networks.biggan_generator(60, 10, (28, 28, 1), base_channels=8, seed=0)
    z = tf.constant(np.random.default_rng(0).normal(size=(2, 60)), tf.float32)
    labels = tf.constant([1, 7])
    for i in range(2):
        condition = keras.Model(g.inputs, g.get_layer(f"block{i}_condition").output)
        with tf.GradientTape() as tape:
            tape.watch(z)
            c = condition([z, labels])
        jac = tape.batch_jacobian(c, z).numpy()  # [batch, 32 + 20, 60]
        assert jac.shape == (2, 52, 60)
        on = np.zeros(60, bool)
        on[20 * (i + 1):20 * (i + 2)] = True
        assert np.abs(jac[:, :, ~on]).max() == 0
        np.testing.assert_array_equal(jac[:, 32:, on], np.broadcast_to(np.eye(20), (2, 20, 20)))
        assert np.abs(jac[:, :32]).max() == 0  # the embedding part depends on y only
    # The first chunk alone feeds the bottom map.
    bottom = keras.Model(g.inputs, g.get_layer("bottom_map").output)
    with tf.GradientTape() as tape:
        tape.watch(z)
        h = bottom([z, labels])
    jac = tape.jacobian(h, z).numpy().reshape(-1, 2, 60)
    assert np.abs(jac[..., 20:]).max() == 0 and np.abs(jac[..., :20]).max() > 0


def test_the_discriminator_adds_the_class_projection():
    d = kgen.networks.biggan_discriminator(SHAPE, 3, base_channels=8,
                                           attention_resolution=4, seed=1)
    x = tf.constant(_data(4)[0])
    labels = tf.constant([0, 1, 2, 0])
    features = keras.Model(d.inputs, d.get_layer("sum_pool").output)([x, labels]).numpy()
    embedding = d.get_layer("class_embedding_sn").layer.kernel.numpy()
    linear = d.get_layer("linear_sn").layer
    w, b = linear.kernel.numpy(), linear.bias.numpy()
    expected = features @ w + b + (embedding[labels.numpy()] * features).sum(1, keepdims=True)
    np.testing.assert_allclose(d([x, labels]).numpy(), expected, rtol=1e-5, atol=1e-5)
    # The labels change D's output only through the projection.
    other = d([x, tf.constant([1, 2, 0, 1])]).numpy() - d([x, labels]).numpy()
    np.testing.assert_allclose(
        other[:, 0], (features * (embedding[[1, 2, 0, 1]] - embedding[labels.numpy()])).sum(1),
        rtol=1e-4, atol=1e-5)


def test_truncated_samples_use_the_truncated_normal_and_refuse_a_threshold_at_or_below_0():
    model = tiny()
    for t in (2.0, 0.5):
        z = model.noise(20000, seed=0, truncation=t).numpy().ravel()
        assert np.abs(z).max() <= t
        # BigGAN's resampling of |z| > t draws this same law.
        assert stats.kstest(z, stats.truncnorm(-t, t).cdf).pvalue > 1e-3
    a = model.sample(4, labels=[0, 1, 2, 0], seed=1, truncation=0.5).numpy()
    np.testing.assert_array_equal(
        a, model.sample(4, labels=[0, 1, 2, 0], seed=1, truncation=0.5).numpy())
    assert a.shape == (4,) + SHAPE and np.abs(a).max() <= 1
    # Without labels the classes come in turn (what SampleQuality and SampleGrid draw).
    np.testing.assert_array_equal(model.sample(4, seed=1, truncation=0.5).numpy(), a)
    for bad in (0.0, -1.0):
        testing.assert_raises_naming(ValueError, "truncation", model.sample, 2, labels=0,
                                     truncation=bad)


def test_fit_then_keras_and_saved_model_round_trips(tmp_path):
    model = _compiled(tiny(parts=False))
    x, y = _data()
    history = model.fit(x, y, batch_size=6, epochs=1, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())
    assert int(model.discriminator_optimizer.iterations) == 2
    # The orthogonal penalty is the model's only regularization loss (GAN's step adds it).
    penalty = float(tf.add_n(model.generator.losses))
    assert penalty > 0 and float(tf.add_n(model.losses)) == pytest.approx(penalty)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    labels = np.array([0, 2, 1], np.int32)
    loaded = testing.assert_keras_round_trip(model, tmp_path,
                                             lambda m: m.generate(z, labels=labels))
    assert type(loaded) is BigGAN and loaded.loss_name == "hinge"
    np.testing.assert_array_equal(loaded.sample(3, labels=1, truncation=0.5).numpy(),
                                  model.sample(3, labels=1, truncation=0.5).numpy())
    served = testing.assert_saved_model_round_trip(model, tmp_path / "sm", {
        "serving_default": {"z": z, "labels": labels}, "generate": {"z": z, "labels": labels},
        "sample": {"labels": labels},
        "sample_truncated": {"labels": labels, "truncation": np.float32(0.5)}})
    np.testing.assert_allclose(served["generate"]["x"],
                               model.generate(z, labels=labels).numpy(), rtol=1e-5, atol=1e-5)
    assert served["sample_truncated"]["x"].shape == (3,) + SHAPE


def test_a_two_replica_step_equals_one_device():
    # 12 examples, 6 per replica. The noise is fixed (every z is ones), so the generator's
    # BN inputs differ by class only: replica 0 gets class 0 alone, replica 1 classes 1
    # and 2. Its BNs use synchronized statistics, so each replica normalizes with the
    # global batch's, as one device does; with replica-local statistics
    # (replica_biggan_local) the step differs from the 1-device step (checked).
    x, _ = _data(12)
    y = np.array([0] * 6 + [1, 2] * 3, np.int32)
    testing.assert_replica_step_matches(
        "tests.models.gan.test_biggan:replica_biggan", (x, y),
        compile_fn="tests.models.gan.test_biggan:sgd_per_player", method="fit",
        normal_value=1.0, rtol=1e-4, atol=1e-6, every_weight_moves=False)


def test_presets_build_the_biggan_networks():
    args = {"latent_dim": 8, "num_classes": 3, "n_critic": 2,
            "generator": {"type": "biggan", "base_channels": 8, "embedding_dim": 4,
                          "attention_resolution": 8},
            "discriminator": {"type": "biggan", "base_channels": 8,
                              "attention_resolution": 4}}
    model = BigGAN.from_preset(args, SHAPE, seed=0)
    assert model.loss_name == "hinge" and model.n_critic == 2 and model.latent_dim == 8
    assert model.generator.get_layer("attention_8") is not None
    again = BigGAN.from_preset(args, SHAPE, seed=0)  # (SN's power-iteration vector u is
    for a, b in zip(model.trainable_weights, again.trainable_weights):  # Keras's, unseeded)
        np.testing.assert_array_equal(a, b)
    testing.assert_raises_naming(ValueError, "model_args.generator", BigGAN.from_preset,
                                 {**args, "generator": {"type": "biggan", "chanels": 8}},
                                 SHAPE)
    assert "biggan" in kgen.models.available()


def test_bad_input_raises_naming_the_argument():
    build_g, build_d = kgen.networks.biggan_generator, kgen.networks.biggan_discriminator
    testing.assert_raises_naming(ValueError, "latent_dim", build_g, 61, 10)
    testing.assert_raises_naming(ValueError, "num_classes", build_g, 60, 1)
    testing.assert_raises_naming(ValueError, "event_shape", build_g, 60, 10, (27, 27, 1))
    testing.assert_raises_naming(ValueError, "attention_resolution", build_g, 60, 10,
                                 attention_resolution=7)
    testing.assert_raises_naming(ValueError, "orthogonal_weight", build_g, 60, 10,
                                 orthogonal_weight=-1.0)
    testing.assert_raises_naming(ValueError, "attention_resolution", build_d,
                                 attention_resolution=28)
    testing.assert_raises_naming(TypeError, "base_channels", build_d, base_channels=2.5)
    model = tiny()
    testing.assert_raises_naming(ValueError, "labels", model.sample, 2, labels=[0, 3])
    testing.assert_raises_naming(ValueError, "z", model.generate, np.zeros((2, 7)), labels=0)
    testing.assert_raises_naming(ValueError, "generator", BigGAN,
                                 kgen.networks.dcgan_generator(8, SHAPE, 4),
                                 build_d(SHAPE, 3, 8, None), 3)
