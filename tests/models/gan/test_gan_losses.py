"""The GAN losses against their formulas, the optimal discriminator, the gradient penalty."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import testing
from kgen.models.gan import losses

R = np.array([-3.0, -0.5, 0.0, 0.7, 4.0], np.float32)
F = np.array([2.0, -1.5, 0.3, 0.0, -4.0], np.float32)


def _softplus(t):
    return np.logaddexp(0.0, np.float64(t))


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-np.float64(t)))


# (name, discriminator loss, generator loss), written from the papers' formulas in
# probabilities where the paper does (D = sigmoid(logit)).
FORMULAS = [
    ("minimax", lambda r, f: -np.log(_sigmoid(r)) - np.log(1 - _sigmoid(f)),
     lambda f: np.log(1 - _sigmoid(f))),
    ("non_saturating", lambda r, f: -np.log(_sigmoid(r)) - np.log(1 - _sigmoid(f)),
     lambda f: -np.log(_sigmoid(f))),
    ("wasserstein", lambda r, f: f - r, lambda f: -f),
    ("wasserstein_gp", lambda r, f: f - r, lambda f: -f),
    ("least_squares", lambda r, f: 0.5 * (r - 1) ** 2 + 0.5 * f ** 2,
     lambda f: 0.5 * (f - 1) ** 2),
    ("hinge", lambda r, f: np.maximum(0, 1 - r) + np.maximum(0, 1 + f), lambda f: -f),
]


@pytest.mark.parametrize("name,d_formula,g_formula", FORMULAS, ids=[f[0] for f in FORMULAS])
def test_each_loss_equals_its_formula_on_known_logits(name, d_formula, g_formula):
    loss = losses.get(name)
    np.testing.assert_allclose(loss.discriminator_loss(R, F).numpy(), d_formula(R, F), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(loss.generator_loss(F).numpy(), g_formula(F), rtol=1e-5, atol=1e-6)


def test_the_registry_knows_the_six_losses_and_their_flags():
    assert losses.available() == ("hinge", "least_squares", "minimax", "non_saturating",
                                  "wasserstein", "wasserstein_gp")
    flags = {n: (l.probability, l.wasserstein, l.gradient_penalty, l.clip_weights)
             for n, l in ((n, losses.get(n)) for n in losses.available())}
    assert flags["wasserstein"] == (False, True, False, True)
    assert flags["wasserstein_gp"] == (False, True, True, False)
    assert flags["non_saturating"] == (True, False, False, False)
    np.testing.assert_allclose(losses.get("minimax").output(R).numpy(), _sigmoid(R), rtol=1e-6)
    np.testing.assert_array_equal(losses.get("hinge").output(R).numpy(), R)
    testing.assert_raises_naming(ValueError, "loss", losses.get, "softmax")
    testing.assert_raises_naming(ValueError, "loss", losses.register_loss,
                                 losses.GANLoss("hinge", None, None))


def test_per_example_averages_a_map_and_keeps_a_column():
    np.testing.assert_array_equal(losses.per_example(R[:, None]).numpy(), R)
    maps = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3, 1)
    np.testing.assert_allclose(losses.per_example(maps).numpy(), [4.0, 13.0])


def test_the_optimal_discriminator_of_the_minimax_loss():
    # Goodfellow et al. 2014, prop. 1: on a discrete space with data p and model q, the
    # expected discriminator loss sum_x p(x) softplus(-l) + q(x) softplus(l) is minimised
    # by sigmoid(l) = p / (p + q), where it equals 2 log 2 - 2 JSD(p, q) (theorem 1).
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    best = tf.Variable(np.log(p / q).astype(np.float32))  # logit of p / (p + q)
    loss = losses.get("minimax")

    def expected(logits):
        ones = tf.ones_like(logits)
        # discriminator(r, f) = softplus(-r) + softplus(f): split the two halves.
        real_part = loss.discriminator_loss(logits, -1e4 * ones)
        fake_part = loss.discriminator_loss(1e4 * ones, logits)
        return tf.reduce_sum(p * real_part + q * fake_part)

    with tf.GradientTape() as tape:
        value = expected(best)
    np.testing.assert_allclose(tape.gradient(value, best).numpy(), 0.0, atol=1e-6)
    m = 0.5 * (p + q)
    jsd = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))
    np.testing.assert_allclose(float(value), 2 * np.log(2) - 2 * jsd, rtol=1e-5)
    for shift in (-0.3, 0.3):  # any other discriminator does worse
        assert float(expected(best + shift)) > float(value)


def _linear_critic(w):
    """D(x) = sum(w * x) over every non-batch axis: its gradient is w everywhere."""
    return lambda x, training=None: tf.reduce_sum(w * x, axis=tf.range(1, tf.rank(x)))


def test_the_gradient_norm_is_over_all_non_batch_axes():
    w = np.random.default_rng(1).normal(size=(4, 5, 3)).astype(np.float32)
    x = tf.constant(np.random.default_rng(2).normal(size=(6, 4, 5, 3)), tf.float32)
    norm = losses.gradient_norm(_linear_critic(w), x).numpy()
    assert norm.shape == (6,)
    np.testing.assert_allclose(norm, np.sqrt(np.sum(w.astype(np.float64) ** 2)), rtol=1e-5)
    penalty, _ = losses.gradient_penalty(_linear_critic(w), x, 2 * x, tf.fill([6], 0.3))
    np.testing.assert_allclose(penalty.numpy(), (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-4)


def test_a_zero_gradient_gives_a_finite_penalty_and_critic_update():
    # A critic that ignores its input: grad D = 0. Without the constant inside the square
    # root the gradient of the norm, 0 / 0, is NaN and so is the critic's update.
    critic = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, kernel_initializer="zeros")])
    real = tf.constant(np.ones((4, 3)), tf.float32)
    kernel = critic.layers[-1].kernel
    with tf.GradientTape() as tape:
        penalty, norm = losses.gradient_penalty(critic, real, -real, tf.fill([4], 0.5))
        total = tf.reduce_mean(penalty)
    np.testing.assert_allclose(norm.numpy(), np.sqrt(losses.NORM_STABILIZER), rtol=1e-3)
    np.testing.assert_allclose(penalty.numpy(), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(tape.gradient(total, kernel).numpy()))
    # The same penalty with a bare square root: its update is NaN.
    with tf.GradientTape() as tape:
        with tf.GradientTape() as inner:
            x_hat = losses.interpolate(real, -real, tf.fill([4], 0.5))
            inner.watch(x_hat)
            out = tf.reduce_sum(critic(x_hat))
        bare = tf.sqrt(tf.reduce_sum(tf.square(inner.gradient(out, x_hat)), axis=1))
        total = tf.reduce_mean(tf.square(bare - 1.0))
    assert np.all(np.isnan(tape.gradient(total, kernel).numpy()))


def test_interpolation_uses_one_epsilon_per_example_on_every_axis():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(2, 5, 4, 4, 2)).astype(np.float32)
    eps = rng.uniform(size=5).astype(np.float32)
    x_hat = losses.interpolate(real, fake, eps).numpy()
    expected = real + eps[:, None, None, None] * (fake - real)
    np.testing.assert_allclose(x_hat, expected, rtol=1e-6, atol=1e-6)
