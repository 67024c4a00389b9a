"""``kgen.data.load``: named data sets as ``tf.data.Dataset``s of float32 tensors."""

import collections
import contextlib
import random

import numpy as np

from kgen import checks
from kgen.data import _paths, binarized_mnist, cifar10, digits, fashion_mnist, mnist, toy

_Spec = collections.namedtuple("_Spec", ["splits", "sizes", "has_labels", "kind"])

_TOY_SIZE = None  # toy sets have as many examples as asked for
_CATALOG = {
    binarized_mnist.NAME: _Spec(
        binarized_mnist.SPLITS, binarized_mnist.NUM_EXAMPLES, False, "tfds"
    ),
    mnist.NAME: _Spec(mnist.SPLITS, mnist.NUM_EXAMPLES, True, "mnist"),
    fashion_mnist.NAME: _Spec(
        fashion_mnist.SPLITS, fashion_mnist.NUM_EXAMPLES, True, "fashion_mnist"
    ),
    digits.NAME: _Spec(digits.SPLITS, digits.NUM_EXAMPLES, True, "digits"),
    cifar10.NAME: _Spec(cifar10.SPLITS, cifar10.NUM_EXAMPLES, True, "cifar10"),
    **{name: _Spec(("train",), _TOY_SIZE, True, "toy") for name in toy.NAMES},
}
_MAX_SHUFFLE_BUFFER = 10_000


def available():
    """Returns the names ``load`` accepts, sorted.

    Returns:
        list of str.

    Example:

    >>> "binarized_mnist" in available()
    True
    """
    return sorted(_CATALOG)


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return value


def load(
    name,
    split,
    *,
    batch_size=None,
    shuffle=False,
    seed=None,
    manual_dir=None,
    data_dir=None,
    with_labels=False,
    drop_remainder=False,
    num_examples=None,
):
    """Loads a named data set as a ``tf.data.Dataset`` of float32 tensors.

    | name | splits (sizes) | element | labels |
    | --- | --- | --- | --- |
    | ``binarized_mnist`` | train 50000, validation 10000, test 10000 | (28, 28, 1), exactly 0. or 1. | none |
    | ``mnist_test`` | test 10000 | (28, 28, 1) in [0, 1] | int64 0..9 |
    | ``fashion_mnist`` | train 55000, validation 5000, train_full 60000, test 10000 | (28, 28, 1) in [0, 1] | int64 0..9 |
    | ``digits`` | train 1500, test 297 | (8, 8, 1) in [0, 1] | int64 0..9 |
    | ``cifar10`` | train 45000, validation 5000, train_full 50000, test 10000 | (32, 32, 3) in [0, 1] | int64 0..9 |
    | toy densities (see ``kgen.data.toy``) | train ``num_examples`` | (2,) | int64 component |

    ``binarized_mnist`` is the static binarization of Larochelle & Murray
    (2011), read through TFDS with no network: its ``.amat.gz`` files are
    gunzipped once into ``<cache>/manual/binarized_mnist`` and handed to TFDS
    as its ``manual_dir``; TFDS then writes TFRecords into its ``data_dir``
    (about 20 s, once). ``mnist_test`` is the original MNIST test set, read
    from its IDX files. ``fashion_mnist`` is Fashion-MNIST (Xiao et al.
    2017), read from its IDX files; its ``validation`` split is a fixed,
    seeded slice of 5,000 of the 60,000 training images and ``train`` the
    other 55,000 (``train_full`` is all of them; see
    ``kgen.data.fashion_mnist``). ``digits`` is scikit-learn's 8x8 digits, split
    deterministically. ``cifar10`` is CIFAR-10 through TFDS, prepared in a
    data folder or downloaded (online only; see ``kgen.data.cifar10``).

    Loading leaves Python's and NumPy's global random generators where it found
    them (``keep_global_random_state``), whether or not it had to build a cache
    first, so ``keras.utils.set_random_seed(s)`` then ``load`` then a model gives
    the same initial weights in every process. The shuffle, like any ``tf.data``
    shuffle, combines ``seed`` with TensorFlow's global seed.

    Args:
        name: one of ``available()``.
        split: a split of that data set (see the table).
        batch_size: ``None`` for unbatched elements, or an integer >= 1; then
            the data set is batched and prefetched.
        shuffle: if True, shuffle the examples before batching, with a buffer
            of ``min(size, 10000)``, reshuffled each epoch.
        seed: ``None`` or an integer >= 0. Fixes the shuffling order (and the
            points of a toy density), so the same seed gives the same stream.
        manual_dir: folder of the raw files of ``binarized_mnist`` (the three
            ``.amat`` or ``.amat.gz`` files), ``mnist_test`` (the two IDX
            ``.gz`` files) or ``fashion_mnist`` (the four IDX ``.gz`` files).
            ``None``: ``$KGEN_MANUAL_DIR`` (binarized_mnist only), then
            ``$KGEN_DATA_DIR/<set>``, then ``shared/data/<set>``
            found beside an ancestor of the ``kgen`` package. Ignored by the
            other data sets.
        data_dir: TFDS's ``data_dir`` for ``binarized_mnist`` and ``cifar10``. ``None``:
            ``$KGEN_TFDS_DIR``, else ``$KGEN_CACHE_DIR/tensorflow_datasets``,
            else ``~/.cache/kgen/tensorflow_datasets``.
        with_labels: if False, each element is the image (or point) alone, so
            ``model.fit(ds)`` works for unsupervised models; if True, an
            ``(x, label)`` pair.
        drop_remainder: passed to ``Dataset.batch``.
        num_examples: for toy densities only, the number of points (default
            10000).

    Returns:
        ``tf.data.Dataset`` whose elements are float32 tensors of the shape in
        the table (with a leading batch axis if ``batch_size`` is given), or
        ``(x, label)`` pairs with int64 labels.

    Raises:
        ValueError: on an unknown ``name`` or ``split``, ``batch_size < 1``, a
            negative ``seed``, ``with_labels=True`` for a set without labels,
            ``num_examples`` given for a set that is not a toy density, or
            ``$KGEN_DATA_DIR`` / ``$KGEN_MANUAL_DIR`` set to a folder that
            does not exist.
            Every argument is checked before anything is written to disk.
        TypeError: if ``batch_size``, ``seed`` or ``num_examples`` is not an
            integer, or a flag is not a bool.
        FileNotFoundError: if the raw files cannot be found (``cifar10``: if it
            is neither prepared nor downloadable; the message names it).

    Example:

    >>> ds = load("digits", "train", batch_size=100, shuffle=True, seed=0)
    >>> next(iter(ds)).shape
    TensorShape([100, 8, 8, 1])
    >>> x, y = next(iter(load("mnist_test", "test", batch_size=32, with_labels=True)))
    >>> x.dtype.name, y.dtype.name
    ('float32', 'int64')
    """
    spec = _check_args(name, split, batch_size, seed, with_labels, num_examples)
    if batch_size is not None:
        batch_size = int(batch_size)
    _check_bool("shuffle", shuffle)
    _check_bool("drop_remainder", drop_remainder)

    import tensorflow as tf

    with keep_global_random_state():  # a first call may build a cache (TFDS)
        if spec.kind == "tfds":
            ds = binarized_mnist.make_dataset(split, manual_dir=manual_dir, data_dir=data_dir)
            size = spec.sizes[split]
        elif spec.kind == "cifar10":
            ds = cifar10.make_dataset(split, data_dir=data_dir, with_labels=with_labels)
            size = spec.sizes[split]
        else:
            if spec.kind == "mnist":
                x, y = mnist.load_arrays(manual_dir)
            elif spec.kind == "fashion_mnist":
                x, y = fashion_mnist.load_arrays(split, manual_dir)
            elif spec.kind == "digits":
                x, y = digits.load_arrays(split)
            else:
                n = 10_000 if num_examples is None else num_examples
                x, y = toy.sample_toy(name, n, seed=seed, with_labels=True)
            size = len(x)
            ds = tf.data.Dataset.from_tensor_slices((x, y) if with_labels else x)

    if shuffle:
        ds = ds.shuffle(
            min(size, _MAX_SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True
        )
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


@contextlib.contextmanager
def keep_global_random_state():
    """Restores Python's and NumPy's global random generators on exit.

    Reading the data must not move them: TFDS names the folder of a first
    preparation with ``random.choice`` from Python's global generator, and
    Keras seeds its global ``SeedGenerator`` (the unseeded initializers) with
    ``random.randint`` from the same generator. Without this, ``set_random_seed(0)``
    then ``load(...)`` then building a model gave other initial weights in a
    process that built the cache than in one that found it. Other threads'
    draws from these generators meanwhile are undone too.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _check_args(name, split, batch_size, seed, with_labels, num_examples):
    """Checks ``load``'s arguments and returns the data set's spec."""
    checks.one_of("name", name, _CATALOG)
    spec = _CATALOG[name]
    if split not in spec.splits:
        raise ValueError(
            f"`split` must be one of {list(spec.splits)} for `{name}`. "
            f"Received: split={split!r}"
        )
    if batch_size is not None:
        checks.positive_int("batch_size", batch_size)
    checks.seed("seed", seed)
    _check_bool("with_labels", with_labels)
    if with_labels and not spec.has_labels:
        raise ValueError(
            f"`with_labels=True` is not available: `{name}` has no labels. "
            f"Received: with_labels={with_labels}"
        )
    if num_examples is not None:
        if spec.kind != "toy":
            raise ValueError(
                f"`num_examples` applies to the toy densities only, not to `{name}`. "
                f"Received: num_examples={num_examples!r}"
            )
        checks.positive_int("num_examples", num_examples)
    _paths.check_env_dirs()
    return spec
