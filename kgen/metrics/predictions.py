"""Inception Score (IS) of a classifier's predictions on generated samples.

Salimans et al. 2016, "Improved Techniques for Training GANs", arXiv:1606.03498,
sec. 4::

    IS = exp( E_x KL( p(y | x) || p(y) ) ),    p(y) = E_x p(y | x)

It lies in [1, C] for C classes: 1 when every prediction equals the marginal
(e.g. a classifier that always answers uniformly), C when every prediction is
confident and the classes are balanced. Higher is better. The reference code
(openai/improved-gan) splits the N predictions into ``splits`` consecutive
parts (part i is rows ``i N // splits`` to ``(i + 1) N // splits``), scores each
with its own marginal, and reports the mean and the standard deviation
(``ddof=0``) of the parts' scores; so do we. KL is in nats (natural logarithm).
"""

import numpy as np
import scipy.special

from kgen import checks
from kgen.metrics import _arrays

SUM_TOLERANCE = 1e-3  # |sum_y p(y | x) - 1| allowed per row (float32 softmax rounding)


def inception_score(probabilities, splits=10):
    """Inception Score: ``exp(E_x KL(p(y|x) || p(y)))`` per split, mean and std.

    Args:
        probabilities: array ``[N, C]``, each row a classifier's predictive
            distribution ``p(y | x)`` on one generated sample (a softmax output,
            not logits). Rows must be non-negative and sum to 1 within
            ``SUM_TOLERANCE`` (1e-3); each is divided by its sum, in float64.
        splits: int >= 1, the number of consecutive parts scored separately
            (10 in Salimans et al. 2016, with N = 50,000); N >= ``splits``.

    Returns:
        ``(mean, std)``: floats, the mean and standard deviation (``ddof=0``)
        of the splits' scores; ``std`` is 0 when ``splits == 1``. Unitless, in
        [1, C].

    Raises:
        ValueError: naming ``probabilities`` if it is not 2-D, holds NaN/Inf or
            negative values, has a row not summing to 1, or has fewer rows than
            ``splits``; naming ``splits`` if it is < 1.
        TypeError: if ``splits`` is not an integer or ``probabilities`` not numeric.

    Example:

    >>> probs = keras.ops.softmax(classifier(generated_images)).numpy()
    >>> mean, std = kgen.metrics.inception_score(probs, splits=10)
    """
    splits = checks.positive_int("splits", splits)
    p = _arrays.numeric_array("probabilities", probabilities)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError("`probabilities` must be a 2-D array [num_samples, num_classes]. "
                         f"Received: probabilities.shape={p.shape}")
    p = _arrays.finite("probabilities", p.astype(np.float64))
    if np.any(p < 0):
        raise ValueError("`probabilities` must be non-negative (softmax outputs, not logits). "
                         f"Received: probabilities with {int(np.sum(p < 0))} negative values, "
                         f"the lowest {p.min():.3g}")
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0)
    if np.any(off > SUM_TOLERANCE):
        worst = int(np.argmax(off))
        raise ValueError(
            f"`probabilities` rows must each sum to 1 (within {SUM_TOLERANCE:g}): pass a "
            f"softmax output, not logits. Received: probabilities with "
            f"{int(np.sum(off > SUM_TOLERANCE))} rows off, e.g. row {worst} summing to "
            f"{sums[worst]:.6g}")
    num_samples = p.shape[0]
    if num_samples < splits:
        raise ValueError(f"`probabilities` must have at least `splits`={splits} rows, one per "
                         f"split. Received: probabilities.shape={p.shape}")
    p = p / sums[:, None]
    scores = np.empty(splits)
    for i in range(splits):
        part = p[i * num_samples // splits:(i + 1) * num_samples // splits]
        marginal = part.mean(axis=0, keepdims=True)
        # rel_entr(p, q) = p log(p / q), and 0 where p == 0 (0 log 0 = 0).
        kl = scipy.special.rel_entr(part, marginal).sum(axis=1)
        scores[i] = np.exp(kl.mean())
    return float(scores.mean()), float(scores.std())
