"""CIFAR-10 through TFDS (``kgen.data.cifar10``), offline: the error that names the data set
when it is neither prepared nor downloadable, and the splits read from a prepared builder."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

import kgen.data
from kgen.data import cifar10


def _refuse_download(monkeypatch, calls):
    builder_class = type(tfds.builder("cifar10", data_dir="unused"))

    def download_and_prepare(self, *args, **kwargs):
        calls.append(self.data_dir)
        raise OSError("Failed to resolve 'www.cs.toronto.edu' (offline)")

    monkeypatch.setattr(builder_class, "download_and_prepare", download_and_prepare)


def test_an_unprepared_cifar10_offline_is_named_with_the_folders_tried(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "cifar10").mkdir(parents=True)  # a data folder without a prepared tree
    monkeypatch.setenv("KGEN_DATA_DIR", str(shared))
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KGEN_TFDS_DIR", raising=False)
    calls = []
    _refuse_download(monkeypatch, calls)
    with pytest.raises(FileNotFoundError, match="`cifar10`") as info:
        kgen.data.load("cifar10", "train", batch_size=8)
    message = str(info.value)
    assert "could not be downloaded" in message and "offline" in message
    assert str(shared / "cifar10") in message
    assert str(tmp_path / "cache" / "tensorflow_datasets" / "cifar10") in message
    assert isinstance(info.value.__cause__, OSError)
    # One download attempt, into kgen's TFDS data_dir (not into the shared data folder).
    assert len(calls) == 1 and str(tmp_path / "cache" / "tensorflow_datasets") in str(calls[0])


def test_an_explicit_data_dir_is_the_only_folder_tried(tmp_path, monkeypatch):
    calls = []
    _refuse_download(monkeypatch, calls)
    with pytest.raises(FileNotFoundError, match="`cifar10`") as info:
        kgen.data.load("cifar10", "test", data_dir=str(tmp_path / "tfds"))
    assert f"Tried: ['{tmp_path / 'tfds' / 'cifar10'}']" in str(info.value)


def test_bad_splits_are_named_before_anything_is_read(monkeypatch):
    calls = []
    _refuse_download(monkeypatch, calls)
    with pytest.raises(ValueError, match="`split` must be one of"):
        kgen.data.load("cifar10", "valid")
    assert calls == [] and "cifar10" in kgen.data.available()


def test_a_prepared_split_is_served_as_float_images_k_over_255_and_int64_labels(monkeypatch):
    # The prepared builder's arrays stand in for TFDS's (TFDS's own mock_data crashes
    # the interpreter here); what kgen makes of them is what is checked.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 32, 32, 3)).astype("uint8")
    labels = rng.integers(0, 10, 5)
    asked = []
    monkeypatch.setattr(cifar10, "prepared_builder", lambda data_dir=None: "builder")
    monkeypatch.setattr(cifar10, "_split_arrays",
                        lambda builder, split: asked.append(split) or (images, labels))
    x, y = next(iter(kgen.data.load("cifar10", "validation", batch_size=4, with_labels=True)))
    assert asked == ["train[45000:]"]  # the last 5,000 training images
    assert x.shape == (4, 32, 32, 3) and x.dtype.name == "float32" and y.dtype.name == "int64"
    np.testing.assert_allclose(x.numpy(), images[:4] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(), labels[:4])
    alone = next(iter(kgen.data.load("cifar10", "test", batch_size=5)))
    assert asked[-1] == "test" and alone.shape == (5, 32, 32, 3)
    assert sum(cifar10.NUM_EXAMPLES[s] for s in ("train", "validation")) == 50_000
