"""Metrics of generative models: test NLL, bits/dim (FID/IS/KID come with the GAN family)."""

from kgen.metrics.likelihood import bits_per_dim, likelihood_method, nll  # noqa: F401
