"""Model families of kgen. ``get(name)`` returns a registered model class."""

from kgen.models.base import GenerativeModel  # noqa: F401
from kgen.models.registry import available, get, register  # noqa: F401
from kgen.models import vae  # noqa: F401  (registers the VAE family)
from kgen.models import baselines  # noqa: F401  (registers BernoulliMixture)
from kgen.models import gan  # noqa: F401  (the GAN family)
from kgen.models import flows  # noqa: F401  (normalizing flows)
from kgen.models import autoregressive  # noqa: F401  (autoregressive models)
from kgen.models import energy  # noqa: F401  (energy-based models)
