"""The data pipelines of a preset: ``kgen.data.load`` plus the preset's preprocessing."""

import kgen.data
import kgen.data.steps



def load_split(data, key, seed, training=False, batch_size=None):
    """Loads the split named by ``data[key]`` of a resolved preset's ``data`` section.

    Args:
        data: the ``data`` section of a resolved config.
        key: ``"train_split"``, ``"validation_split"`` or ``"eval_split"``.
        seed: int >= 0, seeds the shuffling and the random preprocessing.
        training: shuffle each epoch and draw new random preprocessing each
            epoch (e.g. ``preprocess: dynamic_binarize``); otherwise the order
            and the preprocessing are fixed.
        batch_size: default ``data["batch_size"]``.

    Returns:
        A batched ``tf.data.Dataset`` of float32 images, or of ``(images,
        labels)`` with ``data.labels: true``; ``None`` if the split is ``null``.

    Raises:
        ValueError: naming ``data.<key>`` if ``kgen.data.load`` refuses it, or
            ``data.labels`` if the data set has no labels.
    """
    split = data[key]
    if split is None:
        return None
    labels = bool(data.get("labels", False))
    try:
        ds = kgen.data.load(data["name"], split, batch_size=batch_size or data["batch_size"],
                            shuffle=training, seed=seed, with_labels=labels)
    except ValueError as e:
        if labels and "with_labels" in str(e):
            raise ValueError(f"`data.labels` asks for labels, and {data['name']!r} has none. "
                             f"Received: data.labels=true") from e
        raise ValueError(f"`data.{key}`: {e}") from e
    return kgen.data.steps.apply(ds, data["preprocess"], seed, key, training=training)


def event_shape(ds):
    """The shape of one example of a batched data set (of its images, for ``(images,
    labels)`` batches), a tuple of ints."""
    spec = ds.element_spec
    spec = spec[0] if isinstance(spec, tuple) else spec
    return tuple(int(d) for d in spec.shape[1:])


def steps_per_epoch(ds):
    """Batches in one pass over ``ds``, or ``None`` if ``tf.data`` cannot tell."""
    import tensorflow as tf

    count = int(ds.cardinality())
    return None if count in (int(tf.data.INFINITE_CARDINALITY),
                             int(tf.data.UNKNOWN_CARDINALITY)) else count
