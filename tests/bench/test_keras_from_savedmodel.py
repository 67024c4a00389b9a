"""``benchmarks/keras_from_savedmodel.py`` rebuilds the benchmark VAE from its
SavedModel export: the same weights and seed state, refusing other models."""

import numpy as np
import pytest

import kgen.export
from benchmarks.keras_from_savedmodel import rebuild
from benchmarks.nll_binarized_mnist import build
from kgen import networks
from kgen.models.vae import VAE


def test_rebuild_restores_the_exported_weights_and_seed_state(tmp_path):
    source = build("vae", seed=3)
    source.build((None, 28, 28, 1))
    source.seed_generator.next()  # a position other than a fresh model's
    path = kgen.export.saved_model(source, str(tmp_path), "vae", version=1)
    rebuilt = rebuild(path)
    for a, b in zip(source.weights, rebuilt.weights):
        assert a.shape == b.shape and np.array_equal(a.numpy(), b.numpy()), a.path
    assert np.array_equal(source.seed_generator.state.numpy(),
                          rebuilt.seed_generator.state.numpy())


def test_rebuild_refuses_another_architecture(tmp_path):
    other = VAE(event_shape=(28, 28, 1), latent_dim=4,
                encoder=networks.mlp_encoder((28, 28, 1), (8,)),
                decoder=networks.mlp_decoder(4, (28, 28, 1), (8,)), seed=0)
    other.build((None, 28, 28, 1))
    path = kgen.export.saved_model(other, str(tmp_path), "small", version=1)
    with pytest.raises(ValueError, match="does not hold the benchmark VAE"):
        rebuild(path)
