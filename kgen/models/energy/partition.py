"""What energy-based models share: a stored log Z named by its method, base rates, data."""

import math
import numbers

import numpy as np
import tensorflow as tf

from kgen import checks

# Pixels whose conditionals the exact pseudo-log-likelihood takes together (memory:
# batch x chunk x num_hidden floats).
_PLL_CHUNK = 64
# log Z methods whose log_prob is exact; any other (e.g. "ais") is an estimate.
EXACT_METHODS = ("exact",)


def base_rate_logits(x, pseudo_count=1.0):
    """Logits of the smoothed pixel means of binary data: the base-rate model.

    p_i = (sum_n x_ni + pseudo_count) / (N + 2 * pseudo_count), returned as
    log p_i - log(1 - p_i), ``[D]`` float32. It starts an RBM's visible biases
    (Hinton's guide, 2010, sec. 8) and is the base distribution p_A of AIS
    (Salakhutdinov & Murray 2008): the pseudo-count keeps a pixel that is never
    on in the data at a finite logit (about -log(N) for pseudo_count=1).

    Args:
        x: ``[N, ...]`` binary array (flattened per example).
        pseudo_count: float >= 0 added to the ones and to the zeros of each pixel.

    Raises:
        ValueError: naming ``pseudo_count`` if < 0, or ``x`` if empty or, with
            ``pseudo_count == 0``, a pixel is constant (an infinite logit).
    """
    pseudo_count = checks.non_negative_float("pseudo_count", pseudo_count)
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    if x.shape[0] == 0:
        raise ValueError(f"`x` must hold at least one example. Received: x.shape={x.shape}")
    ones = x.sum(axis=0)
    if pseudo_count == 0 and np.any((ones == 0) | (ones == len(x))):
        raise ValueError("`pseudo_count` must be > 0 when a pixel is constant in `x` "
                         "(its logit would be infinite). Received: pseudo_count=0")
    p = (ones + pseudo_count) / (len(x) + 2.0 * pseudo_count)
    return (np.log(p) - np.log1p(-p)).astype(np.float32)


def first_examples(x, count=None):
    """The first ``count`` examples (all for None) of a ``tf.data.Dataset`` (of
    images or ``(images, ...)``), an array or a tensor, as a NumPy array."""
    if x is None:
        raise ValueError("`x` must be given. Received: x=None")
    if isinstance(x, tf.data.Dataset):
        batches, total = [], 0
        for batch in x:
            batch = batch[0] if isinstance(batch, (tuple, list)) else batch
            batches.append(np.asarray(batch))
            total += len(batches[-1])
            if count is not None and total >= count:
                break
        return np.concatenate(batches)[:count]
    if isinstance(x, (tuple, list)) and not isinstance(x, np.ndarray) and len(x) and \
            isinstance(x[0], (np.ndarray, tf.Tensor)) and np.ndim(x[0]) > 1:
        x = x[0]
    return np.asarray(x)[:count]


def sampling_args(num_steps, mean, temperature):
    """Checks the Gibbs sampling arguments; returns them as (int, bool, float)."""
    num_steps = checks.positive_int("num_steps", num_steps)
    if not isinstance(mean, bool):
        raise TypeError(f"`mean` must be True or False. Received: mean={mean!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"`temperature` must be a finite number > 0. "
                         f"Received: temperature={temperature!r}")
    return num_steps, mean, float(temperature)


def unconditional_count(model, num_samples, condition):
    """Checks ``model.sample``'s (absent) ``condition``, then ``num_samples``; returns it.

    Raises:
        TypeError: naming the conditions given. ValueError / TypeError: naming
            ``num_samples``.
    """
    if condition:
        raise TypeError(f"{type(model).__name__} is unconditional. "
                        f"Received conditions: {sorted(condition)}")
    return checks.positive_int("num_samples", num_samples)


def seed_tensor(seed):
    """Checks ``sample``'s ``seed``; returns it as an int64 tensor (one trace of the
    compiled sampler for every seed), or None.

    Raises:
        ValueError / TypeError: naming ``seed``.
    """
    seed = checks.seed("seed", seed)
    return None if seed is None else tf.constant(seed, tf.int64)


def pseudo_log_likelihood(v, kernel, visible_bias, logits, free):
    """sum_i log p(v_i | v_-i) of an RBM, ``[batch]`` nats, for flat binary ``v``.

    log p(v_i | v_-i) = -softplus(F(v) - F(v with bit i flipped)); a flip changes
    the hidden logits ``logits = v W + c`` by +-W_i, so all D flips cost
    O(batch * D * H). ``free`` is F(v).
    """
    sign = 1.0 - 2.0 * v  # +1 where a flip sets the bit, -1 where it clears it
    softplus_sum = tf.reduce_sum(tf.nn.softplus(logits), -1)
    total = tf.zeros_like(free)
    for start in range(0, v.shape[-1], _PLL_CHUNK):
        s = sign[:, start:start + _PLL_CHUNK]
        flipped = logits[:, None, :] + s[:, :, None] * kernel[start:start + _PLL_CHUNK]
        free_flipped = (free[:, None] + softplus_sum[:, None]
                        - s * visible_bias[start:start + _PLL_CHUNK]
                        - tf.reduce_sum(tf.nn.softplus(flipped), -1))
        total += -tf.reduce_sum(tf.nn.softplus(free[:, None] - free_flipped), -1)
    return total


class StoredLogPartition:
    """Mixin of models with an energy: an estimated log Z kept with the model,
    named with how it was estimated, which ``log_prob`` uses.

    The record is a dict ``{"log_z": float, "method": str, ...details}``
    (``log_partition``), written by ``get_config`` (so ``.keras`` files keep it)
    and dropped by ``fit`` (it belongs to the weights it was computed for).
    """

    @classmethod
    def check_evaluation(cls, settings):
        """Checks a preset's ``evaluate`` section for ``prepare_evaluation``: its
        ``log_partition`` mapping (``kgen.models.energy.evaluation``), filled
        with the defaults. ``kgen train`` calls it before anything is written.

        Raises:
            ValueError: naming ``evaluate.log_partition`` or one of its keys.
        """
        from kgen.models.energy import evaluation

        return evaluation.check_settings(settings)

    def prepare_evaluation(self, train_data, settings=None, seed=0):
        """Estimates and stores log Z as ``settings["log_partition"]`` says (forward
        AIS with the paper's schedule by default), so ``log_prob`` and the test NLL
        can be computed; ``kgen train`` and ``kgen evaluate`` call it.

        Args:
            train_data: training images (array or batched ``tf.data.Dataset``)
                for the AIS base rates, or None (a uniform base).
            settings: a preset's ``evaluate`` section, or None.
            seed: int >= 0 seeding the AIS runs.

        Returns:
            dict ``{"log_partition": {method: record}}`` of every estimate
            (log Z, standard error, schedule, runs, seconds), for ``metrics.json``.
        """
        from kgen.models.energy import evaluation

        return evaluation.estimate(self, train_data, settings, seed)

    def set_log_partition(self, value, method=None, **details):
        """Stores log Z (nats) for ``log_prob``, or clears it with ``None``.

        Args:
            value: float log Z; or a result dict of
                ``kgen.metrics.exact_log_partition`` / ``ais_log_partition`` (its
                ``log_z``, ``method`` and scalar details are taken); or None.
            method: str, how log Z was found: ``"exact"`` (enumeration), ``"ais"``,
                ``"reverse_ais"``, ...; required for a float ``value``.
            **details: numbers or strings kept with it (``num_betas``,
                ``num_runs``, ``log_z_std_error``, ...).

        Raises:
            ValueError / TypeError: naming ``value``, ``method`` or a detail.
        """
        if value is None:
            self._log_partition = None
            return
        if isinstance(value, dict):
            record = dict(value)
            details = {k: v for k, v in record.items()
                       if k not in ("log_z", "method") and _scalar(v)} | details
            method = record.get("method") if method is None else method
            value = record.get("log_z")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                not math.isfinite(value):
            raise ValueError(f"`value` must be a finite log Z in nats (or a result of "
                             f"kgen.metrics' log-partition functions). Received: value={value!r}")
        if not isinstance(method, str) or not method:
            raise ValueError(f"`method` must name how log Z was estimated ('exact', 'ais', "
                             f"...). Received: method={method!r}")
        for key, detail in details.items():
            if not _scalar(detail):
                raise TypeError(f"`{key}` must be a number or a string to be stored with "
                                f"log Z. Received: {key}={detail!r}")
        self._log_partition = {"log_z": float(value), "method": method,
                               **{k: _plain(v) for k, v in details.items()}}

    @property
    def log_partition(self):
        """The stored log Z record (a copy), or None."""
        record = getattr(self, "_log_partition", None)
        return None if record is None else dict(record)

    @property
    def has_log_prob(self):
        """True when a log Z is stored, so that ``log_prob`` can be computed."""
        return getattr(self, "_log_partition", None) is not None

    @property
    def log_prob_is_exact(self):
        """True when the stored log Z is exact (enumeration), False for estimates."""
        return self.has_log_prob and self._log_partition["method"] in EXACT_METHODS

    @property
    def log_prob_unavailable_reason(self):
        """Why ``log_prob`` cannot be computed now, or None."""
        if self.has_log_prob:
            return None
        return (f"{type(self).__name__}.log_prob needs log Z: estimate it with "
                f"kgen.metrics.exact_log_partition(model) (a layer of <= 20 units) or "
                f"kgen.metrics.ais_log_partition(model, ...) and store it with "
                f"model.set_log_partition(result)")

    def require_log_partition(self):
        """The stored log Z as a float.

        Raises:
            ValueError: naming ``log_partition`` if none is stored.
        """
        if not self.has_log_prob:
            raise ValueError(f"`log_partition` is not set: {self.log_prob_unavailable_reason}"
                             f". Received: log_partition=None")
        return self._log_partition["log_z"]


def _scalar(value):
    return isinstance(value, (str, bool, numbers.Number, np.number))


def _plain(value):
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)
