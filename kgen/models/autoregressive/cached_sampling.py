"""Exact cached sampling of PixelCNN and Gated PixelCNN: every activation computed once."""

import numpy as np
import tensorflow as tf

from kgen import checks, likelihoods
from kgen.layers.gated_pixelcnn import gate
from kgen.models.autoregressive.gated_pixelcnn import GatedPixelCNN, params_from_features
from kgen.models.autoregressive.pixelcnn import PixelCNN


class CachedSampler:
    """Exact ancestral sampling of a PixelCNN or Gated PixelCNN, each activation computed once.

    The naive sampler (``model.sample``) runs the whole network once per
    sub-pixel, H W C passes, although each pass changes one pixel. Every
    activation at pixel ``p`` depends only on the pixels before ``p`` (the
    masks make every layer autoregressive, not only the last), so it can be
    computed once, when ``p``'s turn comes, and kept. In the spirit of Fast
    PixelCNN++ (Ramachandran et al. 2017, https://arxiv.org/abs/1704.06001),
    which caches each layer's past outputs and computes only the new
    position, this sampler keeps, for every spatial layer, a cache of its
    inputs at the pixels done so far (a ``tf.TensorArray`` of ``[n,
    channels]`` per pixel, plus a zero entry for the padding), and at pixel
    ``p`` computes each layer at ``p`` alone, from the cached window of its
    kernel and the layer below's new value at ``p``:

    - PixelCNN: a masked ``k x k`` convolution at ``p`` is the product of the
      cached inputs under the mask's past taps with those kernel taps, plus
      the centre tap (colour-masked) on the value just computed; 1x1
      layers are per-pixel products.
    - Gated PixelCNN: the vertical stack of row ``i`` depends on the whole row
      ``i``, and the horizontal stack sees it only moved down one row, so when
      row ``i`` is complete every layer's vertical stack is computed for that
      one row (from a cache of the rows above) and kept as the next row's
      link term; the horizontal stack then runs pixel by pixel as above.

    With C colours, each pixel is computed C times (colour groups need the
    colours before them), the last pass giving the cached values. The
    noise is the model's (``model.sampling_noise``), so for the same seed
    and weights the samples are the naive sampler's: the same arithmetic
    in another order of summation, probabilities equal to float rounding
    (``sample_with_params``) and samples equal unless a uniform draw falls
    within that rounding of a threshold. Total work is about one network
    pass; what remains is per-pixel overhead (H W C small steps).

    Args:
        model: a built ``PixelCNN`` or ``GatedPixelCNN``; its weights are read
            at every call (train on, sample again).

    Raises:
        TypeError: naming ``model`` for any other model.

    Example:

    >>> sampler = CachedSampler(model)
    >>> fast = sampler.sample(64, seed=0)          # [64, 28, 28, 1]
    >>> np.array_equal(fast, model.sample(64, seed=0))
    True
    """

    def __init__(self, model):
        if not isinstance(model, (PixelCNN, GatedPixelCNN)):
            raise TypeError(f"`model` must be a PixelCNN or GatedPixelCNN. "
                            f"Received: model of type {type(model).__name__}")
        self.model = model
        height, width, channels = model.event_shape
        self.num_pixels = height * width
        self.pixel_likelihood = (
            likelihoods.CategoricalLikelihood((channels,), num_bins=model.num_bins)
            if model.likelihood_name == "categorical"
            else likelihoods.get(model.likelihood_name, (channels,)))
        self._graph = tf.function(self._sample, reduce_retracing=True)

    def sample(self, num_samples, seed=None, **condition):
        """The same draw as ``model.sample(num_samples, seed, **condition)``, faster.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0; ``None`` draws from the model's seed generator.
            **condition: ``labels`` for a conditional Gated PixelCNN, else none.

        Returns:
            ``[num_samples, *event_shape]`` float32 values in the support.

        Raises:
            ValueError / TypeError: as ``model.sample``.
        """
        return self.sample_with_params(num_samples, seed, **condition)[0]

    def sample_with_params(self, num_samples, seed=None, **condition):
        """``(samples, params)``: the samples and the conditionals' parameters each pixel
        was drawn from, ``[num_samples, *likelihood.params_shape]`` (what
        ``model.conditionals(samples)`` computes in one pass)."""
        model = self.model
        num_samples = checks.positive_int("num_samples", num_samples)
        seed = checks.seed("seed", seed)
        if isinstance(model, GatedPixelCNN):
            labels = condition.pop("labels", None)
            model.check_condition(condition)
            labels = model.checked_labels(labels, num_samples, broadcast=True)
        else:
            model.check_condition(condition)
            labels = None
        seed = None if seed is None else tf.constant(seed, tf.int64)
        return self._graph(tf.constant(num_samples, tf.int32), seed, labels)

    # --- the loop over pixels -----------------------------------------------------
    def _sample(self, num_samples, seed, labels):
        model = self.model
        height, width, channels = model.event_shape
        noise = model.sampling_noise(num_samples, seed)
        noise = tf.reshape(noise, tf.concat([[num_samples, self.num_pixels],
                                             model.likelihood.params_shape[2:]], 0))
        if isinstance(model, GatedPixelCNN):
            x, params = _GatedSteps(model, num_samples, labels).run(self, noise)
        else:
            x, params = _PixelCNNSteps(model, num_samples).run(self, noise)
        to_image = (lambda t: tf.reshape(tf.transpose(
            t, tf.concat([[1, 0], tf.range(2, tf.rank(t))], 0)),
            tf.concat([[num_samples, height, width], tf.shape(t)[2:]], 0)))
        return to_image(x), to_image(params)

    def draw_pixel(self, pixel_forward, noise_p, caches):
        """The C colour passes at one pixel: ``pixel_forward(x_p, caches) -> (features,
        layer inputs)``, then the draw of colour ``channel_order[r]`` from its noise.
        Returns ``(x_p, params_p, layer inputs of the last pass)``."""
        model = self.model
        x_p = tf.zeros(tf.shape(noise_p)[:2], tf.float32)
        for colour in model.channel_order:
            features, inputs = pixel_forward(x_p, caches)
            params = params_from_features(model, features)
            draw = self.pixel_likelihood.sample(params, noise_p)
            hit = tf.one_hot(colour, model.num_colours, on_value=True, off_value=False)
            x_p = tf.where(hit[None, :], draw, x_p)
        return x_p, params, inputs


def _new_cache(size, n, channels):
    """A TensorArray of ``size + 1`` entries ``[n, channels]``; entry ``size`` is the zero
    padding that window taps outside the image read."""
    array = tf.TensorArray(tf.float32, size=size + 1, clear_after_read=False,
                           element_shape=tf.TensorShape([None, channels]))
    return array.write(size, tf.zeros([n, channels]))


def _window(cache, table_row, kernel):
    """``sum_t cache[table_row[t]] @ kernel[t]``: ``[n, out]`` from ``kernel`` ``[T, in, out]``."""
    taps = cache.gather(table_row)  # [T, n, in]
    flat = tf.reshape(tf.transpose(taps, [1, 0, 2]), [tf.shape(taps)[1], -1])
    return tf.matmul(flat, tf.reshape(kernel, [-1, kernel.shape[-1]]))


def _tap_table(offsets, height, width):
    """``[H W, T]`` int32: the pixel index of each ``(dy, dx)`` offset from every pixel, or
    ``H W`` (the zero entry) outside the image."""
    i, j = np.divmod(np.arange(height * width), width)
    rows = i[:, None] + np.array([dy for dy, _ in offsets], int)[None]
    cols = j[:, None] + np.array([dx for _, dx in offsets], int)[None]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    return tf.constant(np.where(inside, rows * width + cols, height * width), tf.int32)


def _pointwise(layer, v):
    """A 1x1 ``MaskedConv2D`` at one pixel: ``v @ (kernel * mask) + bias``."""
    return tf.matmul(v, (layer.kernel * layer.mask)[0, 0]) + layer.bias


class _SpatialConv:
    """A ``k x k`` ``MaskedConv2D`` at one pixel: the mask's past taps read from a cache
    of the layer's inputs, the centre tap from the new input."""

    def __init__(self, layer, height, width):
        kernel = layer.kernel * layer.mask
        c = layer.kernel_size // 2
        past = [(ky, kx) for ky in range(layer.kernel_size) for kx in range(layer.kernel_size)
                if (ky, kx) != (c, c) and layer.mask[ky, kx].any()]
        self.in_channels = int(layer.kernel.shape[2])
        self.table = _tap_table([(ky - c, kx - c) for ky, kx in past], height, width)
        self.past = tf.gather_nd(kernel, [[ky, kx] for ky, kx in past]) if past else None
        self.centre, self.bias = kernel[c, c], layer.bias

    def __call__(self, cache, p, v):
        out = tf.matmul(v, self.centre) + self.bias
        return out if self.past is None else out + _window(cache, self.table[p], self.past)


class _PixelCNNSteps:
    """PixelCNN one pixel at a time: ``PixelCNN.conditionals`` at pixel ``p``."""

    def __init__(self, model, n):
        self.model, self.n = model, n
        height, width, _ = model.event_shape
        self.convs = [_SpatialConv(model.input_conv, height, width)] + [
            _SpatialConv(block[1], height, width) for block in model.blocks]

    def forward(self, p, x_p, caches):
        model = self.model
        inputs = [model.network_inputs(x_p)]
        h = self.convs[0](caches[0], p, inputs[0])
        for b, (block_in, _, block_out) in enumerate(model.blocks):
            inputs.append(tf.nn.relu(_pointwise(block_in, tf.nn.relu(h))))
            y = self.convs[b + 1](caches[b + 1], p, inputs[-1])
            h = h + _pointwise(block_out, tf.nn.relu(y))
        for layer in model.output_convs:
            h = _pointwise(layer, tf.nn.relu(h))
        return h, inputs

    def run(self, sampler, noise):
        model, d = self.model, sampler.num_pixels
        caches = tuple(_new_cache(d, self.n, conv.in_channels) for conv in self.convs)

        def step(p, caches, xs, params):
            x_p, params_p, inputs = sampler.draw_pixel(
                lambda x, c: self.forward(p, x, c), noise[:, p], caches)
            inputs[0] = model.network_inputs(x_p)
            caches = tuple(c.write(p, v) for c, v in zip(caches, inputs))
            return p + 1, caches, xs.write(p, x_p), params.write(p, params_p)

        _, _, xs, params = tf.while_loop(
            lambda p, *_: p < d, step,
            (tf.constant(0), caches, tf.TensorArray(tf.float32, size=d),
             tf.TensorArray(tf.float32, size=d)))
        return xs.stack(), params.stack()


class _GatedSteps:
    """Gated PixelCNN: the vertical stacks a row at a time, the horizontal stack a pixel at
    a time (``GatedPixelCNN.conditionals`` at row ``i`` / pixel ``p``)."""

    def __init__(self, model, n, labels):
        self.model, self.n = model, n
        height, width, _ = model.event_shape
        y = model.condition_vector(labels)
        self.terms = [block.condition_terms(y) for block in model.blocks]
        self.kernels, self.tables = [], []
        for block in model.blocks:
            kernel, c = block.masked_horizontal_kernel()[0], block.kernel_size // 2
            self.kernels.append((kernel[:c], kernel[c]))
            self.tables.append(_tap_table([(0, dx) for dx in range(-c, 0)], height, width))

    def forward(self, p, j, x_p, caches, links):
        model = self.model
        h = model.network_inputs(x_p)
        inputs = [h]
        for l, block in enumerate(model.blocks):
            past, centre = self.kernels[l]
            pre = tf.matmul(h, centre) + block.horizontal_bias + links[l][:, j]
            pre = pre + self.terms[l][1]
            if past.shape[0]:
                pre = pre + _window(caches[l], self.tables[l][p], past)
            h = block.horizontal_output(h, pre)
            inputs.append(h)
        for layer in model.output_convs:
            h = _pointwise(layer, tf.nn.relu(h))
        return h, inputs[:-1]

    def vertical_row(self, i, rows, links):
        """After row ``i``: each layer's vertical stack at row ``i`` (its rows cache, entry
        ``H`` the zero padding), kept as the horizontal stack's link term of row ``i + 1``."""
        height = self.model.event_shape[0]
        rows, links = list(rows), list(links)
        for l, block in enumerate(self.model.blocks):
            c = block.kernel_size // 2
            above = tf.range(i - c, i + 1)
            window = rows[l].gather(tf.where(above >= 0, above, height))  # [c+1, n, W, ch]
            v_pre = block.vertical_preactivation(tf.transpose(window, [1, 0, 2, 3]))
            links[l] = block.link(v_pre[:, 0])
            if l + 1 < len(rows):
                rows[l + 1] = rows[l + 1].write(
                    i, gate(v_pre[:, 0] + _broadcast(self.terms[l][0])))
        return tuple(rows), tuple(links)

    def run(self, sampler, noise):
        model, d = self.model, sampler.num_pixels
        height, width, channels = model.event_shape
        n, p2 = self.n, 2 * model.filters
        widths = [channels] + [model.filters] * (len(model.blocks) - 1)
        caches = tuple(_new_cache(d, n, w) for w in widths)
        rows = tuple(tf.TensorArray(tf.float32, size=height + 1, clear_after_read=False,
                                    element_shape=tf.TensorShape([None, width, w]))
                     .write(height, tf.zeros([n, width, w])) for w in widths)
        links = tuple(tf.zeros([n, width, p2]) for _ in model.blocks)

        def pixel(i, links):
            def step(j, caches, xs, params):
                p = i * width + j
                x_p, params_p, inputs = sampler.draw_pixel(
                    lambda x, c: self.forward(p, j, x, c, links), noise[:, p], caches)
                inputs[0] = model.network_inputs(x_p)
                caches = tuple(c.write(p, v) for c, v in zip(caches, inputs))
                return j + 1, caches, xs.write(p, x_p), params.write(p, params_p)
            return step

        def row(i, caches, rows, links, xs, params):
            _, caches, xs, params = tf.while_loop(lambda j, *_: j < width, pixel(i, links),
                                                  (tf.constant(0), caches, xs, params))
            row_inputs = caches[0].gather(tf.range(i * width, (i + 1) * width))
            rows = (rows[0].write(i, tf.transpose(row_inputs, [1, 0, 2])),) + rows[1:]
            rows, links = self.vertical_row(i, rows, links)
            return i + 1, caches, rows, links, xs, params

        _, _, _, _, xs, params = tf.while_loop(
            lambda i, *_: i < height, row,
            (tf.constant(0), caches, rows, links, tf.TensorArray(tf.float32, size=d),
             tf.TensorArray(tf.float32, size=d)))
        return xs.stack(), params.stack()


def _broadcast(term):
    """A condition term ``[n, 2p]`` (or 0.0) broadcast over a row ``[n, W, 2p]``."""
    return term[:, None, :] if isinstance(term, tf.Tensor) else term


__all__ = ["CachedSampler"]
