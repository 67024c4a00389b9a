"""Statically binarized MNIST (Larochelle & Murray, 2011) through TFDS, offline.

TFDS's ``binarized_mnist`` builder asks its download manager for three URLs
whose checksums it registers. When a ``manual_dir`` holds files with the
registered names (``binarized_mnist_{train,valid,test}.amat``), the download
manager takes them from there, verifies their sha256 and never opens a
socket. kgen ships the files gzipped, so they are gunzipped once into a cache
folder that is then handed to TFDS as its ``manual_dir``.
"""

import functools
import pathlib

from kgen.data import _paths

NAME = "binarized_mnist"
SPLITS = ("train", "validation", "test")
NUM_EXAMPLES = {"train": 50_000, "validation": 10_000, "test": 10_000}
IMAGE_SHAPE = (28, 28, 1)

# File names TFDS 4.9 registers for the builder, their sizes and sha256
# (tensorflow_datasets/datasets/binarized_mnist/checksums.tsv).
FILES = {
    "binarized_mnist_train.amat": (
        78_400_000,
        "ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d",
    ),
    "binarized_mnist_valid.amat": (
        15_680_000,
        "1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2",
    ),
    "binarized_mnist_test.amat": (
        15_680_000,
        "e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c",
    ),
}


def manual_cache_dir():
    """Returns the folder holding the gunzipped ``.amat`` files.

    ``<cache root>/manual/binarized_mnist``, where the cache root is
    ``$KGEN_CACHE_DIR`` or ``~/.cache/kgen``.
    """
    return _paths.cache_root() / "manual" / NAME


def _has_amat_files(folder):
    return all(
        (folder / fname).is_file() and (folder / fname).stat().st_size == size
        for fname, (size, _) in FILES.items()
    )


def prepare_manual_dir(manual_dir=None):
    """Returns a folder holding the three uncompressed ``.amat`` files.

    If the raw folder (see ``kgen.data._paths.raw_data_dir``) already holds the
    uncompressed files, it is returned as is. Otherwise its ``.amat.gz`` files
    are gunzipped once into ``manual_cache_dir()``; files already there with
    the right size are kept.

    Args:
        manual_dir: folder with the ``.amat`` or ``.amat.gz`` files, or
            ``None`` to use ``$KGEN_MANUAL_DIR``, ``$KGEN_DATA_DIR/binarized_mnist``
            or ``shared/data/binarized_mnist`` beside the project.

    Returns:
        ``pathlib.Path`` of a folder TFDS can use as its ``manual_dir``.

    Raises:
        FileNotFoundError: if neither the ``.amat`` nor the ``.amat.gz`` files
            are found.
    """
    raw = _paths.raw_data_dir(NAME, explicit=manual_dir, env_var="KGEN_MANUAL_DIR")
    if _has_amat_files(raw):
        return raw
    missing = [f + ".gz" for f in FILES if not (raw / (f + ".gz")).is_file()]
    if missing:
        raise FileNotFoundError(
            f"The folder '{raw}' must hold the files {sorted(FILES)} or their "
            f".gz versions. Missing: {missing}"
        )
    cache = manual_cache_dir()
    for fname, (size, _) in FILES.items():
        _paths.gunzip_once(raw / (fname + ".gz"), cache / fname, size)
    return cache


def builder(data_dir=None):
    """Returns TFDS's ``binarized_mnist`` builder rooted at kgen's TFDS data_dir."""
    import tensorflow_datasets as tfds

    return tfds.builder(NAME, data_dir=str(_paths.tfds_data_dir(data_dir)))


def make_dataset(split, manual_dir=None, data_dir=None):
    """Returns one split as an unbatched ``tf.data.Dataset`` of float32 images.

    The first call prepares TFRecords in TFDS's ``data_dir`` (about 20 s on
    two CPU cores); later calls read them and touch no raw file. The split is
    read whole into memory (uint8: 39 MB for train, about 2 s) once per
    process and served from there.

    Why not ``Dataset.cache()``: TensorFlow 2.21's in-memory cache can keep a
    partial pass. After ``for x in ds.take(1)`` (as ``fit`` and ``nll`` do to
    check the data), the next full pass sometimes yields about 100 examples
    instead of all of them (2 in 20 trials here); a fully read array cannot be
    truncated. ``tests/data/test_binarized_mnist.py`` checks this.

    Args:
        split: one of ``"train"``, ``"validation"``, ``"test"`` (checked by
            the caller).
        manual_dir: see ``prepare_manual_dir``.
        data_dir: TFDS's ``data_dir``; see ``kgen.data._paths.tfds_data_dir``.

    Returns:
        ``tf.data.Dataset`` of float32 tensors of shape ``(28, 28, 1)`` with
        values exactly 0. or 1., in the builder's stored order.
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    def prepare(bld):
        folder = prepare_manual_dir(manual_dir)
        config = tfds.download.DownloadConfig(
            manual_dir=str(pathlib.Path(folder)), try_download_gcs=False
        )
        bld.download_and_prepare(download_config=config)

    _paths.prepare_once(lambda: builder(data_dir), prepare, _paths.tfds_data_dir(data_dir), NAME)
    images = _split_images(split, str(pathlib.Path(_paths.tfds_data_dir(data_dir)).resolve()))
    ds = tf.data.Dataset.from_tensor_slices(images)
    return ds.map(lambda x: tf.cast(x, tf.float32), num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True)


@functools.lru_cache(maxsize=6)
def _split_images(split, data_dir):
    """All images of a prepared split, uint8 ``[n, 28, 28, 1]``, read once."""
    import tensorflow_datasets as tfds

    bld = tfds.builder(NAME, data_dir=data_dir)
    images = tfds.as_numpy(bld.as_dataset(split=split, shuffle_files=False, batch_size=-1))
    images = images["image"]
    images.setflags(write=False)  # shared by every data set of this split
    return images
