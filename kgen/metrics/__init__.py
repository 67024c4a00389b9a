"""Metrics of generative models: test NLL, bits/dim (FID/IS/KID come with the GAN family)."""

from kgen.metrics.likelihood import bits_per_dim, likelihood_method, nll  # noqa: F401
from kgen.metrics.ais import PAPER_SCHEDULE, ais_log_partition, paper_betas  # noqa: F401
from kgen.metrics.partition import exact_log_partition  # noqa: F401
