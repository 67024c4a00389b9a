"""Energy-based models: Boltzmann machines, RBMs with CD-k and PCD, DBN, DBM; AIS for log Z.

- ``FVBM``: fully visible Boltzmann machine with a temperature, Gibbs sampling, exact
  ``log_prob`` by enumeration (<= 20 units), exact maximum likelihood or CD-k.
- ``RBM``: Bernoulli-Bernoulli restricted Boltzmann machine, CD-k / PCD training,
  ``free_energy``, block Gibbs sampling, ``log_prob`` from a stored log Z.
- ``GaussianRBM``: Gaussian-Bernoulli RBM for real-valued data (sigma fixed or learned),
  the RBM's CD-k / PCD, exact log Z by enumerating the hidden units.
- ``DBN``: deep belief network, a stack of RBMs trained greedily layer by layer
  (``train_layer(i)`` then ``fit``), top-down sampling, its variational lower bound.
- ``DBM``: deep Boltzmann machine, mean-field posterior, persistent chains, greedy
  pre-training with doubled weights, its variational lower bound, exact log Z (tiny).
- ``dbm_ais_log_partition``: AIS of a DBM's log Z, the odd layers summed out.
- ``base_rate_logits``: logits of smoothed pixel means (visible-bias start, AIS base).
- ``kgen.metrics.exact_log_partition`` / ``ais_log_partition`` estimate log Z.
"""

from kgen.models.energy.dbm import DBM  # noqa: F401
from kgen.models.energy.dbm_ais import dbm_ais_log_partition  # noqa: F401
from kgen.models.energy.dbn import DBN  # noqa: F401
from kgen.models.energy.fvbm import FVBM  # noqa: F401
from kgen.models.energy.gaussian_rbm import GaussianRBM  # noqa: F401
from kgen.models.energy.partition import base_rate_logits  # noqa: F401
from kgen.models.energy.rbm import RBM  # noqa: F401
