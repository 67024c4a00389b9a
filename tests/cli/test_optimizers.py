"""A preset's optimizers: one for a one-loss model, one per player for a game."""

import pytest

from kgen import testing
from kgen.cli import optimizers, presets
from tests.models import two_player


def _train(**overrides):
    config = presets.resolve("vae_digits", overrides=[f"train.{k}={v}" for k, v in
                                                     overrides.items()])
    return config["train"]


def test_each_player_gets_its_own_optimizer_with_its_overrides():
    train = _train(optimizer="adam", learning_rate="2.0e-4",
                   **{"optimizer_args": "{beta_1: 0.5}",
                      "player_optimizers.discriminator.learning_rate": "4.0e-4"})
    result = optimizers.for_model(train, 10, two_player.TwoPlayer(seed=0))
    assert sorted(result) == ["discriminator", "generator"]
    assert result["generator"] is not result["discriminator"]
    assert float(result["generator"].learning_rate.numpy()) == pytest.approx(2e-4)
    assert float(result["discriminator"].learning_rate.numpy()) == pytest.approx(4e-4)
    assert result["discriminator"].beta_1 == pytest.approx(0.5)  # shared optimizer_args


def test_an_unknown_player_is_named():
    train = _train(**{"player_optimizers.critic.learning_rate": "1.0e-4"})
    message = testing.assert_raises_naming(ValueError, "train.player_optimizers",
                                           optimizers.for_model, train, 10,
                                           two_player.TwoPlayer(seed=0))
    assert "critic" in message


def test_player_optimizers_for_a_one_loss_model_are_refused():
    from kgen.models.vae import VAE

    train = _train(**{"player_optimizers.generator.learning_rate": "1.0e-4"})
    testing.assert_raises_naming(ValueError, "train.player_optimizers", optimizers.for_model,
                                 train, 10, VAE(event_shape=(4,), latent_dim=2, seed=0))


def test_an_unknown_key_of_a_player_is_named_when_the_preset_resolves():
    testing.assert_raises_naming(ValueError, "train.player_optimizers.generator",
                                 presets.resolve, "vae_digits",
                                 overrides=["train.player_optimizers.generator.momentum=0.9"])


def test_a_one_loss_model_gets_one_optimizer():
    from kgen.models.vae import VAE

    result = optimizers.for_model(_train(learning_rate="3.0e-3"), 10,
                                  VAE(event_shape=(4,), latent_dim=2, seed=0))
    assert float(result.learning_rate.numpy()) == pytest.approx(3e-3)
