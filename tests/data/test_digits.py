"""digits: scikit-learn's 8x8 digits, split deterministically into 1500/297."""

import numpy as np
import pytest

import kgen.data


def _arrays(split):
    (x, y), = list(kgen.data.load("digits", split, batch_size=2_000, with_labels=True))
    return x.numpy(), y.numpy()


@pytest.mark.parametrize("split, size", [("train", 1500), ("test", 297)])
def test_splits_have_1500_and_297_images_of_8x8x1_in_unit_interval(split, size):
    x, y = _arrays(split)
    assert x.shape == (size, 8, 8, 1)
    assert x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y)) <= set(range(10))


def test_splits_are_deterministic_and_disjoint():
    from sklearn.datasets import load_digits

    train, _ = _arrays("train")
    test, _ = _arrays("test")
    everything = load_digits().images.astype(np.float32)[..., None] / 16.0
    np.testing.assert_array_equal(np.concatenate([train, test]), everything)


def test_shuffle_with_a_seed_is_reproducible_and_seed_dependent():
    def first_batch(seed):
        ds = kgen.data.load("digits", "train", batch_size=64, shuffle=True, seed=seed)
        return next(iter(ds)).numpy()

    np.testing.assert_array_equal(first_batch(3), first_batch(3))
    assert not np.array_equal(first_batch(3), first_batch(4))


def test_shuffle_reorders_but_keeps_every_example():
    plain = next(iter(kgen.data.load("digits", "test", batch_size=297))).numpy()
    shuffled = next(
        iter(kgen.data.load("digits", "test", batch_size=297, shuffle=True, seed=0))
    ).numpy()
    assert not np.array_equal(plain, shuffled)
    key = lambda a: np.lexsort(a.reshape(len(a), -1).T)  # noqa: E731
    np.testing.assert_array_equal(plain[key(plain)], shuffled[key(shuffled)])


def test_drop_remainder_drops_the_last_partial_batch():
    kept = list(kgen.data.load("digits", "test", batch_size=100))
    dropped = list(kgen.data.load("digits", "test", batch_size=100, drop_remainder=True))
    assert [len(b) for b in kept] == [100, 100, 97]
    assert [len(b) for b in dropped] == [100, 100]
