"""CIFAR-10 through TFDS (Krizhevsky 2009), read when it is prepared or downloadable.

Krizhevsky, "Learning Multiple Layers of Features from Tiny Images" (2009,
https://www.cs.toronto.edu/~kriz/learning-features-2009-TR.pdf): 32x32 colour
images in 10 classes (0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog,
6 frog, 7 horse, 8 ship, 9 truck), 50,000 train and 10,000 test images. kgen
reads TFDS's ``cifar10`` builder; the images are not shipped with kgen.

Where the prepared data are looked for, in order:

1. ``data_dir`` given to ``load`` (TFDS's ``data_dir``: the folder holding
   ``cifar10/<version>/``);
2. ``$KGEN_DATA_DIR``, then ``shared/data`` beside an ancestor of the ``kgen``
   package, if one holds a prepared ``cifar10/<version>/`` (so a copy of a
   prepared tree serves offline machines);
3. ``kgen.data._paths.tfds_data_dir()`` (``$KGEN_TFDS_DIR``, else
   ``$KGEN_CACHE_DIR/tensorflow_datasets``), where TFDS downloads and prepares
   it on first use if it is not there (about 160 MB; online only).

Splits, like ``fashion_mnist``'s:

- ``train_full``: the 50,000 training images, in TFDS's order.
- ``train``: the first 45,000 of them (TFDS's ``train[:45000]``),
  ``validation``: the last 5,000 (``train[45000:]``).
- ``test``: the 10,000 test images.
"""

import functools
import pathlib

from kgen.data import _paths

NAME = "cifar10"
SPLITS = ("train", "validation", "train_full", "test")
NUM_EXAMPLES = {"train": 45_000, "validation": 5_000, "train_full": 50_000, "test": 10_000}
IMAGE_SHAPE = (32, 32, 3)
TFDS_SPLITS = {"train": "train[:45000]", "validation": "train[45000:]",
               "train_full": "train", "test": "test"}


def _builder(data_dir):
    import tensorflow_datasets as tfds

    return tfds.builder(NAME, data_dir=str(data_dir))


def prepared_builder(data_dir=None):
    """Returns TFDS's ``cifar10`` builder, prepared: found (see the module's
    docstring), or downloaded and prepared into ``tfds_data_dir(data_dir)``.

    Raises:
        FileNotFoundError: naming ``cifar10`` and the folders tried, when it is
            neither prepared in one of them nor downloadable (offline TFDS
            retries for about 3 minutes first); the download's error is its
            ``__cause__``.
    """
    candidates = [] if data_dir is not None else [
        base for base in _paths._shared_data_candidates() if (base / NAME).is_dir()]
    for folder in candidates:
        builder = _builder(folder)
        if builder.is_prepared():
            return builder
    target = _paths.tfds_data_dir(data_dir)
    try:
        return _paths.prepare_once(lambda: _builder(target),
                                   lambda builder: builder.download_and_prepare(), target, NAME)
    except Exception as e:  # offline: requests' ConnectionError, TFDS's DownloadError, ...
        tried = [str(pathlib.Path(f) / NAME) for f in candidates + [target]]
        raise FileNotFoundError(
            f"The data set `{NAME}` (CIFAR-10) is not prepared in TFDS's data_dir and could "
            f"not be downloaded ({type(e).__name__}: {str(e)[:200]}). Run once online, or "
            f"copy a prepared TFDS `{NAME}/<version>/` folder into $KGEN_DATA_DIR or "
            f"$KGEN_TFDS_DIR. Tried: {tried}") from e


def make_dataset(split, data_dir=None, with_labels=False):
    """Returns one split as an unbatched ``tf.data.Dataset``.

    The split is read whole into memory as uint8 (150 MB for ``train_full``)
    once per process, then served with ``from_tensor_slices`` and scaled to
    float32 ``k / 255`` per element (no ``Dataset.cache()``: see
    ``kgen.data.binarized_mnist.make_dataset``).

    Args:
        split: one of ``SPLITS`` (checked by the caller).
        data_dir: TFDS's ``data_dir``, or ``None`` (see the module's docstring).
        with_labels: if True, elements are ``(image, label)`` with int64 labels.

    Returns:
        ``tf.data.Dataset`` of float32 ``(32, 32, 3)`` images in [0, 1] (or
        pairs), in TFDS's stored order.

    Raises:
        FileNotFoundError: as ``prepared_builder``.
    """
    import tensorflow as tf

    builder = prepared_builder(data_dir)
    images, labels = _split_arrays(builder, TFDS_SPLITS[split])
    scale = lambda x: tf.cast(x, tf.float32) / 255.0  # noqa: E731
    if with_labels:
        ds = tf.data.Dataset.from_tensor_slices((images, labels.astype("int64")))
        return ds.map(lambda x, y: (scale(x), y), num_parallel_calls=tf.data.AUTOTUNE,
                      deterministic=True)
    return tf.data.Dataset.from_tensor_slices(images).map(
        scale, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


@functools.lru_cache(maxsize=4)
def _arrays(data_dir, tfds_split):
    import tensorflow_datasets as tfds

    data = tfds.as_numpy(_builder(data_dir).as_dataset(
        split=tfds_split, shuffle_files=False, batch_size=-1))
    images, labels = data["image"], data["label"]
    images.setflags(write=False)  # shared by every data set of this split
    return images, labels


def _split_arrays(builder, tfds_split):
    """``(images uint8 [n, 32, 32, 3], labels [n])`` of a prepared builder's split."""
    return _arrays(str(pathlib.Path(builder.data_dir).parents[1]), tfds_split)
