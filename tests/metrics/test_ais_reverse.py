"""Reverse AIS (kgen.metrics.reverse_ais_log_partition): the upper side of the sandwich."""

import itertools

import numpy as np
import pytest

import kgen.metrics
from kgen import testing
from kgen.models.energy import RBM


def _rbm(num_visible=10, num_hidden=6, scale=1.5, seed=0):
    model = RBM(num_visible=num_visible, num_hidden=num_hidden, seed=seed)
    rng = np.random.default_rng(seed)
    model.kernel.assign(scale * rng.normal(size=(num_visible, num_hidden)).astype("float32"))
    model.visible_bias.assign(rng.normal(size=num_visible).astype("float32") - 0.5)
    model.hidden_bias.assign(0.5 * rng.normal(size=num_hidden).astype("float32"))
    return model


def _exact_samples(model, n, seed=0):
    """n independent draws of p(v), by enumerating the 2^D visible states."""
    w, b, c = (np.asarray(a, np.float64) for a in (model.kernel, model.visible_bias,
                                                   model.hidden_bias))
    v = np.array(list(itertools.product([0.0, 1.0], repeat=len(b))))
    log_p = v @ b + np.logaddexp(0.0, v @ w + c).sum(axis=1)
    p = np.exp(log_p - log_p.max())
    return v[np.random.default_rng(seed).choice(len(v), n, p=p / p.sum())].astype("float32")


def test_forward_and_reverse_bracket_the_exact_log_z_in_expectation():
    # With one run each, the estimates are log Z_A + log w (forward) and
    # log Z_A - log w (reverse, from exact samples): by Jensen's inequality
    # E[forward] <= log Z <= E[reverse], strictly on a schedule as coarse as 10
    # betas from a uniform base (measured: 22.85 +- 0.04 < 23.72 < 24.50 +- 0.04).
    model = _rbm()
    exact = kgen.metrics.exact_log_partition(model)["log_z"]
    runs = 1000
    forward = kgen.metrics.ais_log_partition(model, num_betas=10, num_runs=runs, seed=0)
    reverse = kgen.metrics.reverse_ais_log_partition(model, _exact_samples(model, runs),
                                                     num_betas=10, num_runs=runs, seed=0)
    assert forward["log_z_base"] == reverse["log_z_base"]
    one_run_forward = forward["log_z_base"] + forward["log_weights"]
    one_run_reverse = reverse["log_z_base"] - reverse["log_weights"]
    for estimates, sign in ((one_run_forward, -1.0), (one_run_reverse, 1.0)):
        mean, error = estimates.mean(), estimates.std(ddof=1) / np.sqrt(runs)
        assert sign * (mean - exact) > 4 * error + 0.3, (sign, mean, error, exact)
    # Their gap bounds the error of both (Grosse et al. 2016's sandwich).
    assert one_run_reverse.mean() - one_run_forward.mean() > 1.0


@pytest.mark.parametrize("burn_in, start", [(0, "exact"), (200, "zeros")])
def test_reverse_ais_with_1000_betas_is_within_0_05_nats_of_exact(burn_in, start):
    # From exact samples, or from a far-off state (all zeros) that the burn-in
    # sweeps at beta = 1 bring to the model.
    model = _rbm(12, 8, scale=1.0, seed=1)
    exact = kgen.metrics.exact_log_partition(model)["log_z"]
    data = _exact_samples(model, 2000, seed=1)
    states = data[:100] if start == "exact" else np.zeros((1, 12), np.float32)
    result = kgen.metrics.reverse_ais_log_partition(
        model, states, num_betas=1000, num_runs=100, burn_in=burn_in, seed=0, data=data)
    assert abs(result["log_z"] - exact) < 0.05, (result["log_z"], exact)
    assert 0 < result["log_z_std_error"] < 0.05
    assert abs(result["log_z"] - exact) < 4 * result["log_z_std_error"] + 1e-3
    assert result["method"] == "reverse_ais" and result["burn_in"] == burn_in
    assert result["num_start_states"] == len(states) and result["log_weights"].shape == (100,)
    again = kgen.metrics.reverse_ais_log_partition(
        model, states, num_betas=1000, num_runs=100, burn_in=burn_in, seed=0, data=data)
    np.testing.assert_array_equal(again["log_weights"], result["log_weights"])


def test_reverse_weights_vanish_for_a_model_that_is_its_base():
    # W = 0, c = 0, b = b_A: every intermediate distribution is the target.
    model = RBM(num_visible=10, num_hidden=3, seed=0)
    model.kernel.assign(np.zeros((10, 3), np.float32))
    logits = np.linspace(-2, 2, 10).astype("float32")
    model.visible_bias.assign(logits)
    start = testing.random_binary((4, 10), seed=0)
    result = kgen.metrics.reverse_ais_log_partition(model, start, num_betas=5, num_runs=7,
                                                    seed=0, base_logits=logits)
    np.testing.assert_allclose(result["log_weights"], 0.0, atol=1e-6)
    assert result["log_z"] == pytest.approx(kgen.metrics.exact_log_partition(model)["log_z"],
                                            abs=1e-5)


def test_bad_reverse_arguments_are_named():
    model = _rbm(6, 3)
    reverse = kgen.metrics.reverse_ais_log_partition
    states = testing.random_binary((5, 6), seed=0)
    testing.assert_raises_naming(ValueError, "start", reverse, model, states[:, :5],
                                 num_betas=10)
    testing.assert_raises_naming(ValueError, "start", reverse, model, np.full((4, 6), 0.5),
                                 num_betas=10)
    testing.assert_raises_naming(ValueError, "start", reverse, model, states[:0],
                                 num_betas=10)
    testing.assert_raises_naming(ValueError, "burn_in", reverse, model, states, num_betas=10,
                                 burn_in=-1)
    testing.assert_raises_naming(ValueError, "num_betas", reverse, model, states, num_betas=1)
    testing.assert_raises_naming(ValueError, "num_runs", reverse, model, states, num_betas=10,
                                 num_runs=0)
