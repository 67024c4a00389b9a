"""Likelihood metrics: test NLL (exact from ``log_prob`` or importance-sampled) and bits/dim."""

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


def likelihood_method(model):
    """How ``model`` reports a likelihood: ``"log_prob"`` (exact), ``"iwae_bound"``
    (a k-sample lower bound), or ``None`` (an implicit model: sample metrics only).

    A model whose ``log_prob`` needs something it does not have yet (an RBM
    without a stored log Z) says so with ``has_log_prob = False``."""
    if callable(getattr(model, "log_prob", None)) and getattr(model, "has_log_prob", True):
        return "log_prob"
    if callable(getattr(model, "iwae_bound", None)):
        return "iwae_bound"
    return None


def nll(model, dataset, num_samples=5000, seed=0, verbose=1):
    """Test negative log-likelihood of a model, exact or importance-sampled.

    - A model with ``log_prob(x)`` (flows, autoregressive models, mixtures,
      tiny RBMs) gives the exact ``-log p(x)``; ``num_samples`` is unused. An
      RBM's ``log_prob`` uses its stored log Z, exact or estimated (AIS).
    - A latent-variable model with ``iwae_bound(x, num_samples, seed)`` (VAE,
      IWAE) gives ``-L_k(x)``, the k-sample bound (Burda et al. 2016,
      arXiv:1509.00519, eq. 8; k = 5000 in their sec. 5.2). ``L_k`` is a lower
      bound on log p(x) for every k, so the reported NLL is an upper bound
      that tightens as k grows.

    Args:
        model: a model with ``log_prob`` or ``iwae_bound``.
        dataset: a batched ``tf.data.Dataset`` of images (or ``(images, y)``),
            or a NumPy array ``[n, *event_shape]`` (batched by 100).
        num_samples: int k >= 1, importance samples per example (bounds only).
        seed: int >= 0; batch i draws with ``stateless_fold_in([seed, 0], i)``,
            so the estimate is reproducible.
        verbose: 1 shows a ``keras.utils.Progbar``, 0 is silent.

    Returns:
        dict with ``nll`` (nats per example, mean), ``nll_std_error`` (standard
        error of that mean over examples), ``bits_per_dim`` (meaningful for
        discrete data only), ``method`` (``"log_prob"`` or ``"iwae_bound"``),
        ``exact`` (bool), ``num_examples``, ``num_samples`` (``None`` when
        exact), ``seconds``; for an RBM, ``exact`` is False unless its stored
        log Z is exact, and ``log_partition`` holds that record (value, method).

    Raises:
        ValueError: naming ``model`` if it has neither ``log_prob`` nor
            ``iwae_bound`` (an implicit model such as a GAN: use sample
            metrics), or naming ``num_samples``/``seed``/``verbose``/``dataset``
            on bad values or a first batch that fails ``model.validate_inputs``.

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
    method = likelihood_method(model)
    if method is None and callable(getattr(model, "log_prob", None)):
        raise ValueError(f"`model` cannot compute log_prob yet: "
                         f"{getattr(model, 'log_prob_unavailable_reason', None)}. "
                         f"Received: {type(model).__name__} with has_log_prob=False")
    if method is None:
        raise ValueError(
            f"`model` must offer log_prob(x) (an exact likelihood) or iwae_bound(x, "
            f"num_samples) (a latent-variable bound) for an NLL. Received: "
            f"{type(model).__name__}, which has neither: an implicit model is judged by "
            f"sample metrics instead")
    if not isinstance(dataset, tf.data.Dataset):
        dataset = tf.data.Dataset.from_tensor_slices(
            model.validate_inputs(dataset, name="dataset")).batch(100)
    dataset = dataset.map(lambda *d: tf.cast(d[0], tf.float32))
    for first in dataset.take(1):
        model.validate_inputs(first.numpy(), name="dataset")

    if method == "log_prob":
        @tf.function  # traced once per batch size (full and last batch)
        def log_likelihood(x, batch_seed):
            del batch_seed  # exact: no sampling
            return model.log_prob(x)
    else:
        @tf.function
        def log_likelihood(x, batch_seed):
            return model.iwae_bound(x, num_samples, seed=batch_seed)

    cardinality = int(dataset.cardinality())
    progbar = keras.utils.Progbar(cardinality if cardinality > 0 else None,
                                  verbose=verbose, unit_name="batch")
    start, values = time.time(), []
    for i, x in enumerate(dataset):
        # A tensor seed: a Python int would retrace the function for every batch.
        batch_seed = tf.random.experimental.stateless_fold_in(
            tf.constant([seed, 0], tf.int64), i)
        values.append(log_likelihood(x, batch_seed).numpy())
        progbar.update(i + 1, [("nll", -float(np.mean(values[-1])))])
    values = -np.concatenate(values)
    mean = float(values.mean())
    # An energy-based model's log_prob is exact only with an exact log Z.
    exact = method == "log_prob" and bool(getattr(model, "log_prob_is_exact", True))
    extra = {}
    if getattr(model, "log_partition", None) is not None:
        extra["log_partition"] = model.log_partition  # how log Z was found
    return {
        "nll": mean,
        "nll_std_error": float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0,
        "bits_per_dim": bits_per_dim(mean, model.event_shape),
        "method": method,
        "exact": exact,
        "num_examples": int(len(values)),
        "num_samples": None if method == "log_prob" else num_samples,
        "seconds": time.time() - start,
        **extra,
    }
