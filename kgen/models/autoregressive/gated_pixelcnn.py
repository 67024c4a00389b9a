"""Gated PixelCNN: vertical and horizontal stacks, gates, class conditioning (van den Oord 2016)."""

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.layers import GatedPixelCNNBlock, MaskedConv2D
from kgen.models.autoregressive.base import AutoregressiveModel, image_channel_order
from kgen.models.autoregressive.pixelcnn import PixelCNN
from kgen.models.registry import register


@register("gated_pixelcnn")
class GatedPixelCNN(AutoregressiveModel):
    """Gated PixelCNN over binary or 8-bit images, optionally conditioned on a class label.

    van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
    Decoders", https://arxiv.org/abs/1606.05328. ``num_layers`` gated layers
    (``kgen.layers.GatedPixelCNNBlock``): the first with a
    ``first_kernel_size`` kernel and mask "A", the rest ``kernel_size`` and
    mask "B" with a residual connection in the horizontal stack. Each has a
    vertical stack (rows above, the full width of the kernel, moved down one
    row before it reaches the horizontal stack) and a horizontal stack (the
    row to the left), so a pixel's receptive field has no blind spot
    (sec. 2.2), and the gated activation ``tanh(W_f * x) . sigmoid(W_g * x)``
    (eq. 2). Two ReLU 1x1 mask-"B" convolutions on the horizontal stack give
    every pixel's conditional parameters in one pass:

    - ``likelihood="bernoulli"``: one logit per sub-pixel, binary data;
    - ``likelihood="categorical"``: a ``num_bins``-way softmax per sub-pixel
      over levels ``0..num_bins - 1`` (the network sees ``2 x / (num_bins -
      1) - 1``).

    With ``num_classes``, the model is p(x | label) (eq. 4): the label, one-hot
    (``embedding_dim=None``) or through a learned ``embedding_dim``-wide
    embedding, adds ``V^T y`` to every gate of both stacks. ``fit`` then takes
    ``(images, labels)`` batches, and ``log_prob`` / ``conditionals`` /
    ``sample`` take ``labels``. Colours are generated in ``channel_order`` as
    in ``PixelCNN``.

    ``sample`` is the naive exact sampler (one pass per sub-pixel);
    ``kgen.models.autoregressive.CachedSampler(model)`` draws the same pixels
    from the same seed, computing each activation once.

    Args:
        event_shape: ``(height, width, channels)``; default ``(28, 28, 1)``.
        likelihood: ``"bernoulli"`` or ``"categorical"``.
        num_bins: levels of the categorical likelihood; default 256.
        filters: int p >= 1, the gated units of each stack.
        num_layers: int >= 1, gated layers (the first is mask "A").
        first_kernel_size: odd int, the first layer's kernel; default 7.
        kernel_size: odd int, the other layers' kernel; default 3.
        num_classes: optional int >= 2: condition on labels ``0..num_classes - 1``.
        embedding_dim: optional int >= 1, a learned label embedding instead of
            the one-hot label (needs ``num_classes``).
        channel_order: optional permutation of ``range(channels)``.
        seed: optional int >= 0 seeding every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        inputs: ``x`` ``[batch, height, width, channels]``, or ``(x, labels)``
            with ``labels`` ``[batch]`` ints for a conditional model.

    Returns (call):
        ``log_prob(x | labels)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: on a bad argument (an even kernel size, a bad
            ``event_shape`` or ``channel_order``, ``embedding_dim`` without
            ``num_classes``); naming ``x`` on data of the wrong shape or
            outside the support; naming ``labels`` when a conditional model
            gets none, an unconditional one gets some, or a label is outside
            ``0..num_classes - 1``.

    Example:

    >>> model = kgen.models.autoregressive.GatedPixelCNN(num_classes=10, filters=32)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(images, labels, batch_size=100)   # binary images, int labels
    >>> model.log_prob(x, labels=y)                   # [batch], nats
    >>> model.sample(10, seed=0, labels=np.arange(10))  # one of each class
    """

    likelihood_names = ("bernoulli", "categorical")
    network_inputs = PixelCNN.network_inputs
    generation_order = PixelCNN.generation_order

    def __init__(self, event_shape=(28, 28, 1), likelihood="bernoulli", num_bins=256,
                 filters=32, num_layers=5, first_kernel_size=7, kernel_size=3,
                 num_classes=None, embedding_dim=None, channel_order=None, seed=None,
                 **kwargs):
        super().__init__(event_shape=event_shape, likelihood=likelihood, num_bins=num_bins,
                         seed=seed, **kwargs)
        self.channel_order = image_channel_order(self.event_shape, channel_order)
        self.num_colours = channels = self.event_shape[-1]
        self.filters = checks.positive_int("filters", filters)
        self.num_layers = checks.positive_int("num_layers", num_layers)
        self.first_kernel_size, self.kernel_size = first_kernel_size, kernel_size
        self.num_classes = (None if num_classes is None
                            else checks.positive_int("num_classes", num_classes, minimum=2))
        if embedding_dim is not None and num_classes is None:
            raise ValueError(f"`embedding_dim` embeds labels: give num_classes too. "
                             f"Received: embedding_dim={embedding_dim}, num_classes=None")
        self.embedding_dim = (None if embedding_dim is None
                              else checks.positive_int("embedding_dim", embedding_dim))
        self.params_per_channel = 1 if likelihood == "bernoulli" else self.num_bins
        condition_dim = self.embedding_dim or self.num_classes
        if self.embedding_dim is not None:
            self.embedding = self.add_weight(name="label_embedding",
                                             shape=(self.num_classes, self.embedding_dim),
                                             initializer="random_normal")
        self.blocks = [GatedPixelCNNBlock(filters, first_kernel_size if i == 0 else kernel_size,
                                          "A" if i == 0 else "B", num_colours=channels,
                                          condition_dim=condition_dim,
                                          vertical_output=i < self.num_layers - 1,
                                          name=f"gated_{i}")
                       for i in range(self.num_layers)]
        self.output_convs = [
            MaskedConv2D(2 * filters, 1, "B", num_colours=channels, name="output_hidden"),
            MaskedConv2D(channels * self.params_per_channel, 1, "B", num_colours=channels,
                         name="output")]
        self.build_from_event_shape()

    @property
    def conditional(self):
        """Whether the model is p(x | label)."""
        return self.num_classes is not None

    def build_from_event_shape(self):
        x = tf.zeros((1,) + self.event_shape)
        self((x, tf.zeros((1,), tf.int32)) if self.conditional else x)

    # --- the network -------------------------------------------------------------
    def condition_vector(self, labels):
        """The condition y of ``labels`` ``[batch]``: one-hot ``[batch, num_classes]`` or
        the embedding ``[batch, embedding_dim]``; ``None`` for an unconditional model."""
        if not self.conditional:
            return None
        labels = tf.cast(labels, tf.int32)
        if self.embedding_dim is None:
            return tf.one_hot(labels, self.num_classes)
        return tf.gather(self.embedding, labels)

    def conditionals(self, x, training=None, labels=None):
        """Parameters ``[batch, H, W, C]`` (logits) or ``[batch, H, W, C, num_bins]`` of
        p(x_d | x_<d, labels)."""
        self.require_labels(labels)
        y = self.condition_vector(labels)
        v = h = self.network_inputs(tf.cast(x, tf.float32))
        for block in self.blocks:
            out = block([v, h] if y is None else [v, h, y])
            v, h = out if block.vertical_output else (None, out)
        for layer in self.output_convs:
            h = layer(tf.nn.relu(h))
        return self.params_from_features(h)

    def params_from_features(self, features):
        """The last layer's features as the likelihood's parameters (``params_from_features``)."""
        return params_from_features(self, features)

    # --- likelihood, training, sampling ---------------------------------------------
    def call(self, inputs, training=None):
        x, labels = inputs if self.conditional else (inputs, None)
        return self._log_prob(tf.cast(x, tf.float32), training=training, labels=labels)

    def _log_prob(self, x, training=None, labels=None):
        return self.likelihood(self.conditionals(x, training=training,
                                                 labels=labels)).log_prob(x)

    def log_prob(self, x, labels=None):
        """The exact log-likelihood log p(x | labels), ``[batch]`` in nats.

        Raises:
            ValueError / TypeError: naming ``x`` or ``labels`` (see the class).
        """
        x = self.checked_inputs(x)
        return self._log_prob(x, labels=self.checked_labels(labels, int(x.shape[0])))

    def compute_terms(self, batch, training=None):
        """``loss`` = -log p(x | labels) and ``log_prob``, each ``[batch]``, nats; ``batch``
        is ``x`` or, for a conditional model, ``(x, labels)``."""
        x, labels = batch if self.conditional else (batch, None)
        log_prob = self._log_prob(x, training=training, labels=labels)
        return {"loss": -log_prob, "log_prob": log_prob}

    def unpack_batch(self, data):
        if not self.conditional:
            return super().unpack_batch(data)
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("`labels` are missing: a conditional model fits (images, labels) "
                             "batches. Received: batches of images alone")
        return tf.cast(data[0], tf.float32), tf.cast(data[1], tf.int32)

    def fit(self, x=None, y=None, *args, **kwargs):
        if self.conditional:
            self.checked_labels(_first_labels(x, y), None)
        return super().fit(x, y, *args, **kwargs)

    def sample(self, num_samples, seed=None, labels=None):
        """Exact ancestral sampling, one network pass per sub-pixel.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0 for a reproducible draw.
            labels: for a conditional model, one int label or ``[num_samples]`` ints.

        Returns:
            ``[num_samples, *event_shape]`` float32 values in the support.

        Raises:
            ValueError / TypeError: on bad ``num_samples``, ``seed`` or ``labels``.
        """
        num_samples = checks.positive_int("num_samples", num_samples)
        seed = checks.seed("seed", seed)
        labels = self.checked_labels(labels, num_samples, broadcast=True)
        seed = None if seed is None else tf.constant(seed, tf.int64)
        return self._sample_graph(tf.constant(num_samples, tf.int32), seed, labels)

    @tf.function(reduce_retracing=True)
    def _sample_graph(self, num_samples, seed, labels):
        return self._sample(num_samples, seed, labels)

    def _sample(self, num_samples, seed=None, labels=None):
        return self.ancestral_sample(lambda x: self.conditionals(x, labels=labels),
                                     self.sampling_noise(num_samples, seed),
                                     tf.constant(self.generation_order(), tf.int32))

    # --- labels ----------------------------------------------------------------
    def require_labels(self, labels):
        if self.conditional and labels is None:
            raise ValueError(f"`labels` are required: the model is conditional "
                             f"(num_classes={self.num_classes}). Received: labels=None")
        if not self.conditional and labels is not None:
            raise ValueError("`labels` must be None: the model is unconditional "
                             "(num_classes=None). Received: labels")

    def checked_labels(self, labels, batch_size, broadcast=False):
        """``labels`` as int32 ``[batch_size]`` after checking them (``None`` for an
        unconditional model); a scalar label is repeated if ``broadcast``."""
        self.require_labels(labels)
        if labels is None or not tf.executing_eagerly():
            return None if labels is None else tf.cast(labels, tf.int32)
        arr = np.asarray(labels)
        if broadcast and arr.ndim == 0:
            arr = np.full((batch_size,), arr)
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)) \
                or arr.ndim != 1 or (batch_size is not None and len(arr) != batch_size):
            raise ValueError(f"`labels` must be [{batch_size or 'batch'}] class ids. "
                             f"Received: labels of shape {arr.shape} and dtype {arr.dtype}")
        bad = arr[(arr != np.round(arr)) | (arr < 0) | (arr >= self.num_classes)]
        if bad.size:
            raise ValueError(f"`labels` must be whole numbers in [0, {self.num_classes - 1}]. "
                             f"Received: labels with {bad.size} values such as {bad.flat[0]}")
        return tf.constant(arr.astype(np.int32))

    # --- serving and config ------------------------------------------------------
    def serving_signatures(self):
        if not self.conditional:
            return super().serving_signatures()
        x_spec = tf.TensorSpec((None,) + self.event_shape, tf.float32, name="x")
        y_spec = tf.TensorSpec((None,), tf.int32, name="labels")

        def log_prob(x, labels):
            return {"log_prob": self._log_prob(x, labels=labels)}

        def sample(labels):
            return {"x": self._sample(tf.shape(labels)[0], labels=labels)}

        return {"serving_default": tf.function(log_prob, input_signature=[x_spec, y_spec]),
                "log_prob": tf.function(log_prob, input_signature=[x_spec, y_spec]),
                "sample": tf.function(sample, input_signature=[y_spec])}

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "num_layers": self.num_layers,
                "first_kernel_size": self.first_kernel_size, "kernel_size": self.kernel_size,
                "num_classes": self.num_classes, "embedding_dim": self.embedding_dim,
                "channel_order": list(self.channel_order)}


def params_from_features(model, features):
    """A PixelCNN's (or Gated PixelCNN's) last features ``[..., C * params]``, colours in
    generation order, as the likelihood's parameters ``[..., C]`` (one logit) or ``[..., C,
    num_bins]``, colours in data order."""
    shape = tf.concat([tf.shape(features)[:-1],
                       [model.num_colours, model.params_per_channel]], 0)
    params = tf.gather(tf.reshape(features, shape), np.argsort(model.channel_order), axis=-2)
    return params[..., 0] if model.params_per_channel == 1 else params


def _first_labels(x, y):
    """The labels of ``fit``'s first batch: ``y``, or the second item of a dataset's batch."""
    if y is not None:
        return y
    if isinstance(x, tf.data.Dataset):
        for batch in x.take(1):
            if isinstance(batch, (tuple, list)) and len(batch) > 1:
                return batch[1].numpy()
    return None


__all__ = ["GatedPixelCNN", "params_from_features"]
