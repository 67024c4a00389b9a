"""The VAE family: VAE, IWAE, IAF, planar and radial posteriors, flow priors, on TFP."""

from kgen.models.vae.iwae import IWAE  # noqa: F401
from kgen.models.vae.likelihoods import (  # noqa: F401
    BernoulliLikelihood,
    DiscretizedLogisticLikelihood,
    GaussianLikelihood,
)
from kgen.models.vae.posteriors import GaussianPosterior  # noqa: F401
from kgen.models.vae.vae import VAE  # noqa: F401
from kgen.models.vae.iaf import IAFPosterior  # noqa: F401
from kgen.models.vae.flow_posterior import PlanarPosterior, RadialPosterior  # noqa: F401
from kgen.models.vae.priors import FlowPrior, StandardNormalPrior  # noqa: F401
