"""The VAE family: VAE, IWAE, IAF posteriors, on TFP distributions."""

from kgen.models.vae.iwae import IWAE  # noqa: F401
from kgen.models.vae.likelihoods import (  # noqa: F401
    BernoulliLikelihood,
    DiscretizedLogisticLikelihood,
    GaussianLikelihood,
)
from kgen.models.vae.posteriors import GaussianPosterior  # noqa: F401
from kgen.models.vae.vae import VAE  # noqa: F401
from kgen.models.vae.iaf import IAFPosterior  # noqa: F401
