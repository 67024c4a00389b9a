"""Builders of standard architectures; each returns a functional ``keras.Model``."""

from kgen.networks.conv import conv_decoder, conv_encoder  # noqa: F401
from kgen.networks.dense import mlp_decoder, mlp_encoder  # noqa: F401
from kgen.networks.gan import dcgan_discriminator, dcgan_generator, mlp_discriminator, mlp_generator  # noqa: F401,E501
from kgen.networks.gan_joint import dcgan_encoder, dcgan_joint_discriminator, mlp_gan_encoder, mlp_joint_discriminator  # noqa: F401,E501
from kgen.networks.cyclegan import cyclegan_generator, patchgan_discriminator  # noqa: F401
from kgen.networks.biggan import biggan_discriminator, biggan_generator  # noqa: F401
from kgen.networks.progressive import ProgressiveDiscriminator, ProgressiveGenerator, progressive_discriminator, progressive_generator  # noqa: F401,E501
