"""``ConditionalGAN``: G(z, y) and D(x, y), the labels fed into both networks."""

from kgen import checks
from kgen.models.gan import losses as gan_losses
from kgen.models.gan._conditioning import Conditional
from kgen.models.gan.gan import GAN
from kgen.models.registry import register


@register("conditional_gan")
class ConditionalGAN(Conditional, GAN):
    """A conditional GAN (Mirza & Osindero 2014, arXiv:1411.1784, eq. 2): the generator
    G(z, y) and the discriminator D(x, y) both take the class label y, so D judges
    whether x is a real example *of class y* and G learns p(x | y).

    Training is ``GAN``'s step (``n_critic`` critic steps on strided chunks, any of
    its losses, the gradient penalty with respect to x, EMA) on ``(x, labels)``
    batches: each fake of a step is drawn for the label of a real example of the
    same chunk, so fakes follow the data's class frequencies. ``fit`` reports
    ``GAN``'s metrics.

    Args:
        generator: ``keras.Model`` from ``[z, labels]`` (``[batch, latent_dim]``
            float, ``[batch]`` int) to ``[batch, *event_shape]``, e.g.
            ``kgen.networks.dcgan_generator(..., num_classes=10)``.
        discriminator: ``keras.Model`` from ``[x, labels]`` to raw outputs, e.g.
            ``kgen.networks.dcgan_discriminator(..., num_classes=10)``.
        num_classes: int >= 2; labels are ints in ``[0, num_classes)``.
        **kwargs: as ``GAN`` (``loss``, ``n_critic``, ``ema_decay``, ``seed``, ...).

    Call arguments:
        inputs: ``[z, labels]``. Returns G(z, labels) (the training generator).

    Raises:
        ValueError: as ``GAN``, naming ``num_classes``, or ``generator`` /
            ``discriminator`` without a labels input; ``y`` / ``labels`` when they are
            missing or outside ``[0, num_classes)``.

    Example:

    >>> cgan = kgen.models.gan.ConditionalGAN(
    ...     kgen.networks.dcgan_generator(100, (28, 28, 1), num_classes=10),
    ...     kgen.networks.dcgan_discriminator((28, 28, 1), num_classes=10),
    ...     num_classes=10, seed=0)
    >>> cgan.compile(optimizer={"generator": keras.optimizers.Adam(2e-4, 0.5),
    ...                         "discriminator": keras.optimizers.Adam(2e-4, 0.5)})
    >>> cgan.fit(images, labels, batch_size=64, epochs=10)
    >>> cgan.sample(10, labels=range(10))   # one of each class, in [-1, 1]
    """

    label_inputs = ("generator", "discriminator")

    def __init__(self, generator, discriminator, num_classes=10, **kwargs):
        num_classes = checks.positive_int("num_classes", num_classes, minimum=2)
        super().__init__(generator, discriminator, **kwargs)
        self.num_classes = num_classes

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def critic(self, x, labels, training):
        return gan_losses.per_example(self.discriminator([x, labels], training=training)), None

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


__all__ = ["ConditionalGAN"]
