"""kgen.metrics.exact_log_partition and ais_log_partition on small RBMs; nll's report."""

import itertools

import numpy as np
import pytest

import kgen.metrics
from kgen import testing
from kgen.models.energy import RBM, base_rate_logits


def _rbm(num_visible, num_hidden, scale, seed=0):
    model = RBM(num_visible=num_visible, num_hidden=num_hidden, seed=seed)
    rng = np.random.default_rng(seed)
    model.kernel.assign(scale * rng.normal(size=(num_visible, num_hidden)).astype("float32"))
    model.visible_bias.assign(rng.normal(size=num_visible).astype("float32") - 0.5)
    model.hidden_bias.assign(0.5 * rng.normal(size=num_hidden).astype("float32"))
    return model


def _brute_force_log_z(model):
    """log sum_v sum_h exp(-E(v, h)), both layers enumerated, float64."""
    w, b, c = (np.asarray(a, np.float64) for a in (model.kernel, model.visible_bias,
                                                   model.hidden_bias))
    v = np.array(list(itertools.product([0.0, 1.0], repeat=len(b))))
    h = np.array(list(itertools.product([0.0, 1.0], repeat=len(c))))
    return float(np.logaddexp.reduce((v @ b[:, None] + (h @ c)[None] + v @ w @ h.T).ravel()))


def test_exact_log_z_by_either_layer_equals_the_double_sum():
    model = _rbm(9, 5, scale=1.5)
    expected = _brute_force_log_z(model)
    hidden = kgen.metrics.exact_log_partition(model, layer="hidden")
    visible = kgen.metrics.exact_log_partition(model, layer="visible")
    assert hidden["log_z"] == pytest.approx(expected, abs=1e-9)
    assert visible["log_z"] == pytest.approx(expected, abs=1e-9)
    default = kgen.metrics.exact_log_partition(model)  # the smaller layer
    assert default["layer"] == "hidden" and default["num_states"] == 32
    assert default["method"] == "exact"


@pytest.mark.parametrize("num_visible, num_hidden, scale, seed", [
    (12, 8, 1.0, 0),   # log Z exact over the 2^8 hidden states
    (16, 24, 0.5, 1),  # over the 2^16 visible states
])
def test_ais_with_1000_betas_and_100_runs_is_within_0_05_nats_of_exact(
        num_visible, num_hidden, scale, seed):
    model = _rbm(num_visible, num_hidden, scale, seed)
    exact = kgen.metrics.exact_log_partition(model)["log_z"]
    data = model.sample(2000, seed=seed, num_steps=50).numpy()  # "training data"
    result = kgen.metrics.ais_log_partition(model, num_betas=1000, num_runs=100, seed=seed,
                                            data=data)
    assert abs(result["log_z"] - exact) < 0.05, (result["log_z"], exact)
    assert result["log_weights"].shape == (100,) and result["log_weights"].dtype == np.float64
    assert 0 < result["log_z_std_error"] < 0.05
    assert result["method"] == "ais" and result["num_betas"] == 1000
    # Same seed, same estimate; a uniform base (no data) is unbiased too, but the
    # plain importance sampler (2 betas) from it is far off on these models.
    again = kgen.metrics.ais_log_partition(model, num_betas=1000, num_runs=100, seed=seed,
                                           data=data)
    np.testing.assert_array_equal(again["log_weights"], result["log_weights"])
    plain = kgen.metrics.ais_log_partition(model, num_betas=2, num_runs=100, seed=seed)
    assert abs(plain["log_z"] - exact) > 0.05


def test_the_base_model_alone_is_exact_for_a_model_without_weights():
    # W = 0, c = 0: the RBM is the base-rate model times 2^H, so every log-weight is
    # 0 and AIS returns log Z_A exactly, for any schedule.
    model = RBM(num_visible=10, num_hidden=3, seed=0)
    model.kernel.assign(np.zeros((10, 3), np.float32))
    logits = np.linspace(-2, 2, 10).astype("float32")
    model.visible_bias.assign(logits)
    result = kgen.metrics.ais_log_partition(model, num_betas=5, num_runs=7, seed=0,
                                            base_logits=logits)
    np.testing.assert_allclose(result["log_weights"], 0.0, atol=1e-6)
    assert result["log_z"] == pytest.approx(kgen.metrics.exact_log_partition(model)["log_z"],
                                            abs=1e-5)


def test_the_papers_schedule_has_14500_steps():
    betas = kgen.metrics.paper_betas()
    assert len(betas) == 14_501 and betas[0] == 0.0 and betas[-1] == 1.0
    steps = np.diff(betas)
    np.testing.assert_allclose(steps[:500], 1e-3)
    np.testing.assert_allclose(steps[500:4500], 1e-4)
    np.testing.assert_allclose(steps[4500:], 1e-5)
    assert kgen.metrics.PAPER_SCHEDULE == "salakhutdinov_murray_2008"


def test_base_rates_are_smoothed_pixel_logits():
    x = np.array([[1, 0, 0], [1, 0, 1], [1, 0, 0], [1, 0, 1]], np.float32)
    p = (x.sum(0) + 1.0) / (4 + 2.0)
    np.testing.assert_allclose(base_rate_logits(x, pseudo_count=1.0), np.log(p / (1 - p)),
                               rtol=1e-6)
    testing.assert_raises_naming(ValueError, "pseudo_count", base_rate_logits, x,
                                 pseudo_count=0.0)


def test_nll_reports_how_log_z_was_found():
    model = _rbm(8, 4, scale=1.0)
    x = testing.random_binary((20, 8), seed=0)
    model.set_log_partition(kgen.metrics.exact_log_partition(model))
    exact = kgen.metrics.nll(model, x, verbose=0)
    assert exact["exact"] and exact["log_partition"]["method"] == "exact"
    np.testing.assert_allclose(exact["nll"], -np.mean(model.log_prob(x)), rtol=1e-6)
    model.set_log_partition(kgen.metrics.ais_log_partition(model, num_betas=200,
                                                           num_runs=20, seed=0))
    estimated = kgen.metrics.nll(model, x, verbose=0)
    assert not estimated["exact"] and estimated["log_partition"]["method"] == "ais"
    assert estimated["log_partition"]["num_runs"] == 20
    assert abs(estimated["nll"] - exact["nll"]) < 0.1


def test_bad_arguments_are_named():
    model = _rbm(6, 3, scale=1.0)
    ais = kgen.metrics.ais_log_partition
    testing.assert_raises_naming(ValueError, "num_betas", ais, model, num_betas=1)
    testing.assert_raises_naming(ValueError, "num_runs", ais, model, num_betas=10, num_runs=0)
    testing.assert_raises_naming(ValueError, "betas", ais, model, betas=[0.0, 0.5])
    testing.assert_raises_naming(ValueError, "betas", ais, model, betas=[0.0, 0.7, 0.5, 1.0])
    testing.assert_raises_naming(ValueError, "betas", ais, model, betas="linear")
    testing.assert_raises_naming(ValueError, "num_betas", ais, model, num_betas=10,
                                 betas=[0.0, 1.0])
    testing.assert_raises_naming(ValueError, "seed", ais, model, num_betas=10, seed=None)
    testing.assert_raises_naming(ValueError, "base_logits", ais, model, num_betas=10,
                                 base_logits=np.zeros(5))
    testing.assert_raises_naming(ValueError, "data", ais, model, num_betas=10,
                                 data=np.full((4, 6), 0.5))
    testing.assert_raises_naming(ValueError, "model", ais, object(), num_betas=10)
    testing.assert_raises_naming(ValueError, "model", kgen.metrics.exact_log_partition,
                                 _rbm(21, 22, scale=0.1))
    testing.assert_raises_naming(ValueError, "layer", kgen.metrics.exact_log_partition,
                                 model, layer="both")
