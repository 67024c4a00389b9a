"""fashion_mnist: Fashion-MNIST from its IDX files, with a seeded validation slice of train."""

import gzip
import hashlib

import numpy as np
import pytest
import tensorflow as tf

import kgen.data
from kgen.data import _paths, fashion_mnist

# sha256 of the validation indices (sorted, little-endian int64): pins the slice
# so that a change of seed, of size or of NumPy's RandomState stream is caught.
_VALIDATION_INDICES_SHA256 = "9a6320f589a31db94ededd037fb45897f2f2a89db933b1d98282016c1e020c51"


def _image_hashes(images):
    return {hashlib.sha1(image.tobytes()).hexdigest() for image in images}


@pytest.fixture(scope="module")
def splits():
    return {split: fashion_mnist.load_arrays(split) for split in ("train", "validation", "test")}


@pytest.mark.parametrize(
    "split, size",
    [("train", 55_000), ("validation", 5_000), ("train_full", 60_000), ("test", 10_000)],
)
def test_load_gives_each_split_its_size_as_labelled_float32_images(split, size):
    ds = kgen.data.load("fashion_mnist", split, with_labels=True)
    x_spec, y_spec = ds.element_spec
    assert x_spec.shape.as_list() == [28, 28, 1] and x_spec.dtype == tf.float32
    assert y_spec.shape.as_list() == [] and y_spec.dtype == tf.int64
    assert int(ds.cardinality()) == size


def test_without_labels_elements_are_bare_images():
    ds = kgen.data.load("fashion_mnist", "validation", batch_size=64)
    assert isinstance(ds.element_spec, tf.TensorSpec)
    assert next(iter(ds)).shape == (64, 28, 28, 1)


def test_pixels_lie_in_unit_interval_with_fashion_mnist_mean(splits):
    for split, (x, _) in splits.items():
        assert x.dtype == np.float32, split
        assert x.min() == 0.0 and x.max() == 1.0, split
        assert 0.28 < x.mean() < 0.29, (split, x.mean())
        # uint8 pixels / 255: every value is a multiple of 1/255
        assert np.allclose(np.round(x[:100] * 255), x[:100] * 255, atol=1e-4), split


def test_labels_are_the_ten_classes_with_balanced_counts(splits):
    for split, (_, y) in splits.items():
        assert y.dtype == np.int64, split
        assert y.min() == 0 and y.max() == 9, split
    assert np.bincount(splits["test"][1]).tolist() == [1000] * 10
    # train + validation hold the 6,000 training images of each class
    counts = np.bincount(splits["train"][1]) + np.bincount(splits["validation"][1])
    assert counts.tolist() == [6000] * 10


def test_train_and_validation_are_disjoint_and_cover_train_full(splits):
    train = _image_hashes(splits["train"][0])
    validation = _image_hashes(splits["validation"][0])
    assert len(train) == 55_000 and len(validation) == 5_000  # no image is repeated
    assert not train & validation
    x_full, _ = fashion_mnist.load_arrays("train_full")
    assert train | validation == _image_hashes(x_full)


def test_validation_is_the_documented_slice_of_train_full(splits):
    x_full, y_full = fashion_mnist.load_arrays("train_full")
    train_idx, val_idx = fashion_mnist.validation_indices()
    perm = np.random.RandomState(fashion_mnist.VALIDATION_SEED).permutation(60_000)
    np.testing.assert_array_equal(val_idx, np.sort(perm[:5_000]))
    np.testing.assert_array_equal(splits["validation"][0], x_full[val_idx])
    np.testing.assert_array_equal(splits["validation"][1], y_full[val_idx])
    np.testing.assert_array_equal(splits["train"][1], y_full[train_idx])


def test_validation_slice_is_pinned_and_the_same_on_every_call():
    train_a, val_a = fashion_mnist.validation_indices()
    train_b, val_b = fashion_mnist.validation_indices()
    np.testing.assert_array_equal(val_a, val_b)
    np.testing.assert_array_equal(train_a, train_b)
    assert val_a[:8].tolist() == [17, 28, 50, 66, 72, 89, 101, 125]
    digest = hashlib.sha256(val_a.astype("<i8").tobytes()).hexdigest()
    assert digest == _VALIDATION_INDICES_SHA256
    assert np.array_equal(np.union1d(train_a, val_a), np.arange(60_000))


def test_shuffled_pairs_keep_each_image_with_its_label(splits):
    x, y = splits["validation"]
    label_of = {hashlib.sha1(img.tobytes()).hexdigest(): int(lab) for img, lab in zip(x, y)}
    ds = kgen.data.load(
        "fashion_mnist", "validation", batch_size=500, shuffle=True, seed=3, with_labels=True
    )
    xb, yb = next(iter(ds))
    assert [label_of[hashlib.sha1(img.tobytes()).hexdigest()] for img in xb.numpy()] == (
        yb.numpy().tolist()
    )
    assert not np.array_equal(yb.numpy(), y[:500])  # the stream is shuffled


def test_unknown_split_is_refused_naming_split():
    with pytest.raises(ValueError, match="split"):
        kgen.data.load("fashion_mnist", "valid")


def test_missing_manual_dir_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="manual_dir"):
        kgen.data.load("fashion_mnist", "test", manual_dir=tmp_path / "nowhere")


def test_is_listed_by_available():
    assert "fashion_mnist" in kgen.data.available()


# md5 of the uncompressed IDX files, from the data folder's README (Xiao et al.'s own).
_UNCOMPRESSED_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}


@pytest.mark.parametrize("fname", sorted(_UNCOMPRESSED_MD5))
def test_the_files_read_are_the_published_fashion_mnist(fname):
    with gzip.open(_paths.raw_data_dir(fashion_mnist.NAME) / fname, "rb") as f:
        assert hashlib.md5(f.read()).hexdigest() == _UNCOMPRESSED_MD5[fname]
