"""The data pipelines of a preset: ``kgen.data.load`` plus the preset's preprocessing."""

import kgen.data

# Offsets that give each split its own stream of binarization seeds.
_SEED_OFFSET = {"train_split": 0, "validation_split": 1, "eval_split": 2}


def load_split(data, key, seed, training=False, batch_size=None):
    """Loads the split named by ``data[key]`` of a resolved preset's ``data`` section.

    Args:
        data: the ``data`` section of a resolved config.
        key: ``"train_split"``, ``"validation_split"`` or ``"eval_split"``.
        seed: int >= 0, seeds the shuffling and the binarization.
        training: shuffle each epoch and draw a fresh binarization each
            epoch (``preprocess: dynamic_binarize``); otherwise the order and
            the binarization are fixed.
        batch_size: default ``data["batch_size"]``.

    Returns:
        A batched ``tf.data.Dataset`` of float32 images, or ``None`` if the
        split is ``null``.

    Raises:
        ValueError: naming ``data.<key>`` if ``kgen.data.load`` refuses it.
    """
    import tensorflow as tf

    split = data[key]
    if split is None:
        return None
    try:
        ds = kgen.data.load(data["name"], split, batch_size=batch_size or data["batch_size"],
                            shuffle=training, seed=seed)
    except ValueError as e:
        raise ValueError(f"`data.{key}`: {e}") from e
    if data["preprocess"] == "dynamic_binarize":
        seeds = tf.data.Dataset.random(
            seed=seed * 10 + _SEED_OFFSET.get(key, 3),
            rerandomize_each_iteration=training).batch(2)
        ds = tf.data.Dataset.zip((ds, seeds)).map(
            lambda x, s: kgen.data.dynamic_binarize(x, seed=s),
            num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    return ds


def event_shape(ds):
    """The shape of one example of a batched data set, a tuple of ints."""
    return tuple(int(d) for d in ds.element_spec.shape[1:])


def steps_per_epoch(ds):
    """Batches in one pass over ``ds``, or ``None`` if ``tf.data`` cannot tell."""
    import tensorflow as tf

    count = int(ds.cardinality())
    return None if count in (int(tf.data.INFINITE_CARDINALITY),
                             int(tf.data.UNKNOWN_CARDINALITY)) else count
