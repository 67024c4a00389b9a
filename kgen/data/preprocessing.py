"""Preprocessing that the generative-modelling papers apply to images.

Every function takes and returns tensors, traces inside ``tf.function`` and
``tf.data.Dataset.map``, and draws random numbers only through stateless ops,
so a given seed always gives the same result.

To give each example its own seed inside a ``tf.data`` pipeline, zip the data
with ``tf.data.Dataset.random(seed).batch(2, drop_remainder=True)``, which
yields int64 seeds of shape ``[2]``::

    seeds = tf.data.Dataset.random(seed=0).batch(2, drop_remainder=True)
    ds = tf.data.Dataset.zip((images, seeds)).map(
        lambda x, s: kgen.data.dynamic_binarize(x, seed=s))
"""

import numbers

import numpy as np
import tensorflow as tf


def _stateless_seed(seed):
    """Turns an int >= 0 or a shape-[2] integer tensor into a stateless seed."""
    if isinstance(seed, bool) or seed is None:
        raise TypeError(
            "`seed` must be an integer >= 0 or an integer tensor of shape [2]. "
            f"Received: seed={seed!r}"
        )
    if isinstance(seed, numbers.Integral):
        if seed < 0:
            raise ValueError(f"`seed` must be an integer >= 0. Received: seed={seed}")
        return tf.constant([int(seed), 0], dtype=tf.int64)
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer:
        raise TypeError(f"`seed` must hold integers. Received: seed of dtype {seed.dtype.name}")
    if not seed.shape.is_compatible_with([2]):
        raise ValueError(f"`seed` must have shape [2]. Received: seed.shape={seed.shape}")
    return tf.cast(seed, tf.int64)


def _float_tensor(x):
    x = tf.convert_to_tensor(x)
    return x if x.dtype.is_floating else tf.cast(x, tf.float32)


def dynamic_binarize(x, seed):
    """Samples binary images whose pixels are Bernoulli with the grey levels as means.

    Each call with a new seed gives a fresh binarization, the "dynamic"
    binarization of MNIST used by IWAE and most later VAE papers, as opposed
    to the fixed ("static") sample of Larochelle & Murray (2011).

    Args:
        x: float tensor of any shape with values in [0, 1] (e.g. images of
            shape ``(batch, 28, 28, 1)`` from ``load("mnist_test")``). Integer
            tensors are cast to float32 first.
        seed: integer >= 0 or an integer tensor of shape ``[2]``.

    Returns:
        Tensor of ``x``'s shape and float dtype with values exactly 0. or 1.;
        each pixel is 1 with probability ``x``.

    Raises:
        TypeError, ValueError: if ``seed`` is not an integer >= 0 or a shape-[2]
            integer tensor.

    References:
        Salakhutdinov & Murray. "On the Quantitative Analysis of Deep Belief
        Networks." ICML 2008. https://doi.org/10.1145/1390156.1390266

    Example:

    >>> x = tf.fill([2, 28, 28, 1], 0.3)
    >>> b = dynamic_binarize(x, seed=0)
    >>> sorted(np.unique(b.numpy()).tolist())
    [0.0, 1.0]
    """
    seed = _stateless_seed(seed)
    x = _float_tensor(x)
    u = tf.random.stateless_uniform(tf.shape(x), seed=seed, dtype=x.dtype)
    return tf.cast(u < x, x.dtype)


def uniform_dequantize(x, seed):
    """Adds uniform noise to 8-bit pixels and scales them to [0, 1).

    Returns ``y = (x + u) / 256`` with ``u ~ U[0, 1)``, so that a continuous
    density on ``y`` lower-bounds the discrete model's log-likelihood and
    ``floor(256 * y) == x`` recovers the pixels (Theis et al. 2016, §3.1);
    RealNVP, Glow and most flows train on it.

    Args:
        x: tensor of pixel values in {0, ..., 255}, uint8 or any number type.
        seed: integer >= 0 or an integer tensor of shape ``[2]``.

    Returns:
        float32 tensor of ``x``'s shape with values in ``[x/256, (x+1)/256)``,
        hence in [0, 1). Values are clipped below ``(x+1)/256`` so float32
        rounding never reaches the next level.

    Raises:
        TypeError, ValueError: on a bad ``seed``.

    References:
        Theis, van den Oord, Bethge. "A note on the evaluation of generative
        models." ICLR 2016. https://arxiv.org/abs/1511.01844

    Example:

    >>> x = tf.constant([0, 128, 255], dtype=tf.uint8)
    >>> y = uniform_dequantize(x, seed=1)
    >>> tf.cast(tf.floor(256.0 * y), tf.uint8).numpy().tolist()
    [0, 128, 255]
    """
    seed = _stateless_seed(seed)
    x = tf.cast(x, tf.float32)
    u = tf.random.stateless_uniform(tf.shape(x), seed=seed, dtype=tf.float32)
    y = (x + u) / 256.0
    upper = tf.math.nextafter((x + 1.0) / 256.0, tf.zeros_like(x))
    return tf.minimum(y, upper)


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(
            f"`alpha` must be a number in (0, 0.5). Received: alpha={alpha!r} "
            f"of type {type(alpha).__name__}"
        )
    if not (0.0 < alpha < 0.5):
        raise ValueError(f"`alpha` must be in (0, 0.5). Received: alpha={alpha}")
    return float(alpha)


def _sum_per_example(t):
    """Sums over all axes but the first; a rank-1 tensor is returned as is."""
    if t.shape.rank is not None and t.shape.rank <= 1:
        return t
    return tf.reduce_sum(tf.reshape(t, [tf.shape(t)[0], -1]), axis=1)


def logit_transform(x, alpha=0.05, return_log_det=False):
    """Maps [0, 1] data to the real line: ``y = logit(alpha + (1 - 2 alpha) x)``.

    Squeezing into ``[alpha, 1 - alpha]`` first keeps ``y`` finite at 0 and 1.
    The map is elementwise, so its log-det-Jacobian is the sum over pixels of
    ``log(1 - 2 alpha) - log(s) - log(1 - s)`` with ``s = alpha + (1 - 2 alpha) x``;
    add it to a flow's ``log p(y)`` to get ``log p(x)`` in pixel space (and
    bits/dim). RealNVP (§4.1) writes ``alpha + (1 - alpha) x``; kgen uses the
    symmetric form of MAF and later code, which maps 0.5 to 0.

    Args:
        x: float tensor with values in [0, 1], shape ``(batch, ...)``, e.g.
            the output of ``uniform_dequantize``.
        alpha: the squeeze, a number in (0, 0.5). RealNVP uses 0.05 on
            CIFAR-10; MAF uses 1e-6 on MNIST.
        return_log_det: if True, also return the log-det-Jacobian.

    Returns:
        ``y`` of ``x``'s shape and dtype (float32 if ``x`` is an integer
        tensor), and, if ``return_log_det``, the log-det-Jacobian of shape
        ``(batch,)`` (summed over all axes but the first; for a rank-1 ``x``,
        one log-derivative per element).

    Raises:
        ValueError: if ``alpha`` is not in (0, 0.5).
        TypeError: if ``alpha`` is not a number.

    References:
        Dinh, Sohl-Dickstein, Bengio. "Density estimation using Real NVP."
        ICLR 2017. https://arxiv.org/abs/1605.08803
        Papamakarios, Pavlakou, Murray. "Masked Autoregressive Flow for Density
        Estimation." NeurIPS 2017. https://arxiv.org/abs/1705.07057

    Example:

    >>> y, log_det = logit_transform(tf.fill([4, 3], 0.5), return_log_det=True)
    >>> y.shape, log_det.shape
    (TensorShape([4, 3]), TensorShape([4]))
    """
    alpha = _check_alpha(alpha)
    x = _float_tensor(x)
    s = alpha + (1.0 - 2.0 * alpha) * x
    y = tf.math.log(s) - tf.math.log1p(-s)
    if not return_log_det:
        return y
    log_deriv = np.log(1.0 - 2.0 * alpha) - tf.math.log(s) - tf.math.log1p(-s)
    return y, _sum_per_example(log_deriv)


def inverse_logit_transform(y, alpha=0.05, return_log_det=False):
    """Inverts ``logit_transform``: ``x = (sigmoid(y) - alpha) / (1 - 2 alpha)``.

    Args:
        y: float tensor of shape ``(batch, ...)``, any real values.
        alpha: the squeeze used in the forward transform, in (0, 0.5).
        return_log_det: if True, also return the log-det-Jacobian of this
            inverse map, ``sum(log s + log(1 - s) - log(1 - 2 alpha))`` with
            ``s = sigmoid(y)``, i.e. minus the forward one at ``x``.

    Returns:
        ``x`` of ``y``'s shape; values in [0, 1] when ``y`` came from
        ``logit_transform`` (outside otherwise), and optionally the
        log-det-Jacobian of shape ``(batch,)``.

    Raises:
        ValueError: if ``alpha`` is not in (0, 0.5).
        TypeError: if ``alpha`` is not a number.

    References:
        Dinh, Sohl-Dickstein, Bengio. "Density estimation using Real NVP."
        ICLR 2017. https://arxiv.org/abs/1605.08803

    Example:

    >>> x = tf.constant([[0.0, 0.25, 1.0]])
    >>> x_back = inverse_logit_transform(logit_transform(x))
    >>> bool(tf.reduce_max(tf.abs(x_back - x)) < 1e-6)
    True
    """
    alpha = _check_alpha(alpha)
    y = _float_tensor(y)
    x = (tf.sigmoid(y) - alpha) / (1.0 - 2.0 * alpha)
    if not return_log_det:
        return x
    # log s = -softplus(-y) and log(1 - s) = -softplus(y), stable for large |y|.
    log_deriv = -tf.nn.softplus(-y) - tf.nn.softplus(y) - np.log(1.0 - 2.0 * alpha)
    return x, _sum_per_example(log_deriv)


def scale_to_minus_one_one(x):
    """Maps pixels from [0, 1] to [-1, 1]: ``y = 2 x - 1``.

    The range of a ``tanh`` output layer, as used by DCGAN and most GANs since.

    Args:
        x: tensor with values in [0, 1], any shape; integers are cast to float32.

    Returns:
        Tensor of ``x``'s shape and float dtype, values in [-1, 1].

    References:
        Radford, Metz, Chintala. "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks." ICLR 2016.
        https://arxiv.org/abs/1511.06434

    Example:

    >>> scale_to_minus_one_one(tf.constant([0.0, 0.5, 1.0])).numpy().tolist()
    [-1.0, 0.0, 1.0]
    """
    return 2.0 * _float_tensor(x) - 1.0


def scale_from_minus_one_one(y):
    """Inverts ``scale_to_minus_one_one``: maps [-1, 1] to [0, 1], ``x = (y + 1) / 2``.

    Args:
        y: tensor with values in [-1, 1] (e.g. a ``tanh`` generator's output).

    Returns:
        Tensor of ``y``'s shape and float dtype, values in [0, 1].

    Example:

    >>> scale_from_minus_one_one(tf.constant([-1.0, 0.0, 1.0])).numpy().tolist()
    [0.0, 0.5, 1.0]
    """
    return (_float_tensor(y) + 1.0) / 2.0
