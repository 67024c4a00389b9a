"""``ACGAN``: a class-conditional generator against a discriminator with an auxiliary
classifier."""

import tensorflow as tf

from kgen import checks
from kgen.models.gan import losses as gan_losses
from kgen.models.gan._conditioning import Conditional
from kgen.models.gan.gan import GAN
from kgen.models.registry import register


@register("acgan")
class ACGAN(Conditional, GAN):
    """An auxiliary-classifier GAN (Odena, Olah, Shlens 2017, arXiv:1610.09585, sec. 3):
    G(z, c) draws an example of class c; D sees x only and outputs both the source
    (real or fake) and class logits P(C | x).

    With L_S the source term of ``loss`` and L_C = -log P(C = c | x) the class
    cross-entropy in nats (eqs. 1-2, as losses to minimise): D minimises
    ``d_loss`` = L_S(D) + ``class_weight`` (L_C(real) + L_C(fake)); G minimises
    L_S(G) + ``class_weight`` L_C(G(z, c)). Everything else is ``GAN``'s step
    (``n_critic``, the gradient penalty on the source output, EMA); each fake is
    drawn for the label of a real example of its chunk (the data's class
    frequencies).

    ``fit`` reports ``GAN``'s metrics (``d_loss`` with the class terms, ``g_loss``
    the source term only) and ``d_class_loss`` (L_C(real) + L_C(fake)),
    ``real_accuracy`` (D's class accuracy on real data), ``g_class_loss``
    (L_C(G(z, c))) and ``fake_accuracy`` (how often D classifies G(z, c) as c).

    Args:
        generator: ``keras.Model`` from ``[z, labels]`` to ``[batch, *event_shape]``,
            e.g. ``kgen.networks.dcgan_generator(..., num_classes=10)``.
        discriminator: ``keras.Model`` from x to ``[source, class_logits]``
            (``[batch, 1]``, ``[batch, num_classes]``), e.g.
            ``kgen.networks.dcgan_discriminator(..., num_classes=10,
            auxiliary_classifier=True)``.
        num_classes: int >= 2; labels are ints in ``[0, num_classes)``.
        class_weight: float >= 0, the weight of the class terms (1 in the paper).
        **kwargs: as ``GAN``.

    Call arguments:
        inputs: ``[z, labels]``. Returns G(z, labels).

    Raises:
        ValueError: as ``ConditionalGAN``, and naming ``class_weight``, or
            ``discriminator`` without a ``[batch, num_classes]`` class head.

    Example:

    >>> acgan = kgen.models.gan.ACGAN(
    ...     kgen.networks.dcgan_generator(100, (28, 28, 1), num_classes=10),
    ...     kgen.networks.dcgan_discriminator((28, 28, 1), num_classes=10,
    ...                                       auxiliary_classifier=True),
    ...     num_classes=10, seed=0)
    >>> acgan.sample(10, labels=range(10))
    """

    label_inputs = ("generator",)
    auxiliary_metric_names = ("d_class_loss", "real_accuracy", "g_class_loss",
                              "fake_accuracy")

    def __init__(self, generator, discriminator, num_classes=10, class_weight=1.0, **kwargs):
        num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
        class_weight = checks.non_negative_float("class_weight", class_weight)
        outputs = getattr(discriminator, "output_shape", None)  # None: a config to load
        if outputs is not None and not (isinstance(outputs, list) and len(outputs) == 2
                                        and tuple(outputs[1]) == (None, num_classes)):
            raise ValueError(f"`discriminator` must output [source, class_logits] with "
                             f"class_logits of shape [batch, {num_classes}]. Received: a "
                             f"discriminator with output shape {outputs}")
        super().__init__(generator, discriminator, **kwargs)
        self.num_classes, self.class_weight = num_classes, class_weight

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def critic(self, x, labels, training):
        source, logits = self.discriminator(x, training=training)
        return gan_losses.per_example(source), logits

    def class_terms(self, logits, labels):
        """``(L_C = -log P(C = labels | x) in nats, accuracy)``, each ``[batch]``."""
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        hit = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels),
                      tf.float32)
        return nll, hit

    def discriminator_auxiliary(self, real_aux, fake_aux, labels):
        real_nll, real_hit = self.class_terms(real_aux, labels)
        fake_nll, _ = self.class_terms(fake_aux, labels)
        d_class = real_nll + fake_nll
        return self.class_weight * d_class, {"d_class_loss": d_class,
                                             "real_accuracy": real_hit}

    def generator_auxiliary(self, fake_aux, labels):
        nll, hit = self.class_terms(fake_aux, labels)
        return self.class_weight * nll, {"g_class_loss": nll, "fake_accuracy": hit}

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "class_weight": self.class_weight}

    @staticmethod
    def _network_kwargs(model_args):
        return {"num_classes": model_args.get("num_classes"), "auxiliary_classifier": True}


__all__ = ["ACGAN"]
