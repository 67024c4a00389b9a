"""Baselines: simple exact-likelihood models that the deep families are measured against."""

from kgen.models.baselines.bernoulli_mixture import BernoulliMixture  # noqa: F401
