"""The 2-D toy densities: shapes, seeding, and one geometric property each."""

import numpy as np
import pytest
import tensorflow as tf

import kgen.data
from kgen.data import toy

NAMES = ["ring_of_gaussians", "grid_of_gaussians", "two_moons", "spirals", "checkerboard"]
N = 10_000


@pytest.mark.parametrize("name", NAMES)
def test_samples_are_float32_points_of_shape_n_by_2(name):
    x = kgen.data.sample_toy(name, num_examples=N, seed=0)
    assert x.shape == (N, 2)
    assert x.dtype == np.float32
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_points_other_seed_other_points(name):
    a = kgen.data.sample_toy(name, 500, seed=1)
    np.testing.assert_array_equal(a, kgen.data.sample_toy(name, 500, seed=1))
    assert not np.allclose(a, kgen.data.sample_toy(name, 500, seed=2))


def test_ring_points_lie_at_radius_two_near_eight_modes():
    x = kgen.data.sample_toy("ring_of_gaussians", N, seed=0)
    radius = np.linalg.norm(x, axis=1)
    assert np.mean(np.abs(radius - 2.0) < 0.1) >= 0.99
    angle = np.arctan2(x[:, 1], x[:, 0])
    mode = np.round(angle / (np.pi / 4)) % 8
    off_mode = np.abs(angle - np.round(angle / (np.pi / 4)) * np.pi / 4)
    assert np.mean(off_mode < 0.05) >= 0.99  # std 0.02 / radius 2 = 0.01 rad
    counts = np.bincount(mode.astype(int), minlength=8)
    assert np.all(np.abs(counts - N / 8) < 5 * np.sqrt(N / 8))


def test_grid_points_lie_near_one_of_25_grid_nodes():
    x = kgen.data.sample_toy("grid_of_gaussians", N, seed=0)
    centers = toy.grid_centers()
    assert centers.shape == (25, 2)
    dist = np.linalg.norm(x[:, None, :] - centers[None], axis=2)
    # Distance to a node is Rayleigh with sigma 0.05: P(d > 0.25) = exp(-12.5) ~ 4e-6.
    assert np.mean(dist.min(axis=1) < 0.25) >= 0.999
    assert len(np.unique(dist.argmin(axis=1))) == 25


def test_checkerboard_points_lie_in_the_black_squares():
    x = kgen.data.sample_toy("checkerboard", N, seed=0)
    assert np.all((x >= -4.0) & (x < 4.0))
    i, j = np.floor(x[:, 0] / 2), np.floor(x[:, 1] / 2)
    assert np.all((i + j) % 2 == 0)
    squares = np.unique(np.stack([i, j], axis=1), axis=0)
    assert len(squares) == 8


def test_two_moons_form_two_half_circle_clusters():
    n = 2_000
    x, label = kgen.data.sample_toy("two_moons", n, seed=0, with_labels=True)
    t = np.linspace(0, np.pi, 500)
    arcs = [np.stack([np.cos(t), np.sin(t)], 1), np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)]
    dist = np.stack(
        [np.linalg.norm(x[:, None] - arc[None], axis=2).min(axis=1) for arc in arcs], axis=1
    )
    # Each point sits on its own moon (noise std 0.05) and is nearer to it than to the other.
    own = dist[np.arange(n), label]
    assert np.mean(own < 0.2) >= 0.99
    assert np.mean(dist.argmin(axis=1) == label) >= 0.97
    assert 0.45 < label.mean() < 0.55  # 4.5 standard errors at n=2000


def test_spirals_radius_grows_from_zero_to_about_pi():
    x, arm = kgen.data.sample_toy("spirals", N, seed=0, with_labels=True)
    radius = np.linalg.norm(x, axis=1)
    assert np.percentile(radius, 1) < 0.5
    assert np.percentile(radius, 95) > 2.5
    assert np.mean(radius < np.pi + 0.3) >= 0.99  # noise std 0.1
    # The two arms are mirror images through the origin.
    a0, a1 = x[arm == 0][:2000], -x[arm == 1][:2000]
    nearest = np.linalg.norm(a0[:, None] - a1[None], axis=2).min(axis=1)
    assert np.median(nearest) < 0.1


def test_load_wraps_toy_samples_with_num_examples_and_labels():
    ds = kgen.data.load("two_moons", "train", num_examples=300, seed=5, with_labels=True)
    x_spec, y_spec = ds.element_spec
    assert x_spec.shape.as_list() == [2] and x_spec.dtype == tf.float32
    assert y_spec.dtype == tf.int64
    assert int(ds.cardinality()) == 300
    x = np.stack([p.numpy() for p, _ in ds])
    np.testing.assert_array_equal(x, kgen.data.sample_toy("two_moons", 300, seed=5))


def test_load_defaults_to_10000_points():
    ds = kgen.data.load("ring_of_gaussians", "train", batch_size=1000, seed=0)
    assert isinstance(ds.element_spec, tf.TensorSpec)
    assert sum(len(b) for b in ds) == 10_000


def test_unknown_toy_name_is_refused():
    with pytest.raises(ValueError, match="name"):
        kgen.data.sample_toy("swiss_cheese", 10, seed=0)
