"""GANs: the losses, DCGAN, conditional GANs, InfoGAN, ALI/BiGAN (implicit models judged by sample metrics)."""

from kgen.models.gan import losses  # noqa: F401
from kgen.models.gan.gan import GAN  # noqa: F401
from kgen.models.gan.acgan import ACGAN  # noqa: F401
from kgen.models.gan.conditional_gan import ConditionalGAN  # noqa: F401
from kgen.models.gan.bigan import BiGAN  # noqa: F401
from kgen.models.gan.infogan import InfoGAN  # noqa: F401
from kgen.models.gan.fgan import FGAN  # noqa: F401
from kgen.models.gan import lectures  # noqa: F401
from kgen.models.gan.cyclegan import CycleGAN  # noqa: F401
from kgen.models.gan.biggan import BigGAN  # noqa: F401
from kgen.models.gan.progressive_gan import ProgressiveGAN  # noqa: F401
from kgen.models.gan.standing_statistics import recompute_ema_statistics  # noqa: F401
