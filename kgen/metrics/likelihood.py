"""Likelihood metrics: importance-sampled test NLL and bits/dim."""

import math
import time

import keras
import numpy as np
import tensorflow as tf

from kgen import checks


def bits_per_dim(nats, event_shape):
    """Converts a negative log-likelihood in nats per example to bits/dim.

    ``bits/dim = nats / (D * ln 2)`` with ``D = prod(event_shape)``. For data
    that was dequantized and scaled, add the scaling's log-det first.

    Args:
        nats: float, negative log-likelihood in nats per example.
        event_shape: tuple of positive ints, the shape of one example.

    Returns:
        float, bits per dimension.

    Raises:
        ValueError / TypeError: on a non-numeric ``nats`` or a bad ``event_shape``.
    """
    dims = math.prod(checks.event_shape("event_shape", event_shape))
    try:
        nats = float(nats)
    except (TypeError, ValueError):
        raise TypeError(f"`nats` must be a number. Received: nats={nats!r}") from None
    return nats / (dims * math.log(2.0))


def nll(model, dataset, num_samples=5000, seed=0, verbose=1):
    """Importance-sampled negative log-likelihood of a latent-variable model.

    Estimates ``-log p(x)`` of each example by the k-sample bound
    ``-L_k(x)`` (Burda et al. 2016, arXiv:1509.00519, eq. 8; k = 5000 in
    their sec. 5.2) from ``model.iwae_bound(x, num_samples)`` and averages over
    the data set. ``L_k`` is a lower bound on log p(x) for every k, so the
    reported NLL is an upper bound that tightens as k grows.

    Args:
        model: a model with ``iwae_bound(x, num_samples, seed)`` (VAE, IWAE).
        dataset: a batched ``tf.data.Dataset`` of images (or ``(images, y)``),
            or a NumPy array ``[n, *event_shape]`` (batched by 100).
        num_samples: int k >= 1, importance samples per example.
        seed: int >= 0; batch i draws with ``stateless_fold_in([seed, 0], i)``,
            so the estimate is reproducible.
        verbose: 1 shows a ``keras.utils.Progbar``, 0 is silent.

    Returns:
        dict with ``nll`` (nats per example, mean), ``nll_std_error`` (standard
        error of that mean over examples), ``bits_per_dim`` (meaningful for
        discrete data only), ``num_examples``,
        ``num_samples``, ``seconds``.

    Raises:
        ValueError / TypeError: if ``num_samples`` < 1, the model has no
            ``iwae_bound``, or the first batch fails ``model.validate_inputs``.

    Example:

    >>> test = kgen.data.load("binarized_mnist", "test", batch_size=100)
    >>> kgen.metrics.nll(model, test, num_samples=5000)["nll"]   # nats
    """
    num_samples = checks.positive_int("num_samples", num_samples)
    if seed is None:
        raise ValueError("`seed` must be an integer >= 0 (the estimate is reproducible). "
                         "Received: seed=None")
    seed = checks.seed("seed", seed)
    if isinstance(verbose, bool) or verbose not in (0, 1):
        raise ValueError(f"`verbose` must be 0 or 1. Received: verbose={verbose!r}")
    if not hasattr(model, "iwae_bound"):
        raise TypeError(
            f"`model` must offer iwae_bound(x, num_samples). Received: {type(model).__name__}"
        )
    if not isinstance(dataset, tf.data.Dataset):
        dataset = tf.data.Dataset.from_tensor_slices(
            model.validate_inputs(dataset, name="dataset")).batch(100)
    dataset = dataset.map(lambda *d: tf.cast(d[0], tf.float32))
    for first in dataset.take(1):
        model.validate_inputs(first.numpy(), name="dataset")

    @tf.function  # traced once per batch size (full and last batch)
    def bound(x, batch_seed):
        return model.iwae_bound(x, num_samples, seed=batch_seed)

    cardinality = int(dataset.cardinality())
    progbar = keras.utils.Progbar(cardinality if cardinality > 0 else None,
                                  verbose=verbose, unit_name="batch")
    start, values = time.time(), []
    for i, x in enumerate(dataset):
        # A tensor seed: a Python int would retrace the function for every batch.
        batch_seed = tf.random.experimental.stateless_fold_in(
            tf.constant([seed, 0], tf.int64), i)
        values.append(bound(x, batch_seed).numpy())
        progbar.update(i + 1, [("nll", -float(np.mean(values[-1])))])
    values = -np.concatenate(values)
    mean = float(values.mean())
    return {
        "nll": mean,
        "nll_std_error": float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0,
        "bits_per_dim": bits_per_dim(mean, model.event_shape),
        "num_examples": int(len(values)),
        "num_samples": num_samples,
        "seconds": time.time() - start,
    }
