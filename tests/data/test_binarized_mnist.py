"""binarized_mnist through TFDS, offline, from the gzipped .amat files in shared/data."""

import hashlib

import numpy as np
import pytest
import tensorflow as tf

import kgen.data
from kgen.data import binarized_mnist

# sha256 of the uncompressed files, as listed in shared/data/README.md.
README_SHA256 = {
    "binarized_mnist_train.amat": "ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d",
    "binarized_mnist_valid.amat": "1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2",
    "binarized_mnist_test.amat": "e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c",
}


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def test_prepare_opens_no_network_connection(prepared_binarized_mnist):
    assert prepared_binarized_mnist.connections == []
    print(f"TFDS prepare took {prepared_binarized_mnist.seconds:.1f} s")


def test_gunzipped_cache_files_match_readme_checksums(prepared_binarized_mnist):
    folder = prepared_binarized_mnist.manual_folder
    # shared/data ships only .gz files, so the folder TFDS reads is kgen's cache.
    assert folder == prepared_binarized_mnist.cache_folder
    for fname, digest in README_SHA256.items():
        assert _sha256(folder / fname) == digest, fname


def test_tfds_info_records_paper_split_sizes(prepared_binarized_mnist):
    info = binarized_mnist.builder(prepared_binarized_mnist.data_dir).info
    sizes = {name: info.splits[name].num_examples for name in ("train", "validation", "test")}
    assert sizes == {"train": 50_000, "validation": 10_000, "test": 10_000}


@pytest.mark.parametrize(
    "split, size", [("train", 50_000), ("validation", 10_000), ("test", 10_000)]
)
def test_every_split_has_its_paper_size(prepared_binarized_mnist, split, size):
    ds = kgen.data.load("binarized_mnist", split, data_dir=prepared_binarized_mnist.data_dir)
    assert int(ds.cardinality()) == size
    counted = ds.batch(10_000).reduce(
        tf.constant(0, tf.int64), lambda n, x: n + tf.shape(x, out_type=tf.int64)[0]
    )
    assert int(counted) == size


def test_test_split_is_10000_binary_float32_images(prepared_binarized_mnist):
    ds = kgen.data.load(
        "binarized_mnist", "test", batch_size=2_500, data_dir=prepared_binarized_mnist.data_dir
    )
    batches = [x.numpy() for x in ds]
    images = np.concatenate(batches)
    assert images.shape == (10_000, 28, 28, 1)
    assert images.dtype == np.float32
    assert set(np.unique(images).tolist()) == {0.0, 1.0}
    # Binarized MNIST has about 13% of its pixels on.
    assert 0.11 < images.mean() < 0.15


def test_elements_are_bare_images_so_fit_works_unsupervised(prepared_binarized_mnist):
    ds = kgen.data.load(
        "binarized_mnist", "validation", batch_size=32, data_dir=prepared_binarized_mnist.data_dir
    )
    assert isinstance(ds.element_spec, tf.TensorSpec)
    assert ds.element_spec.shape.as_list() == [None, 28, 28, 1]
    assert ds.element_spec.dtype == tf.float32


def test_prepared_data_no_longer_needs_the_raw_files(prepared_binarized_mnist, tmp_path):
    ds = kgen.data.load(
        "binarized_mnist",
        "test",
        batch_size=8,
        manual_dir=tmp_path / "does_not_exist",
        data_dir=prepared_binarized_mnist.data_dir,
    )
    assert next(iter(ds)).shape == (8, 28, 28, 1)


def test_with_labels_is_refused_because_the_set_has_no_labels():
    with pytest.raises(ValueError, match="with_labels"):
        kgen.data.load("binarized_mnist", "test", with_labels=True)


def test_a_partial_pass_never_truncates_the_next_full_pass(prepared_binarized_mnist):
    # With Dataset.cache() this failed about 1 time in 10 (a pass of ~100 examples):
    # fit, evaluate and nll each take one batch first to check the data.
    counts = []
    for _ in range(30):
        ds = kgen.data.load("binarized_mnist", "test", batch_size=100,
                            data_dir=prepared_binarized_mnist.data_dir)
        for _ in ds.take(1):
            pass
        counts.append(sum(int(x.shape[0]) for x in ds))
    assert counts == [10_000] * 30
