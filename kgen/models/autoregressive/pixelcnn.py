"""PixelCNN: masked convolutions "A" / "B" and residual blocks (van den Oord et al. 2016)."""

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.layers import MaskedConv2D
from kgen.models.autoregressive.base import AutoregressiveModel
from kgen.models.registry import register


@register("pixelcnn")
class PixelCNN(AutoregressiveModel):
    """PixelCNN over binary or 8-bit images, pixels in raster order, colours R -> G -> B.

    A mask-"A" ``first_kernel_size`` convolution (2 ``filters`` channels),
    ``num_residual_blocks`` residual blocks (ReLU, 1x1 to ``filters``, ReLU,
    ``kernel_size`` conv, ReLU, 1x1 back to 2 ``filters``, plus the input;
    van den Oord et al. 2016, arXiv:1601.06759, Fig. 5) and two ReLU 1x1
    mask-"B" convolutions give every pixel's conditional parameters in one
    pass. Masks are applied in ``call`` (``kgen.layers.MaskedConv2D``).

    - ``likelihood="bernoulli"``: one logit per sub-pixel, binary data.
    - ``likelihood="categorical"``: a ``num_bins``-way softmax per
      sub-pixel (the paper's 256-way softmax, sec. 3.4) over whole-number
      levels ``0..num_bins - 1``; the network sees ``2 x / (num_bins - 1) - 1``.

    With C channels, each layer's channels are C colour groups; colour
    ``channel_order[r]`` is the r-th generated at each pixel (default
    ``(0, 1, ..., C - 1)``: R, then G given R, then B given R and G).

    The paper reports 81.30 nats on statically binarized MNIST (Table 4;
    7-layer network, far larger than one that trains here in minutes).

    Args:
        event_shape: ``(height, width, channels)``; default ``(28, 28, 1)``.
        likelihood: ``"bernoulli"`` or ``"categorical"``.
        num_bins: levels of the categorical likelihood; default 256.
        filters: int h >= 1 (the paper's h; the residual stream has 2h).
        num_residual_blocks: int >= 0.
        first_kernel_size: odd int, the mask-"A" kernel; default 7.
        kernel_size: odd int, the residual blocks' kernel; default 3.
        channel_order: optional permutation of ``range(channels)``.
        seed: optional int >= 0 seeding every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, height, width, channels]`` data in the likelihood's support.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: on a bad argument (an ``event_shape`` that
            is not ``(height, width, channels)``, an even kernel size, a bad
            ``channel_order``); naming ``x`` on data of the wrong shape or
            outside the support (non-binary data for ``"bernoulli"``).

    Example:

    >>> model = kgen.models.autoregressive.PixelCNN(filters=32, num_residual_blocks=4)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=100))
    >>> model.log_prob(x)          # [batch], nats
    >>> model.sample(4, seed=0)    # [4, 28, 28, 1]: 784 passes (naive sampler)
    """

    likelihood_names = ("bernoulli", "categorical")

    def __init__(self, event_shape=(28, 28, 1), likelihood="bernoulli", num_bins=256,
                 filters=32, num_residual_blocks=4, first_kernel_size=7, kernel_size=3,
                 channel_order=None, seed=None, **kwargs):
        super().__init__(event_shape=event_shape, likelihood=likelihood, num_bins=num_bins,
                         seed=seed, **kwargs)
        if len(self.event_shape) != 3:
            raise ValueError(f"`event_shape` must be (height, width, channels). "
                             f"Received: event_shape={self.event_shape}")
        self.num_colours = channels = self.event_shape[-1]
        order = list(range(channels)) if channel_order is None else channel_order
        if not isinstance(order, (list, tuple)) or sorted(order) != list(range(channels)):
            raise ValueError(f"`channel_order` must be a permutation of range({channels}). "
                             f"Received: channel_order={channel_order!r}")
        self.channel_order = tuple(int(c) for c in order)
        self.filters = checks.positive_int("filters", filters)
        self.num_residual_blocks = checks.positive_int("num_residual_blocks",
                                                       num_residual_blocks, minimum=0)
        self.first_kernel_size, self.kernel_size = first_kernel_size, kernel_size
        self.params_per_channel = 1 if likelihood == "bernoulli" else self.num_bins

        def conv(units, size, mask_type="B", name=None):
            return MaskedConv2D(units, size, mask_type, num_colours=channels, name=name)

        h = self.filters
        self.input_conv = conv(2 * h, first_kernel_size, "A", name="input_conv")
        self.blocks = [[conv(h, 1, name=f"block_{i}_in"), conv(h, kernel_size,
                                                               name=f"block_{i}_conv"),
                        conv(2 * h, 1, name=f"block_{i}_out")]
                       for i in range(self.num_residual_blocks)]
        self.output_convs = [conv(2 * h, 1, name="output_hidden"),
                             conv(channels * self.params_per_channel, 1, name="output")]
        self.build_from_event_shape()

    def network_inputs(self, x):
        """Data to the network's input: binary as is, levels to [-1, 1]; colours
        permuted into generation order."""
        if self.likelihood_name == "categorical":
            x = 2.0 * x / (self.num_bins - 1) - 1.0
        return tf.gather(x, self.channel_order, axis=-1)

    def conditionals(self, x, training=None):
        """Parameters ``[batch, H, W, C]`` (logits) or ``[batch, H, W, C, num_bins]``."""
        h = self.input_conv(self.network_inputs(x))
        for block in self.blocks:
            y = h
            for layer in block:
                y = layer(tf.nn.relu(y))
            h = h + y
        for layer in self.output_convs:
            h = layer(tf.nn.relu(h))
        shape = tf.concat([tf.shape(h)[:-1], [self.num_colours, self.params_per_channel]], 0)
        params = tf.reshape(h, shape)  # colours in generation order
        params = tf.gather(params, np.argsort(self.channel_order), axis=-2)
        return params[..., 0] if self.params_per_channel == 1 else params

    def generation_order(self):
        """Raster order of pixels; at each pixel the colours in ``channel_order``."""
        pixels = np.arange(self.num_dims // self.num_colours)[:, None] * self.num_colours
        return (pixels + np.asarray(self.channel_order)[None, :]).reshape(-1)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "num_residual_blocks": self.num_residual_blocks,
                "first_kernel_size": self.first_kernel_size, "kernel_size": self.kernel_size,
                "channel_order": list(self.channel_order)}


__all__ = ["PixelCNN"]
