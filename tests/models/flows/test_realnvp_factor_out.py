"""RealNVP's multi-scale factor-out (Dinh et al. 2016, sec. 3.6): half the channels go to a
standard normal latent after each scale but the last; without it, steps are as before."""

import numpy as np
import tensorflow as tf

from kgen import testing
from kgen.bijectors.flow_bijector import inverse_and_log_det
from kgen.models.flows import FactorOut, RealNVP
from tests.models.flows.flow_factories import levels, randomize


def _model(factor_out=True, num_couplings=1):
    model = RealNVP(event_shape=(4, 4, 1), num_scales=2, num_couplings=num_couplings,
                    filters=4, num_blocks=1, num_levels=256, logit_alpha=0.05,
                    factor_out=factor_out, seed=0)
    model.initialize_from_data(levels(16, seed=1), seed=0)
    return randomize(model, scale=0.1)


def _names(layers):
    names = []
    for layer in layers:
        names.append(layer.name)
        if isinstance(layer, FactorOut):
            names += _names(layer.inner_layers)
    return names


def test_the_factored_half_is_the_latent_under_a_standard_normal_prior():
    model = _model()
    split = model.flow_layers[-1]
    assert isinstance(split, FactorOut) and not split.learned_prior
    assert not hasattr(split, "prior")  # no prior network: N(0, I) as in the paper
    assert model.latent_shape == (2, 2, 4)
    # Data side up to the split: dequantized levels through the logit and scale 0.
    x = levels(3, seed=2)
    u = model.uniform(x.shape, seed=5)
    h = x + u
    for part in model.preprocessing_bijectors():
        h = part.inverse(h)
    for layer in model.flow_layers[:-1]:
        h = layer(h, inverse=True)[0]
    z = model.encode(x, seed=5).numpy()
    np.testing.assert_allclose(z[..., :2], h.numpy()[..., :2], rtol=1e-5, atol=1e-5)
    # The kept half went on through the last scale's couplings: not left as it was.
    assert np.abs(z[..., 2:] - h.numpy()[..., 2:]).max() > 1e-2


def test_the_factored_chain_inverts_and_its_log_det_is_the_jacobians():
    model = _model()
    v = levels(2, seed=3) + 0.5
    chain = model.bijector()
    np.testing.assert_allclose(chain.forward(chain.inverse(v)).numpy(), v, rtol=1e-4)
    x = tf.constant(levels(2, seed=4))
    w = x + model.uniform(x.shape, seed=0)  # the noise log_prob(x, seed=0) adds
    z, log_det = inverse_and_log_det(chain, w, 3)
    assert np.abs(log_det.numpy()).max() > 0.1
    np.testing.assert_allclose(model.log_prob(x, seed=0).numpy(),
                               (model.base_log_prob(z) + log_det).numpy(), rtol=1e-6)
    testing.assert_log_det_matches_jacobian(chain.inverse, w.numpy(), log_det.numpy(),
                                            atol=2e-3)


def test_steps_keep_their_names_and_seeds_with_and_without_factor_out():
    flat = RealNVP(event_shape=(4, 4, 1), num_scales=2, num_couplings=2, filters=4,
                   num_blocks=1, seed=3)
    split = RealNVP(event_shape=(4, 4, 1), num_scales=2, num_couplings=2, filters=4,
                    num_blocks=1, factor_out=True, seed=3)
    # The plan as the flat code numbered it: scale 0 is steps 0-4, scale 1 steps 5-7.
    expected = ["actnorm_0", "coupling_0", "actnorm_1", "coupling_1", "squeeze_2",
                "actnorm_3", "coupling_3", "actnorm_4", "coupling_4", "actnorm_5",
                "coupling_5", "actnorm_6", "coupling_6", "actnorm_7", "coupling_7"]
    assert _names(flat.flow_layers) == expected
    assert _names(split.flow_layers) == expected[:9] + ["factor_out_0"] + expected[9:]
    assert flat.latent_shape == (2, 2, 4) and split.latent_shape == (2, 2, 4)
    steps = {layer.name: layer for layer in flat.flow_layers}
    inner = {layer.name: layer for layer in split.flow_layers[-1].inner_layers}
    for name in ("coupling_5", "coupling_6", "coupling_7"):  # seeded by the plan's index
        assert inner[name].seed == steps[name].seed == flat.layer_seed(int(name[-1]))
    # Scale 0 is the same network in both: the same initial weights.
    first = {layer.name: layer for layer in split.flow_layers}["coupling_0"]
    for a, b in zip(steps["coupling_0"].weights, first.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # After the split the last scale sees half the channels: 2 of the flat model's 4.
    assert inner["coupling_5"].weights[0].shape[-2] == 2
    assert steps["coupling_5"].weights[0].shape[-2] == 4


def test_factor_out_round_trips_through_a_keras_file(tmp_path):
    model = _model()
    assert model.get_config()["factor_out"] is True
    x = levels(3, seed=6)
    loaded = testing.assert_keras_round_trip(model, tmp_path, lambda m: m.log_prob(x, seed=0),
                                             atol=1e-4)
    assert loaded.factor_out and isinstance(loaded.flow_layers[-1], FactorOut)


def test_factor_out_must_be_a_bool():
    testing.assert_raises_naming(TypeError, "factor_out", RealNVP, event_shape=(4, 4, 1),
                                 factor_out="yes")
