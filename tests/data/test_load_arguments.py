"""kgen.data.load / available: names, splits and argument checks."""

import pytest

import kgen.data


def test_available_lists_every_name_sorted():
    names = kgen.data.available()
    assert names == sorted(names)
    assert set(names) == {
        "binarized_mnist", "mnist_test", "fashion_mnist", "digits", "ring_of_gaussians",
        "grid_of_gaussians", "two_moons", "spirals", "checkerboard", "cifar10",
    }


def test_unknown_name_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="name") as info:
        kgen.data.load("cifar11", "train")
    assert "binarized_mnist" in str(info.value) and "two_moons" in str(info.value)


@pytest.mark.parametrize(
    "name, split, valid",
    [
        ("binarized_mnist", "valid", "'train', 'validation', 'test'"),
        ("mnist_test", "train", "'test'"),
        ("digits", "validation", "'train', 'test'"),
        ("spirals", "test", "'train'"),
    ],
)
def test_unknown_split_is_refused_with_that_sets_splits(name, split, valid):
    with pytest.raises(ValueError, match="split") as info:
        kgen.data.load(name, split)
    assert valid in str(info.value)


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-3, ValueError), ("10", TypeError), (2.0, TypeError), (True, TypeError)])
def test_bad_batch_size_is_refused(batch_size, error):
    with pytest.raises(error, match="batch_size"):
        kgen.data.load("digits", "train", batch_size=batch_size)


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": "0"}, TypeError, "seed"),
        ({"shuffle": "yes"}, TypeError, "shuffle"),
        ({"drop_remainder": 1}, TypeError, "drop_remainder"),
        ({"num_examples": 100}, ValueError, "num_examples"),
    ],
)
def test_other_bad_arguments_are_refused_by_name(kwargs, error, word):
    with pytest.raises(error, match=word):
        kgen.data.load("digits", "train", **kwargs)


def test_bad_toy_num_examples_is_refused():
    with pytest.raises(ValueError, match="num_examples"):
        kgen.data.load("checkerboard", "train", num_examples=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"split": "nope"},
        {"split": "train", "batch_size": 0},
        {"split": "train", "with_labels": True},
    ],
)
def test_errors_are_raised_before_anything_is_written(tmp_path, monkeypatch, kwargs):
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KGEN_TFDS_DIR", str(tmp_path / "tfds"))
    with pytest.raises(ValueError):
        kgen.data.load("binarized_mnist", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_labels_from_binarized_mnist_are_refused_naming_with_labels():
    with pytest.raises(ValueError, match="with_labels") as info:
        kgen.data.load("binarized_mnist", "test", with_labels=True)
    assert "binarized_mnist" in str(info.value)
