"""``InfoGAN``: a GAN whose generator also takes latent codes c, and a Q head that
recovers them, trained to raise a lower bound on the mutual information I(c; G(z, c))."""

import math
import numbers

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.models.base import sub_seed
from kgen.models.gan import losses as gan_losses
from kgen.models.gan.gan import GAN, _deserialize
from kgen.models.registry import register

_LOG_2PI = math.log(2.0 * math.pi)


def info_loss(q, codes, num_categories, num_continuous, fixed_std=True):
    """-log Q(c | x) per example in nats, the negative of the bound's L_I without H(c)
    (Chen et al. 2016, arXiv:1606.03657, eq. 4).

    ``codes`` holds one one-hot block per categorical code (``num_categories[i]``
    wide) and then ``num_continuous`` values; ``q`` holds, in the same order, each
    block's logits, the Gaussian means and (unless ``fixed_std``) the log standard
    deviations of the continuous codes. The categorical part is the cross-entropy
    -sum_k c_k log softmax(logits)_k; the continuous part is the Gaussian negative
    log-likelihood 0.5 log(2 pi) + log sigma + (c - mu)^2 / (2 sigma^2) per code,
    with sigma = 1 if ``fixed_std``.

    Args:
        q: ``[batch, sum(num_categories) + num_continuous * (1 or 2)]`` Q's outputs.
        codes: ``[batch, sum(num_categories) + num_continuous]`` the drawn codes.
        num_categories: tuple of ints, the sizes of the categorical codes.
        num_continuous: int, the number of continuous codes.
        fixed_std: bool, sigma = 1 instead of Q's ``exp(log sigma)``.

    Returns:
        ``[batch]`` float32, nats.
    """
    q, codes = tf.convert_to_tensor(q, tf.float32), tf.convert_to_tensor(codes, tf.float32)
    nll, start = tf.zeros(tf.shape(q)[:1]), 0
    for k in num_categories:
        nll += tf.nn.softmax_cross_entropy_with_logits(labels=codes[:, start:start + k],
                                                       logits=q[:, start:start + k])
        start += k
    if num_continuous:
        c, mean = codes[:, start:], q[:, start:start + num_continuous]
        log_std = (tf.zeros_like(mean) if fixed_std
                   else q[:, start + num_continuous:start + 2 * num_continuous])
        nll += tf.reduce_sum(0.5 * _LOG_2PI + log_std
                             + 0.5 * tf.square((c - mean) * tf.exp(-log_std)), axis=-1)
    return nll


def _categories(num_categories):
    if isinstance(num_categories, numbers.Integral) and not isinstance(num_categories, bool):
        num_categories = (num_categories,)
    if not isinstance(num_categories, (tuple, list)):
        raise TypeError(f"`num_categories` must be a tuple of ints >= 2. "
                        f"Received: num_categories={num_categories!r}")
    return tuple(checks.positive_int("num_categories", k, minimum=2) for k in num_categories)


def code_sizes(num_categories=(10,), num_continuous=2, fixed_std=True):
    """``(code_dim, q_units)``: the widths of the codes c and of Q's output."""
    num_categories = _categories(num_categories)
    num_continuous = checks.positive_int("num_continuous", num_continuous, minimum=0)
    if not num_categories and not num_continuous:
        raise ValueError("`num_categories` and `num_continuous` give no code: InfoGAN needs "
                         "at least one. Received: num_categories=(), num_continuous=0")
    return (sum(num_categories) + num_continuous,
            sum(num_categories) + num_continuous * (1 if fixed_std else 2))


@register("infogan")
class InfoGAN(GAN):
    """InfoGAN (Chen et al. 2016, arXiv:1606.03657): G(z, c) takes noise z ~ N(0, I)
    and codes c ~ p(c), categorical codes uniform over their categories (one-hot) and
    continuous codes ~ U(-1, 1) (sec. 6); a head Q(c | x) on the discriminator's body
    recovers c. The mutual-information bound (eqs. 4-5)
    I(c; G(z, c)) >= L_I = H(c) + E log Q(c | G(z, c)) is raised by G and Q.

    Q shares D's body: the discriminator outputs ``[source, q]`` (a second linear head,
    ``q_units`` of ``kgen.networks.mlp_discriminator`` / ``dcgan_discriminator``), so
    Q's weights are the discriminator player's. Each critic step minimises
    L_D + ``info_weight`` * (-log Q(c | G(z, c))) on its fakes (training Q and the
    shared body, as the paper's code does), and the generator step minimises
    L_G + ``info_weight`` * (-log Q(c | G(z, c))). Everything else is ``GAN``'s step
    (``loss``, ``n_critic``, the gradient penalty on the source output, EMA). The
    codes of a step are drawn once per batch, like a conditional GAN's labels: each
    critic step takes its strided chunk of them, and the generator step reuses the
    first chunk's codes with fresh noise z.

    ``fit`` reports ``GAN``'s metrics (``d_loss`` with the weighted info term,
    ``g_loss`` the source term only), ``info_loss`` = -log Q(c | G(z, c)) (nats, the
    generator step's) and ``mutual_information`` = H(c) - ``info_loss``, the lower
    bound on I(c; G(z, c)) in nats (H(c) = sum log K_i + num_continuous log 2, the
    differential entropy of U(-1, 1) being log 2). With ``fixed_std=True`` the bound
    stays below H(c) even for a perfect Q: sigma = 1 costs each continuous code at
    least 1/2 log(2 pi) nats of ``info_loss``, so it adds at most
    log 2 - 1/2 log(2 pi) = -0.226 nats to ``mutual_information`` (only the
    categorical codes can reach their log K_i).

    Args:
        generator: ``keras.Model`` from ``[z, codes]`` (``[batch, latent_dim]``,
            ``[batch, code_dim]``) to ``[batch, *event_shape]``, e.g.
            ``kgen.networks.dcgan_generator(..., code_dim=12)``.
        discriminator: ``keras.Model`` from x to ``[source, q]`` (``[batch, 1]``,
            ``[batch, q_units]``), e.g. ``kgen.networks.dcgan_discriminator(...,
            q_units=12)``.
        num_categories: int or tuple of ints >= 2, the sizes of the categorical
            codes (``(10,)``: one 10-way code, the paper's MNIST); ``()`` for none.
        num_continuous: int >= 0, the number of continuous codes (2 on MNIST).
        fixed_std: bool; True: Q's continuous outputs are means, sigma = 1 (the
            paper's released MNIST setting); False: means then log sigma.
        info_weight: float >= 0, lambda of the info term (1 in the paper).
        **kwargs: as ``GAN``.

    Call arguments:
        inputs: ``[z, codes]``. Returns G(z, codes).

    Raises:
        ValueError / TypeError: as ``GAN``, and naming ``loss`` if it clips the
            critic's weights (``"wasserstein"``: the clipping would also clip Q),
            ``num_categories``, ``num_continuous``, ``info_weight``, a ``generator`` without a
            ``[batch, code_dim]`` codes input or a ``discriminator`` without a
            ``[batch, q_units]`` head; later ``codes``, ``categorical`` or
            ``continuous`` of ``sample`` / ``generate``.

    Example:

    >>> info = kgen.models.gan.InfoGAN(
    ...     kgen.networks.dcgan_generator(62, (28, 28, 1), code_dim=12),
    ...     kgen.networks.dcgan_discriminator((28, 28, 1), q_units=12),
    ...     num_categories=10, num_continuous=2, seed=0)
    >>> info.sample(10, categorical=range(10), continuous=0.0)   # one per category
    """

    label_inputs = ("generator",)
    auxiliary_metric_names = ("info_loss", "mutual_information")

    def __init__(self, generator, discriminator, num_categories=(10,), num_continuous=2,
                 fixed_std=True, info_weight=1.0, **kwargs):
        code_dim, q_units = code_sizes(num_categories, num_continuous, fixed_std)
        info_weight = checks.non_negative_float("info_weight", info_weight)
        generator, discriminator = _deserialize(generator), _deserialize(discriminator)
        inputs = getattr(generator, "input_shape", None)
        if not (isinstance(inputs, list) and len(inputs) == 2
                and tuple(inputs[1]) == (None, code_dim)):
            raise ValueError(f"`generator` must take [z, codes] with codes of shape "
                             f"[batch, {code_dim}]. Received: a generator with input shape "
                             f"{inputs}")
        outputs = getattr(discriminator, "output_shape", None)
        if not (isinstance(outputs, list) and len(outputs) == 2
                and tuple(outputs[1]) == (None, q_units)):
            raise ValueError(f"`discriminator` must output [source, q] with q of shape "
                             f"[batch, {q_units}]. Received: a discriminator with output "
                             f"shape {outputs}")
        if gan_losses.get(kwargs.get("loss", "non_saturating")).clip_weights:
            raise ValueError(f"`loss` must not clip the critic's weights: GAN's clipping "
                             f"takes every discriminator weight, the Q head's too, to "
                             f"[-clip_value, clip_value]. Use e.g. loss='wasserstein_gp'. "
                             f"Received: loss={kwargs['loss']!r}")
        super().__init__(generator, discriminator, **kwargs)
        self.num_categories, self.num_continuous = _categories(num_categories), num_continuous
        self.fixed_std, self.info_weight = bool(fixed_std), info_weight
        self.code_dim, self.q_units = code_dim, q_units
        # H(c) in nats: log K per categorical code, log 2 per U(-1, 1) code.
        self.code_entropy = (sum(math.log(k) for k in self.num_categories)
                             + num_continuous * math.log(2.0))

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    # --- the codes ----------------------------------------------------------------
    def draw_codes(self, num_samples, seed=None):
        """c ~ p(c), ``[num_samples, code_dim]``: a one-hot uniform category per
        categorical code, then U(-1, 1) per continuous code, from one uniform draw."""
        m = len(self.num_categories)
        u = self.uniform((num_samples, m + self.num_continuous), seed=seed)
        parts = [tf.one_hot(tf.minimum(tf.cast(u[:, i] * k, tf.int32), k - 1), k)
                 for i, k in enumerate(self.num_categories)]
        return tf.concat(parts + [2.0 * u[:, m:] - 1.0], axis=-1)

    def make_codes(self, num_samples, codes=None, categorical=None, continuous=None,
                   seed=None):
        """Codes for ``sample`` / ``generate``: ``codes`` as given, or the prior's
        draw with the parts given by ``categorical`` and ``continuous`` set.

        Args:
            num_samples: int, the batch size.
            codes: ``None`` or the whole ``[num_samples, code_dim]`` code vectors.
            categorical: ``None`` or ints, ``[num_samples, len(num_categories)]``
                (an int or, with one categorical code, ``[num_samples]`` is spread).
            continuous: ``None`` or floats, ``[num_samples, num_continuous]`` (a float
                or ``[num_samples]`` with one continuous code is spread).
            seed: optional seed of the prior's draw of the parts not given.

        Returns:
            ``[num_samples, code_dim]`` float32.

        Raises:
            ValueError / TypeError: naming ``codes``, ``categorical`` or ``continuous``.
        """
        if codes is not None:
            if categorical is not None or continuous is not None:
                raise ValueError("`codes` are whole code vectors: pass `categorical` / "
                                 "`continuous` without them. Received: codes and parts")
            codes = checks.data_array("codes", codes, (self.code_dim,))
            if len(codes) != num_samples:
                raise ValueError(f"`codes` must hold {num_samples} code vectors. "
                                 f"Received: codes.shape={codes.shape}")
            return tf.constant(codes)
        values = self.draw_codes(num_samples, seed).numpy()
        m, start = len(self.num_categories), sum(self.num_categories)
        if categorical is not None:
            cats = self._spread("categorical", categorical, num_samples, m, integer=True)
            values[:, :start] = 0.0
            offset = 0
            for i, k in enumerate(self.num_categories):
                if cats[:, i].min() < 0 or cats[:, i].max() >= k:
                    raise ValueError(f"`categorical` code {i} must be in [0, {k}). Received: "
                                     f"categorical in [{cats[:, i].min()}, {cats[:, i].max()}]")
                values[np.arange(num_samples), offset + cats[:, i]] = 1.0
                offset += k
        if continuous is not None:
            values[:, start:] = self._spread("continuous", continuous, num_samples,
                                             self.num_continuous)
        return tf.constant(values)

    @staticmethod
    def _spread(name, value, num, width, integer=False):
        if width == 0:
            raise ValueError(f"`{name}` given, but the model has no {name} codes. "
                             f"Received: {name}={value!r}")
        arr = np.asarray(value)
        if integer and arr.dtype.kind not in "iu":
            raise TypeError(f"`{name}` must be integer categories. Received: {name} of "
                            f"dtype {arr.dtype}")
        if arr.ndim == 0 or (arr.ndim == 1 and width == 1 and arr.shape == (num,)):
            arr = np.broadcast_to(arr.reshape(-1, 1), (num, width))
        if arr.shape != (num, width):
            raise ValueError(f"`{name}` must have shape ({num}, {width}). Received: "
                             f"{name} of shape {np.shape(value)}")
        if not integer:
            arr = checks.data_array(name, arr, (width,))
        return arr

    def condition(self, num_samples, condition):
        extra = sorted(set(condition) - {"codes", "categorical", "continuous"})
        if extra:
            raise TypeError(f"InfoGAN takes `codes`, `categorical` or `continuous`. "
                            f"Received conditions: {extra}")
        return self.make_codes(num_samples, **condition)

    def sample(self, num_samples, seed=None, truncation=None, ema=None, **condition):
        """As ``GAN.sample``, with codes: the parts not given by ``codes``,
        ``categorical`` or ``continuous`` (``make_codes``) are drawn from p(c), with
        a seed derived from ``seed``."""
        num_samples = checks.positive_int("num_samples", num_samples)
        seed = checks.seed("seed", seed)
        extra = sorted(set(condition) - {"codes", "categorical", "continuous"})
        if extra:  # before any draw
            self.condition(num_samples, {k: condition[k] for k in extra})
        codes = self.make_codes(num_samples, seed=sub_seed(seed, 1), **condition)
        return super().sample(num_samples, seed, truncation, ema, codes=codes)

    def infer_codes(self, x):
        """Q's estimate of the codes of ``x``: ``{"categorical": [batch, len(num_categories)]
        int32 (the most likely category of each code), "continuous": [batch,
        num_continuous] (the means)}``."""
        x = checks.data_array("x", x, self.event_shape, value_range=self.data_range)
        return self._infer(tf.constant(x))

    def _infer(self, x):
        _, q = self.discriminator(x, training=False)
        cats, start = [], 0
        for k in self.num_categories:
            cats.append(tf.argmax(q[:, start:start + k], axis=-1, output_type=tf.int32))
            start += k
        cats = tf.stack(cats, -1) if cats else tf.zeros((tf.shape(q)[0], 0), tf.int32)
        return {"categorical": cats, "continuous": q[:, start:start + self.num_continuous]}

    # --- the GAN hooks: codes ride where a conditional GAN's labels do --------------
    def split_batch(self, data):
        x = self.unpack_batch(data)
        return x, self.draw_codes(tf.shape(x)[0])

    def generator_inputs(self, z, codes):
        return [z, codes]

    def critic(self, x, codes, training):
        source, q = self.discriminator(x, training=training)
        return gan_losses.per_example(source), q

    def info_loss(self, q, codes):
        """-log Q(c | x) per example, nats (``kgen.models.gan.infogan.info_loss``)."""
        return info_loss(q, codes, self.num_categories, self.num_continuous, self.fixed_std)

    def discriminator_auxiliary(self, real_q, fake_q, codes):
        return self.info_weight * self.info_loss(fake_q, codes), {}

    def generator_auxiliary(self, fake_q, codes):
        nll = self.info_loss(fake_q, codes)
        return self.info_weight * nll, {"info_loss": nll,
                                        "mutual_information": self.code_entropy - nll}

    # --- serving and config -----------------------------------------------------------
    def serving_signatures(self):
        """``generate(z, codes)`` (also ``serving_default``), ``sample(num_samples)``
        returning ``x`` and its ``codes``, and ``infer_codes(x)``."""
        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        c_spec = tf.TensorSpec((None, self.code_dim), tf.float32, name="codes")
        x_spec = tf.TensorSpec((None,) + self.event_shape, tf.float32, name="x")
        n_spec = tf.TensorSpec((), tf.int32, name="num_samples")
        ema = bool(self.ema)

        def generate(z, codes):
            return {"x": self._generate(z, ema, codes)}

        def sample(n):
            codes = self.draw_codes(n)
            return {"x": self._generate(self.noise(n), ema, codes), "codes": codes}

        return {"serving_default": tf.function(generate, input_signature=[z_spec, c_spec]),
                "generate": tf.function(generate, input_signature=[z_spec, c_spec]),
                "sample": tf.function(sample, input_signature=[n_spec]),
                "infer_codes": tf.function(self._infer, input_signature=[x_spec])}

    def get_config(self):
        return {**super().get_config(), "num_categories": list(self.num_categories),
                "num_continuous": self.num_continuous, "fixed_std": self.fixed_std,
                "info_weight": self.info_weight}

    @staticmethod
    def _network_kwargs(model_args):
        code_dim, q_units = code_sizes(model_args.get("num_categories", (10,)),
                                       model_args.get("num_continuous", 2),
                                       model_args.get("fixed_std", True))
        return {"code_dim": code_dim, "q_units": q_units}


__all__ = ["InfoGAN", "code_sizes", "info_loss"]
