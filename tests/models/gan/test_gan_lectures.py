"""The GAN lectures' claims (kgen.models.gan.lectures), each checked so it can fail."""

import math
import pathlib
import runpy
import sys

import numpy as np
import pytest

import kgen
from kgen.data import toy
from kgen.models.gan.lectures import (bilinear_game, critics, mode_collapse,
                                      optimal_discriminator as od, parallel_lines, plots)

REPO = pathlib.Path(__file__).resolve().parents[3]


# --- 1. The optimal discriminator (Goodfellow et al. 2014, Prop. 1) -------------------
def _js_of_normals(data, generator):
    x = np.linspace(-12.0, 12.0, 200_001)
    p, q = np.exp(od.normal_log_prob(x, *data)), np.exp(od.normal_log_prob(x, *generator))
    m = 0.5 * (p + q)
    integrand = 0.5 * (p * np.log(p / m) + q * np.log(q / m))
    return float(np.sum(integrand) * (x[1] - x[0]))


def test_a_discriminator_trained_against_a_fixed_generator_learns_p_over_p_plus_q():
    # p_data = N(0, 1), p_g = N(1.5, 0.7^2) sampled directly; 1,500 steps of 512 + 512.
    # Measured: max |sigmoid(D) - D*| = 0.020 on the bulk [-2.17, 3.14] (seed 0).
    d = kgen.networks.mlp_discriminator(1, (64, 64), seed=0)
    curve = od.fit_optimal_discriminator(d, steps=1500, batch_size=512, seed=0)
    x = od.bulk_grid()
    assert x[0] < -2.0 and x[-1] > 3.0, (x[0], x[-1])
    learned = od.discriminator_probability(d, x)
    assert np.abs(learned - od.optimal_discriminator(x)).max() < 0.05
    # Wrong formulas are far off: 1 - D*, and D* with the generator's std taken as 1.
    assert np.abs(learned - (1.0 - od.optimal_discriminator(x))).max() > 0.5
    wrong = od.optimal_discriminator(x, generator=(1.5, 1.0))
    assert np.abs(learned - wrong).max() > 0.1
    # The loss at the optimum is log 4 - 2 JS (Theorem 1): the trained D's estimate is
    # a lower bound on JS, close to it.
    rng = np.random.default_rng(1)
    real, fake = od.normal_sampler(*od.DATA)(50_000, rng), od.normal_sampler(*od.GENERATOR)(
        50_000, rng)
    js = _js_of_normals(od.DATA, od.GENERATOR)
    estimate = critics.divergence_estimates(d, real, fake)["js_estimate"]
    assert js - 0.02 < estimate < js + 0.01, (estimate, js)
    assert abs(float(curve[-100:].mean()) - (math.log(4.0) - 2 * js)) < 0.05


def test_optimal_discriminator_is_the_density_ratio():
    x = np.array([-1.0, 0.75, 2.0])
    p = np.exp(od.normal_log_prob(x, 0.0, 1.0))
    q = np.exp(od.normal_log_prob(x, 1.5, 0.7))
    np.testing.assert_allclose(od.optimal_discriminator(x), p / (p + q), rtol=1e-12)
    assert od.optimal_discriminator(np.array([-1e3]))[0] == 1.0  # finite in the tails


# --- 2. min_x max_y x y (Mescheder et al. 2017, 2018) ---------------------------------
@pytest.mark.parametrize("lr", [0.05, 0.3, 1.0])
def test_simultaneous_steps_spiral_out_by_exactly_sqrt_one_plus_lr_squared(lr):
    r = bilinear_game.radius(bilinear_game.simultaneous((1.0, 0.5), lr, 100))
    np.testing.assert_allclose(r[1:] / r[:-1], math.sqrt(1 + lr ** 2), rtol=1e-13)
    # The alternating map does not grow at that rate.
    a = bilinear_game.radius(bilinear_game.alternating((1.0, 0.5), lr, 100))
    assert np.abs(a[1:] / a[:-1] - math.sqrt(1 + lr ** 2)).max() > 1e-3


@pytest.mark.parametrize("lr", [0.1, 0.5, 1.5])
def test_alternating_steps_keep_x2_plus_y2_minus_lr_xy_and_stay_bounded(lr):
    z0 = (1.0, 0.5)
    z = bilinear_game.alternating(z0, lr, 5000)
    invariant = bilinear_game.alternating_invariant(z, lr)
    np.testing.assert_allclose(invariant, invariant[0], rtol=1e-10)
    # Neither the radius nor the form with the other sign is conserved.
    r2 = np.sum(z ** 2, axis=1)
    assert r2.max() - r2.min() > 0.05 * r2[0]
    flipped = r2 + lr * z[:, 0] * z[:, 1]
    assert flipped.max() - flipped.min() > 0.05 * flipped[0]
    # Bounded by sqrt(V / (1 - lr / 2)), a bound the orbit comes close to.
    bound = bilinear_game.orbit_bound(z0, lr)
    radius = bilinear_game.radius(z)
    assert radius.max() <= bound * (1 + 1e-12)
    assert radius.max() > 0.99 * bound


def test_averaged_alternating_iterates_converge_at_rate_one_over_t():
    lr, z0, steps = 0.1, (1.0, 0.5), 4000
    mean = bilinear_game.radius(bilinear_game.running_average(
        bilinear_game.alternating(z0, lr, steps)))
    t = np.arange(1, steps + 2)
    assert np.all(mean * t <= bilinear_game.alternating_average_limit_constant(z0, lr))
    assert mean[-1] < 0.01
    # The simultaneous iterates' mean does not converge: it grows like (1 + lr^2)^(T/2) / T.
    sim_mean = bilinear_game.radius(bilinear_game.running_average(
        bilinear_game.simultaneous(z0, lr, 2000)))
    assert sim_mean[-1] > 1.0


def test_bilinear_game_bad_input():
    with pytest.raises(ValueError, match="z0"):
        bilinear_game.simultaneous((1.0, 2.0, 3.0), 0.1, 10)
    with pytest.raises(ValueError, match="lr"):
        bilinear_game.alternating((1.0, 0.0), 0.0, 10)
    with pytest.raises(ValueError, match="lr"):
        bilinear_game.orbit_bound((1.0, 0.0), 2.5)


# --- 3. Two parallel lines (Arjovsky et al. 2017, Example 1) --------------------------
THETAS = [0.0, 0.5, 1.0, 1.5, 2.0]


def test_parallel_lines_exact_distances():
    assert parallel_lines.exact_distances(-0.3) == {
        "wasserstein": 0.3, "js": math.log(2.0), "kl": math.inf, "total_variation": 1.0}
    assert parallel_lines.exact_distances(0.0)["js"] == 0.0
    points = parallel_lines.line_sampler(0.7)(1000, np.random.default_rng(0))
    assert np.all(points[:, 0] == 0.7) and 0 <= points[:, 1].min() < points[:, 1].max() <= 1


def test_a_wgan_gp_critic_tracks_abs_theta_while_the_js_estimate_saturates():
    # 300 critic steps of 256 + 256 per theta. Measured (seed 0): critic 0.00, 0.52, 1.04,
    # 1.61, 2.17 against the GP optimum theta (1 + theta / 20) = 0, 0.51, 1.05, 1.61, 2.2;
    # JS estimates 0.000 then 0.693 (log 2) for every theta != 0.
    w1 = parallel_lines.estimate_curve(THETAS, "wasserstein_gp", steps=300)
    assert np.corrcoef(w1, np.abs(THETAS))[0, 1] > 0.95
    assert np.all(np.diff(w1) > 0), w1
    optimum = [parallel_lines.gp_critic_optimum(t) for t in THETAS]
    np.testing.assert_allclose(w1, optimum, atol=0.1)
    js = parallel_lines.estimate_curve(THETAS, "non_saturating", steps=300)
    assert abs(js[0]) < 0.02, js
    np.testing.assert_allclose(js[1:], math.log(2.0), atol=0.02)
    # Saturated: the JS estimates carry no information about theta.
    assert js[1:].max() - js[1:].min() < 0.02


def test_a_weight_clipped_critic_is_proportional_to_abs_theta():
    # Clipping at 0.01 leaves a tiny Lipschitz constant K: the estimate is K |theta|.
    w = parallel_lines.estimate_curve(THETAS, "wasserstein", steps=300)
    assert np.corrcoef(w, np.abs(THETAS))[0, 1] > 0.95
    assert np.all(np.diff(w) > 0), w


# --- 4. Mode collapse (VEEGAN / PacGAN protocol) ---------------------------------------
def test_mean_and_standard_error():
    mean, error = mode_collapse.mean_and_standard_error([8, 7, 8, 6, 8])
    assert mean == 7.4
    np.testing.assert_allclose(error, np.std([8, 7, 8, 6, 8], ddof=1) / math.sqrt(5))
    assert mode_collapse.mean_and_standard_error([3.0]) == (3.0, None)
    assert mode_collapse.mean_and_standard_error([0.1, math.inf]) == (math.inf, None)
    with pytest.raises(ValueError, match="values"):
        mode_collapse.mean_and_standard_error([])


def test_the_protocol_on_true_and_collapsed_samples():
    params = toy.PACGAN["ring_of_gaussians"]
    x = toy.sample_toy("ring_of_gaussians", 2500, seed=0, **params)
    good = mode_collapse.evaluate(x, "ring_of_gaussians")
    assert good["modes_covered"] == 8 and good["high_quality_fraction"] > 0.98
    assert good["reverse_kl"] < 0.01
    collapsed = mode_collapse.evaluate(np.repeat(x[:1], 2500, 0), "ring_of_gaussians")
    assert collapsed["modes_covered"] == 1
    np.testing.assert_allclose(collapsed["reverse_kl"], math.log(8))


def test_run_protocol_summarizes_each_loss_over_seeds():
    result = mode_collapse.run_protocol(["non_saturating"], seeds=[0, 1], steps=10,
                                        batch_size=32, hidden_units=(8,), steps_per_epoch=5)
    runs = result["non_saturating"]["runs"]
    assert [r["seed"] for r in runs] == [0, 1]
    assert all(len(r["curve"]) == 2 and r["steps"] == 10 for r in runs)
    assert all(sum(r["counts"]) == round(2500 * r["high_quality_fraction"]) for r in runs)
    for name in mode_collapse.FIGURES:
        mean, error = mode_collapse.mean_and_standard_error([r[name] for r in runs])
        assert result["non_saturating"][name] == {"mean": mean, "std_error": error}
    with pytest.raises(ValueError, match="loss"):
        mode_collapse.train_gan("nope")


# --- the pictures --------------------------------------------------------------------
def test_line_plot_draws_the_points_where_they_belong():
    image = plots.line_plot([{"points": np.array([[0.0, 0.5], [1.0, 0.5]]),
                              "color": (0.0, 0.0, 0.0), "thickness": 1}],
                            (0.0, 1.0), (0.0, 1.0), height=21, width=31, margin=0)
    assert np.all(image[10, :, :] == 0.0)  # the middle row is black
    assert np.all(image[5, 1:-1] == 1.0)   # above it, white inside the frame
    with pytest.raises(ValueError, match="x_range"):
        plots.line_plot([], (1.0, 0.0), (0.0, 1.0))


def test_the_lectures_example_writes_its_three_pngs(tmp_path, monkeypatch, capsys):
    # In this process (no second TensorFlow start-up), shortened: 20 steps, 3 thetas.
    monkeypatch.setattr(sys, "argv", ["gan_lectures.py", "--steps", "20", "--num-thetas", "3",
                                      "--output-dir", str(tmp_path)])
    runpy.run_path(str(REPO / "examples" / "gan_lectures.py"), run_name="__main__")
    assert "D vs D* = p_data / (p_data + p_g)" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "gan_bilinear_game.png", "gan_optimal_discriminator.png", "gan_parallel_lines.png"]
