"""mnist_test: the original MNIST test set parsed from its IDX files."""

import numpy as np
import pytest
import tensorflow as tf

import kgen.data
from kgen.data import mnist


@pytest.fixture(scope="module")
def images_and_labels():
    ds = kgen.data.load("mnist_test", "test", batch_size=10_000, with_labels=True)
    (x, y), = list(ds)
    return x.numpy(), y.numpy()


def test_has_10000_float32_images_of_28x28x1(images_and_labels):
    x, y = images_and_labels
    assert x.shape == (10_000, 28, 28, 1)
    assert x.dtype == np.float32
    assert y.shape == (10_000,)
    assert y.dtype == np.int64


def test_pixels_lie_in_unit_interval_with_mnist_mean(images_and_labels):
    x, _ = images_and_labels
    assert x.min() == 0.0 and x.max() == 1.0
    assert 0.12 < x.mean() < 0.14


def test_labels_are_digits_with_realistic_class_counts(images_and_labels):
    _, y = images_and_labels
    assert set(np.unique(y).tolist()) == set(range(10))
    counts = np.bincount(y, minlength=10)
    assert np.all((counts >= 800) & (counts <= 1200)), counts


def test_without_labels_elements_are_bare_images():
    ds = kgen.data.load("mnist_test", "test")
    assert isinstance(ds.element_spec, tf.TensorSpec)
    assert ds.element_spec.shape.as_list() == [28, 28, 1]
    assert int(ds.cardinality()) == 10_000


def test_read_idx_rejects_a_file_that_is_not_idx(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="IDX"):
        mnist.read_idx(bad)


def test_missing_manual_dir_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="manual_dir"):
        kgen.data.load("mnist_test", "test", manual_dir=tmp_path / "nowhere")


def test_shuffled_pairs_keep_each_image_with_its_label():
    x, y = mnist.load_arrays()
    label_of = {img.tobytes(): int(lab) for img, lab in zip(x, y)}
    ds = kgen.data.load("mnist_test", "test", batch_size=500, shuffle=True, seed=1,
                        with_labels=True)
    xb, yb = next(iter(ds))
    assert [label_of[img.tobytes()] for img in xb.numpy()] == yb.numpy().tolist()
    assert not np.array_equal(yb.numpy(), y[:500])  # the stream is shuffled
