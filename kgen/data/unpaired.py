"""Unpaired two-domain data for translation models (CycleGAN): the 8x8 UCI digits
upsampled to 28x28, MNIST, and batches of (x, y) from two independently shuffled sets.

The measured CycleGAN task of kgen is scikit-learn's 1,797 8x8 UCI digits (Alpaydin &
Kaynak 1998; ``kgen.data.digits``) <-> MNIST digits (LeCun et al.; only the 10,000
test images are available offline, ``kgen.data.mnist``), trained without pairs.
"""

import numpy as np

from kgen import checks
from kgen.data import digits, mnist

SIZE = 28


def upsampled_digits(split="all", size=SIZE):
    """The UCI 8x8 digits, bilinearly upsampled to ``size`` x ``size``.

    Each 8x8 image (counts 0..16 divided by 16) is resized with
    ``tf.image.resize(..., "bilinear", antialias=False)`` and clipped to [0, 1]. The
    digits fill the frame, while an MNIST digit sits in a 20x20 box centred in its
    28x28 frame: the two domains differ in stroke, blur and framing, which is what a
    translation between them has to learn.

    Args:
        split: ``"train"`` (1,500), ``"test"`` (297) or ``"all"`` (1,797, in
            scikit-learn's order).
        size: int >= 8, the side of the output images.

    Returns:
        ``(images, labels)``: float32 ``[n, size, size, 1]`` in [0, 1] and int64 ``[n]``.

    Raises:
        ValueError: naming ``split`` or ``size``.
    """
    checks.one_of("split", split, ("train", "test", "all"))
    size = checks.positive_int("size", size, minimum=8)
    import tensorflow as tf

    parts = digits.SPLITS if split == "all" else (split,)
    arrays = [digits.load_arrays(s) for s in parts]
    x = np.concatenate([a[0] for a in arrays])
    y = np.concatenate([a[1] for a in arrays])
    x = tf.image.resize(x, (size, size), method="bilinear").numpy()
    return np.clip(x, 0.0, 1.0).astype(np.float32), y


def mnist_digits(manual_dir=None):
    """The 10,000 MNIST test images and labels, float32 in [0, 1] and int64
    (``kgen.data.mnist.load_arrays``)."""
    return mnist.load_arrays(manual_dir)


def unpaired_dataset(x, y, batch_size, seed=None, steps_per_epoch=None, scale=True):
    """Unpaired ``(x_batch, y_batch)`` batches of two domains, each shuffled on its own.

    Each domain is shuffled with its own seed and repeated, the two streams are zipped
    and batched, so a batch pairs images by nothing but chance; every epoch draws fresh
    orders. An epoch is ``steps_per_epoch`` batches, by default as many as the larger
    domain fills.

    Args:
        x: ``[n_x, *shape_x]`` array of domain X.
        y: ``[n_y, *shape_y]`` array of domain Y.
        batch_size: int >= 1, images of each domain per batch.
        seed: optional int >= 0 fixing both orders (X's seed and Y's seed + 1).
        steps_per_epoch: optional int >= 1.
        scale: bool, map [0, 1] images to [-1, 1] (a tanh generator's range).

    Returns:
        A finite ``tf.data.Dataset`` of ``(x_batch, y_batch)``, float32.

    Raises:
        ValueError / TypeError: naming ``batch_size``, ``seed``, ``steps_per_epoch``,
            ``x`` or ``y``.

    Example:

    >>> x, _ = upsampled_digits()
    >>> y, _ = mnist_digits()
    >>> ds = unpaired_dataset(x, y, batch_size=16, seed=0)
    """
    import tensorflow as tf

    batch_size = checks.positive_int("batch_size", batch_size)
    seed = checks.seed("seed", seed)
    arrays = {}
    for name, value in (("x", x), ("y", y)):
        value = np.asarray(value, np.float32)
        if value.ndim < 2 or len(value) < 1 or not np.isfinite(value).all():
            raise ValueError(f"`{name}` must be a non-empty, finite batch of examples. "
                             f"Received: {name} of shape {value.shape}")
        arrays[name] = value * 2.0 - 1.0 if scale else value
    longest = max(len(arrays["x"]), len(arrays["y"]))
    steps = (max(1, longest // batch_size) if steps_per_epoch is None
             else checks.positive_int("steps_per_epoch", steps_per_epoch))
    streams = []
    for offset, name in enumerate(("x", "y")):
        ds = tf.data.Dataset.from_tensor_slices(arrays[name])
        ds = ds.shuffle(len(arrays[name]), seed=None if seed is None else seed + offset,
                        reshuffle_each_iteration=True).repeat()
        streams.append(ds)
    ds = tf.data.Dataset.zip(tuple(streams)).batch(batch_size, drop_remainder=True)
    return ds.take(steps).prefetch(tf.data.AUTOTUNE)


__all__ = ["mnist_digits", "unpaired_dataset", "upsampled_digits"]
