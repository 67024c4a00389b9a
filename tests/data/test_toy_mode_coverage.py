"""The toys' parameters (PacGAN's settings), exact log-densities and mode-coverage figures."""

import numpy as np
import pytest

import kgen.data
from kgen import testing
from kgen.data import toy


def test_pacgan_settings_put_the_modes_where_the_paper_does():
    ring, std = toy.mode_centers("ring_of_gaussians", **toy.PACGAN["ring_of_gaussians"])
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0)
    assert len(ring) == 8 and std == 0.01
    grid, std = toy.mode_centers("grid_of_gaussians", **toy.PACGAN["grid_of_gaussians"])
    assert sorted(set(np.round(grid[:, 0], 6))) == [-4, -2, 0, 2, 4] and std == 0.05
    x, k = kgen.data.sample_toy("ring_of_gaussians", 5000, seed=0, with_labels=True,
                                **toy.PACGAN["ring_of_gaussians"])
    np.testing.assert_allclose(np.std(x - ring[k], axis=0), 0.01, rtol=0.05)


def test_default_parameters_draw_the_same_points_as_before():
    # The defaults are the old constants: the same seed draws the same ring and grid.
    rng = np.random.default_rng(0)
    k = rng.integers(0, 8, size=100)
    angle = 2 * np.pi * k / 8
    old = 2.0 * np.stack([np.cos(angle), np.sin(angle)], 1) + 0.02 * rng.standard_normal((100, 2))
    np.testing.assert_allclose(kgen.data.sample_toy("ring_of_gaussians", 100, seed=0), old,
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,params", [
    ("ring_of_gaussians", {"radius": 1.0, "std": 0.1}),
    ("grid_of_gaussians", {"spacing": 1.0, "std": 0.2}),
    ("checkerboard", {}),
])
def test_toy_log_prob_is_normalized_on_a_grid(name, params):
    testing.assert_normalized_on_grid(lambda x: toy.toy_log_prob(name, x, **params),
                                      low=-5.0, high=5.0, num_points=801, atol=1e-2)


def test_toy_log_prob_of_one_mode_is_a_gaussian_over_k():
    centers, std = toy.mode_centers("grid_of_gaussians")
    x = centers[[0, 7]] + np.array([[0.01, -0.02], [0.0, 0.0]])
    expected = (-np.sum((x - centers[[0, 7]]) ** 2, 1) / (2 * std ** 2)
                - np.log(2 * np.pi * std ** 2) - np.log(25))
    np.testing.assert_allclose(toy.toy_log_prob("grid_of_gaussians", x), expected, rtol=1e-9)
    assert toy.toy_log_prob("checkerboard", [[-3.0, -1.0]])[0] == -np.inf
    np.testing.assert_allclose(toy.toy_log_prob("checkerboard", [[-3.0, -3.0]]), -np.log(32))


def test_data_covers_every_mode_and_one_mode_covers_one():
    params = toy.PACGAN["ring_of_gaussians"]
    x = kgen.data.sample_toy("ring_of_gaussians", 2500, seed=1, **params)
    result = toy.mode_coverage(x, "ring_of_gaussians", **params)
    assert result["modes_covered"] == 8 and result["num_modes"] == 8
    assert result["high_quality_fraction"] > 0.98  # P(chi_2 < 3) = 1 - exp(-4.5) = 0.989
    assert result["reverse_kl"] < 0.01 and result["counts"].sum() <= 2500
    collapsed = toy.mode_coverage(x[np.argmin(np.linalg.norm(x - [1, 0], axis=1))][None]
                                  .repeat(100, 0), "ring_of_gaussians", **params)
    assert collapsed["modes_covered"] == 1
    np.testing.assert_allclose(collapsed["reverse_kl"], np.log(8))
    far = toy.mode_coverage(np.zeros((10, 2)), "ring_of_gaussians", **params)
    assert far["modes_covered"] == 0 and far["high_quality_fraction"] == 0.0
    assert far["reverse_kl"] == np.inf


def test_bad_toy_parameters_are_named():
    testing.assert_raises_naming(ValueError, "radius", kgen.data.sample_toy,
                                 "grid_of_gaussians", 10, radius=1.0)
    testing.assert_raises_naming(ValueError, "std", kgen.data.sample_toy,
                                 "ring_of_gaussians", 10, std=0.0)
    testing.assert_raises_naming(ValueError, "name", toy.toy_log_prob, "two_moons",
                                 np.zeros((2, 2)))
    testing.assert_raises_naming(ValueError, "samples", toy.mode_coverage, np.zeros((3, 3)),
                                 "ring_of_gaussians")
    testing.assert_raises_naming(ValueError, "name", toy.mode_coverage, np.zeros((3, 2)),
                                 "checkerboard")
