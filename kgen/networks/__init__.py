"""Builders of standard architectures; each returns a functional ``keras.Model``."""

from kgen.networks.conv import conv_decoder, conv_encoder  # noqa: F401
from kgen.networks.dense import mlp_decoder, mlp_encoder  # noqa: F401
