"""The likelihoods the VAE family uses, now shared by every family in ``kgen.likelihoods``.

This module re-exports them, so ``kgen.models.vae.likelihoods.BernoulliLikelihood``,
``INTERFACE``, ``LIKELIHOODS`` and ``get`` keep working. The classes' serialization
names are ``kgen.likelihoods>...``; files that name them ``kgen>...`` (release 0.1) or
``kgen.vae>...`` still load (``kgen.serialization.LEGACY_NAMES``).
"""

from kgen.likelihoods import (  # noqa: F401
    INTERFACE,
    LIKELIHOODS,
    BernoulliLikelihood,
    CategoricalLikelihood,
    DiscretizedLogisticLikelihood,
    GaussianLikelihood,
    get,
)

__all__ = ["BernoulliLikelihood", "CategoricalLikelihood", "DiscretizedLogisticLikelihood",
           "GaussianLikelihood", "INTERFACE", "LIKELIHOODS", "get"]
