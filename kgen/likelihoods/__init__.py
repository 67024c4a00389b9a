"""Observation models p(x | params) shared by every family, as Keras layers over TFP.

A likelihood layer turns a network's output ``params`` (a VAE's decoder, a PixelCNN's
last layer) into a ``tfd.Independent`` distribution over one example, whose ``log_prob``
is in nats per example. Learned scales live in the layer, so the network outputs only
``params_shape`` values per example: ``event_shape`` for the Bernoulli, Gaussian and
discretized logistic likelihoods, ``event_shape + (num_bins,)`` logits for the
categorical one.

Every likelihood offers (``INTERFACE``, what a model asks of it besides
``call(params) -> tfd distribution``):

- ``mean(params)``: ``[..., *event_shape]``, the picture a model shows as its mean;
- ``sample(params, noise)``: a sample ``[..., *event_shape]`` from noise with the shape
  of ``params``, drawn by the model (``GenerativeModel.uniform`` / ``standard_normal``),
  so that every random number comes from the model's one noise source;
- ``noise``: ``"uniform"`` or ``"normal"``, the noise ``sample`` takes;
- ``binary``, ``integer``, ``data_range``: the support, which models check their data
  against (``kgen.checks.data_array``); ``data_range`` is ``(low, high)`` or ``None``.

Example:

>>> likelihood = kgen.likelihoods.get("bernoulli", (28, 28, 1))
>>> likelihood(tf.zeros((2, 28, 28, 1))).log_prob(tf.ones((2, 28, 28, 1))).shape
TensorShape([2])
"""

from kgen import checks
from kgen.likelihoods.bernoulli import BernoulliLikelihood
from kgen.likelihoods.categorical import CategoricalLikelihood
from kgen.likelihoods.gaussian import GaussianLikelihood
from kgen.likelihoods.logistic import DiscretizedLogisticLikelihood

# What a model asks of a likelihood layer besides ``call(params) -> tfd``.
INTERFACE = ("mean", "sample", "binary", "data_range", "noise")

LIKELIHOODS = {
    "bernoulli": BernoulliLikelihood,
    "categorical": CategoricalLikelihood,
    "gaussian": GaussianLikelihood,
    "logistic": DiscretizedLogisticLikelihood,
}


def get(name, event_shape):
    """Builds the likelihood layer registered as ``name``.

    Args:
        name: one of ``LIKELIHOODS`` (``"bernoulli"``, ``"categorical"``,
            ``"gaussian"``, ``"logistic"``).
        event_shape: shape of one example.

    Returns:
        The layer, named ``"<name>_likelihood"``.

    Raises:
        ValueError: if ``name`` is unknown.
    """
    checks.one_of("likelihood", name, LIKELIHOODS)
    return LIKELIHOODS[name](event_shape, name=f"{name}_likelihood")


__all__ = ["BernoulliLikelihood", "CategoricalLikelihood", "DiscretizedLogisticLikelihood",
           "GaussianLikelihood", "INTERFACE", "LIKELIHOODS", "get"]
