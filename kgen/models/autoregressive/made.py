"""MADE as a density model: order-agnostic training and mask ensembles (Germain et al. 2015)."""

import math

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.layers import MADE as MADELayer
from kgen.layers.made import made_degrees
from kgen.models.autoregressive.base import AutoregressiveModel
from kgen.models.base import sub_seed
from kgen.models.registry import register


@register("made")
class MADE(AutoregressiveModel):
    """Masked autoencoder for distribution estimation over binary data.

    The network is kgen's masked-dense ``kgen.layers.MADE`` (one logit per
    pixel), whose masks come from integer degrees: input ``j`` has degree
    ``rank(j) + 1`` in the ordering, a hidden unit of degree ``m`` sees the
    units below of degree ``<= m``, an output of degree ``d`` sees hidden
    units of degree ``< d`` (Germain et al. 2015, arXiv:1502.03509, eq. 7-13).

    The model holds ``num_masks`` degree sets (orderings and connectivities):

    - mask 0 is the layer's own (raster order, hidden degrees cycling through
      ``1, ..., D - 1``), so with ``num_masks=1`` the model is the layer;
    - masks ``1, ..., K - 1`` are drawn once from ``mask_seed``: a random
      input order (if ``order_agnostic``; else raster order) and hidden
      degrees uniform in ``[min degree of the layer below, D - 1]`` (sec.
      4.2), so every hidden unit has an input, and one unit of each layer
      with the largest degree of the layer below, so every unit has an
      output too. (Mask 0 is the layer's: a narrower layer after a wider one
      leaves the units below whose degree exceeds its largest unconnected.)

    Masks are applied functionally (``kernel * mask`` from the degrees in
    each call), on the layer's kernels: one set of weights for every mask.
    With ``direct_connections``, a masked ``[D, D]`` input-to-output matrix
    is added to the output (sec. 4.3). Training (connectivity- and
    order-agnostic, sec. 4.2) draws one mask per step uniformly from the K
    masks. The test-time ensemble averages *probabilities* (sec. 4.2):

        log p(x) = log (1/K) sum_k p_k(x) = logsumexp_k log p_k(x) - log K,

    a mixture of normalized autoregressive models, hence normalized;
    averaging the masks' logits instead gives no distribution at all.
    ``log_prob`` and ``test_step`` (validation) use the ensemble of all K
    masks; ``sample`` draws a mask uniformly per sample, then its order.

    Paper (Germain et al. 2015, Table 6, statically binarized MNIST): one
    hidden layer of 500 ReLUs with a 32-mask ensemble 88.04 nats, two
    hidden layers 86.64.

    Args:
        event_shape: shape of one example; default ``(28, 28, 1)``.
        hidden_units: tuple of ints >= 1, the hidden layers; default ``(500,)``.
        activation: hidden activation; default ``"relu"``.
        num_masks: int K >= 1 of the degree sets; default 1.
        order_agnostic: bool; if True (default), masks ``k >= 1`` also draw
            the input order.
        direct_connections: bool; add the masked input-to-output matrix.
        mask_seed: int >= 0 drawing masks ``1..K-1`` (part of the config, so
            a loaded model has the same masks).
        seed: optional int >= 0 seeding every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        the ensemble ``log_prob(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: on a bad argument; naming ``x`` from
            ``log_prob`` / ``fit`` on data of the wrong shape or not binary,
            ``mask_index`` out of range.

    Example:

    >>> model = kgen.models.autoregressive.MADE(hidden_units=(500,), num_masks=32)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=100))
    >>> model.log_prob(x)                # [batch], nats: the 32-mask ensemble
    >>> model.mask_log_prob(x, 0)        # one ordering's exact log p(x)
    """

    def __init__(self, event_shape=(28, 28, 1), hidden_units=(500,), activation="relu",
                 num_masks=1, order_agnostic=True, direct_connections=False, mask_seed=0,
                 seed=None, **kwargs):
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        self.made = MADELayer(self.num_dims, hidden_units=hidden_units, params=1,
                              activation=activation, name="made")
        self.hidden_units = self.made.hidden_units
        self.activation = activation
        self.num_masks = checks.positive_int("num_masks", num_masks)
        for name, value in (("order_agnostic", order_agnostic),
                            ("direct_connections", direct_connections)):
            if not isinstance(value, bool):
                raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
        self.order_agnostic = order_agnostic
        self.direct_connections = direct_connections
        self.mask_seed = checks.seed("mask_seed", mask_seed)
        if self.mask_seed is None:
            raise ValueError("`mask_seed` must be an integer >= 0. Received: mask_seed=None")
        self.degrees = self._draw_degrees()
        self.build((None,) + self.event_shape)

    def _draw_degrees(self):
        """``[K, units]`` int32 degrees of the inputs and of each hidden layer."""
        sets = [made_degrees(self.num_dims, self.hidden_units)]
        d = self.num_dims
        for k in range(1, self.num_masks):
            rng = np.random.default_rng([self.mask_seed, k])
            rank = rng.permutation(d) if self.order_agnostic else np.arange(d)
            degrees = [rank + 1]
            for units in self.hidden_units:
                below = degrees[-1]
                low = min(int(below.min()), d - 1)
                layer = rng.integers(low, max(d - 1, low) + 1, size=units)
                # One unit takes the largest degree below: every unit below has an output.
                layer[rng.integers(units)] = min(int(below.max()), max(d - 1, low))
                degrees.append(layer)
            sets.append(degrees)
        return [np.stack([s[i] for s in sets]).astype(np.int32) for i in range(len(sets[0]))]

    def build(self, input_shape):
        if self.built:
            return
        self.made.build((None, self.num_dims))
        self.direct_kernel = (self.add_weight(shape=(self.num_dims, self.num_dims),
                                              initializer="zeros", name="direct_kernel")
                              if self.direct_connections else None)
        self.built = True

    # --- the network under one mask (scalar index) or one per example ([n]) --------
    def masks(self, mask_index):
        """The binary masks ``[..., in, out]`` of each hidden layer, the output
        layer and (if any) the direct connections, for ``mask_index``."""
        degrees = [tf.gather(tf.constant(d), mask_index) for d in self.degrees]
        masks = [_mask(below, above) for below, above in zip(degrees[:-1], degrees[1:])]
        masks.append(_mask(degrees[-1], degrees[0], strict=True))
        if self.direct_connections:
            masks.append(_mask(degrees[0], degrees[0], strict=True))
        return masks

    def conditionals(self, x, training=None, mask_index=0):
        """Logits ``[batch, *event_shape]`` under mask ``mask_index`` (an int,
        or ``[batch]`` ints: one mask per example)."""
        flat = tf.reshape(x, (-1, self.num_dims))
        masks = self.masks(mask_index)
        h = flat
        for layer, mask in zip(self.made.hidden_layers, masks):
            h = self.made.activation(_masked_matmul(h, layer.kernel, mask) + layer.bias)
        output = self.made.output_layer
        logits = _masked_matmul(h, output.kernel, masks[len(self.hidden_units)]) + output.bias
        if self.direct_connections:
            logits += _masked_matmul(flat, self.direct_kernel, masks[-1])
        return tf.reshape(logits, tf.concat([[-1], self.event_shape], 0))

    def generation_order(self, mask_index=0):
        """Mask ``mask_index``'s ordering: the flattened dimensions first to last."""
        return np.argsort(self.degrees[0][self._checked_index(mask_index)], kind="stable")

    # --- likelihoods ---------------------------------------------------------------
    def mask_log_prob(self, x, mask_index):
        """The exact log p_k(x) of one ordering, ``[batch]`` in nats."""
        return self._mask_log_prob(self.checked_inputs(x), self._checked_index(mask_index))

    def _mask_log_prob(self, x, mask_index, training=None):
        return self.likelihood(self.conditionals(x, mask_index=mask_index)).log_prob(x)

    def _log_prob(self, x, training=None):
        per_mask = tf.stack([self._mask_log_prob(x, k) for k in range(self.num_masks)], -1)
        return tf.reduce_logsumexp(per_mask, axis=-1) - math.log(self.num_masks)

    def _random_mask(self, shape, seed=None):
        u = self.uniform(shape, seed=seed)
        return tf.minimum(tf.cast(u * self.num_masks, tf.int32), self.num_masks - 1)

    def compute_terms(self, x, training=None):
        """Training: ``loss`` = -log p_k(x) for one mask k drawn per step;
        otherwise the ensemble's -log p(x). Each ``[batch]``, nats."""
        if training and self.num_masks > 1:
            log_prob = self._mask_log_prob(x, self._random_mask(()), training=training)
        else:
            log_prob = self._log_prob(x)
        return {"loss": -log_prob, "log_prob": log_prob}

    # --- sampling ------------------------------------------------------------------
    def sample(self, num_samples, seed=None, mask_index=None):
        """Exact ancestral samples of the ensemble, or of mask ``mask_index``.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0.
            mask_index: optional int in ``[0, num_masks)``; ``None`` draws
                a mask uniformly per sample (the ensemble's mixture).

        Returns:
            ``[num_samples, *event_shape]`` binary float32.

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``seed`` or
                ``mask_index``.
        """
        num_samples = checks.positive_int("num_samples", num_samples)
        seed = checks.seed("seed", seed)
        if mask_index is None:
            return self._sample_graph(tf.constant(num_samples, tf.int32),
                                      None if seed is None else tf.constant(seed, tf.int64))
        k = self._checked_index(mask_index)
        noise = self.uniform((num_samples,) + self.event_shape, seed=sub_seed(seed, 0))
        return self.ancestral_sample(lambda x: self.conditionals(x, mask_index=k), noise,
                                     tf.constant(self.generation_order(k), tf.int32))

    def _sample(self, num_samples, seed=None):
        noise = self.uniform(tf.concat([[num_samples], self.event_shape], 0),
                             seed=sub_seed(seed, 0))
        if self.num_masks == 1:
            k, order = 0, tf.constant(self.generation_order(0), tf.int32)
        else:
            k = self._random_mask([num_samples], seed=sub_seed(seed, 1))
            order = tf.argsort(tf.gather(tf.constant(self.degrees[0]), k), axis=-1,
                               stable=True)
        return self.ancestral_sample(lambda x: self.conditionals(x, mask_index=k), noise,
                                     order)

    def _checked_index(self, mask_index):
        if isinstance(mask_index, bool) or not isinstance(mask_index, (int, np.integer)) \
                or not 0 <= mask_index < self.num_masks:
            raise ValueError(f"`mask_index` must be an int in [0, {self.num_masks}). "
                             f"Received: mask_index={mask_index!r}")
        return int(mask_index)

    def get_config(self):
        return {**super().get_config(), "hidden_units": list(self.hidden_units),
                "activation": self.activation, "num_masks": self.num_masks,
                "order_agnostic": self.order_agnostic,
                "direct_connections": self.direct_connections, "mask_seed": self.mask_seed}


def _mask(below, above, strict=False):
    """``mask[..., j, k] = 1`` iff unit k (degree ``above``) may see unit j (``below``)."""
    below, above = below[..., :, None], above[..., None, :]
    return tf.cast(above > below if strict else above >= below, tf.float32)


def _masked_matmul(h, kernel, mask):
    """``h @ (kernel * mask)``, with one mask ``[in, out]`` or one per example."""
    if mask.shape.rank == 2:
        return tf.matmul(h, kernel * mask)
    return tf.einsum("bi,bio->bo", h, kernel * mask)


__all__ = ["MADE"]
