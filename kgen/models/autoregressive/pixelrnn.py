"""PixelRNN: Row LSTM or Diagonal BiLSTM layers with residual connections (van den Oord 2016)."""

import tensorflow as tf

from kgen import checks
from kgen.layers import DiagonalBiLSTM, MaskedConv2D, RowLSTM
from kgen.models.autoregressive.base import AutoregressiveModel, image_channel_order
from kgen.models.autoregressive.gated_pixelcnn import params_from_features
from kgen.models.autoregressive.pixelcnn import PixelCNN
from kgen.models.registry import register

LAYER_TYPES = ("row_lstm", "diagonal_bilstm")


@register("pixelrnn")
class PixelRNN(AutoregressiveModel):
    """PixelRNN over binary or 8-bit images, pixels in raster order, colours R -> G -> B.

    van den Oord et al. 2016, "Pixel Recurrent Neural Networks",
    https://arxiv.org/abs/1601.06759, sec. 3 and Fig. 4. A mask-"A"
    ``first_kernel_size`` convolution to ``2 filters`` channels, then
    ``num_layers`` recurrent layers, each with a residual connection (sec.
    3.4): the layer's ``filters`` states go through a 1x1 mask-"B"
    convolution back to ``2 filters`` channels and are added to its input.
    Two ReLU 1x1 mask-"B" convolutions give every pixel's conditional
    parameters in one pass. The recurrent layers are

    - ``layer_type="row_lstm"``: ``kgen.layers.RowLSTM``, rows top to bottom,
      a masked ``1 x kernel_size`` input-to-state convolution along the row
      and a ``kernel_size`` state-to-state convolution over the row above
      (a triangular receptive field);
    - ``layer_type="diagonal_bilstm"``: ``kgen.layers.DiagonalBiLSTM``, the
      skewed image swept along its diagonals in both directions, a masked 1x1
      input-to-state and a 2x1 state-to-state convolution, the right-to-left
      output moved down one row (the whole context but, for pixels more
      than ``first_kernel_size // 2`` columns left of it, the last pixel of
      the row above, which the mask-"A" layer hides from its own row).

    Likelihoods as in ``PixelCNN``: ``"bernoulli"`` (one logit per sub-pixel,
    binary data) or ``"categorical"`` (a ``num_bins``-way softmax per
    sub-pixel, the paper's 256-way output, over levels ``0..num_bins - 1``;
    the network sees ``2 x / (num_bins - 1) - 1``). Colours are generated in
    ``channel_order`` at each pixel, masked as channel groups.

    ``sample`` is the naive exact sampler of ``AutoregressiveModel``: one full
    network pass per sub-pixel (784 for 28x28), each pass a recurrence over
    the rows or diagonals; no cached sampler exists for PixelRNN.

    The paper reports 79.20 nats on statically binarized MNIST (Table 4, 7
    Diagonal BiLSTM layers; 80.75 with one layer), with far more compute
    than a network that trains here in the budget.

    Args:
        event_shape: ``(height, width, channels)``; default ``(28, 28, 1)``.
        likelihood: ``"bernoulli"`` or ``"categorical"``.
        num_bins: levels of the categorical likelihood; default 256.
        layer_type: ``"row_lstm"`` or ``"diagonal_bilstm"`` (default).
        filters: int h >= 1, the LSTM states (the residual stream has 2h).
        num_layers: int >= 1, recurrent layers.
        first_kernel_size: odd int, the mask-"A" kernel; default 7.
        kernel_size: odd int, the Row LSTM's convolutions' width; default 3
            (a Diagonal BiLSTM's are 1x1 and 2x1 by construction).
        channel_order: optional permutation of ``range(channels)``.
        seed: optional int >= 0 seeding every random draw.
        **kwargs: passed to ``keras.Model`` (e.g. ``name``).

    Call arguments:
        x: ``[batch, height, width, channels]`` data in the likelihood's support.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` in nats.

    Raises:
        ValueError / TypeError: on a bad argument (an unknown ``layer_type``,
            an ``event_shape`` that is not ``(height, width, channels)``, an
            even kernel size, a bad ``channel_order``); naming ``x`` on data
            of the wrong shape or outside the support (non-binary data for
            ``"bernoulli"``).

    Example:

    >>> model = kgen.models.autoregressive.PixelRNN(layer_type="diagonal_bilstm",
    ...                                              filters=16, num_layers=2)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(kgen.data.load("binarized_mnist", "train", batch_size=64))
    >>> model.log_prob(x)          # [batch], nats
    >>> model.sample(4, seed=0)    # [4, 28, 28, 1]: 784 passes (naive sampler)
    """

    likelihood_names = ("bernoulli", "categorical")
    network_inputs = PixelCNN.network_inputs
    generation_order = PixelCNN.generation_order

    def __init__(self, event_shape=(28, 28, 1), likelihood="bernoulli", num_bins=256,
                 layer_type="diagonal_bilstm", filters=16, num_layers=2, first_kernel_size=7,
                 kernel_size=3, channel_order=None, seed=None, **kwargs):
        super().__init__(event_shape=event_shape, likelihood=likelihood, num_bins=num_bins,
                         seed=seed, **kwargs)
        self.layer_type = checks.one_of("layer_type", layer_type, set(LAYER_TYPES))
        self.channel_order = image_channel_order(self.event_shape, channel_order)
        self.num_colours = channels = self.event_shape[-1]
        self.filters = h = checks.positive_int("filters", filters)
        self.num_layers = checks.positive_int("num_layers", num_layers)
        self.first_kernel_size, self.kernel_size = first_kernel_size, kernel_size
        self.params_per_channel = 1 if likelihood == "bernoulli" else self.num_bins

        def conv(units, size=1, mask_type="B", name=None):
            return MaskedConv2D(units, size, mask_type, num_colours=channels, name=name)

        def recurrent(i):
            if layer_type == "row_lstm":
                return RowLSTM(h, kernel_size, num_colours=channels, name=f"row_lstm_{i}")
            return DiagonalBiLSTM(h, num_colours=channels, name=f"diagonal_bilstm_{i}")

        self.input_conv = conv(2 * h, first_kernel_size, "A", name="input_conv")
        self.recurrent_layers = [recurrent(i) for i in range(self.num_layers)]
        self.residual_convs = [conv(2 * h, name=f"residual_{i}")
                               for i in range(self.num_layers)]
        self.output_convs = [conv(2 * h, name="output_hidden"),
                             conv(channels * self.params_per_channel, name="output")]
        self.build_from_event_shape()

    def conditionals(self, x, training=None):
        """Parameters ``[batch, H, W, C]`` (logits) or ``[batch, H, W, C, num_bins]``."""
        h = self.input_conv(self.network_inputs(x))
        for layer, residual in zip(self.recurrent_layers, self.residual_convs):
            h = h + residual(layer(h))
        for layer in self.output_convs:
            h = layer(tf.nn.relu(h))
        return params_from_features(self, h)

    def get_config(self):
        return {**super().get_config(), "layer_type": self.layer_type, "filters": self.filters,
                "num_layers": self.num_layers, "first_kernel_size": self.first_kernel_size,
                "kernel_size": self.kernel_size, "channel_order": list(self.channel_order)}


__all__ = ["LAYER_TYPES", "PixelRNN"]
