"""The lectures' GAN experiments, as small modules of pure functions.

- ``optimal_discriminator``: against a fixed p_g, D learns p_data / (p_data + p_g)
  (Goodfellow et al. 2014, Prop. 1).
- ``bilinear_game``: on min_x max_y x y, simultaneous steps spiral out by sqrt(1 + h^2)
  a step, alternating ones orbit an ellipse, averaged ones converge (Mescheder et al.
  2017, 2018).
- ``parallel_lines``: JS = log 2 for every theta != 0 while W1 = |theta|; a WGAN critic
  tracks |theta| (Arjovsky et al. 2017, Example 1).
- ``mode_collapse``: modes covered, high-quality fraction and reverse KL on PacGAN's
  toys, mean +- standard error over seeds (Srivastava et al. 2017; Lin et al. 2018).

``critics`` trains a discriminator alone against a fixed distribution (shared by the
first and third); ``plots`` rasterizes line plots for ``examples/gan_lectures.py``.
"""

from kgen.models.gan.lectures import bilinear_game  # noqa: F401
from kgen.models.gan.lectures import critics  # noqa: F401
from kgen.models.gan.lectures import mode_collapse  # noqa: F401
from kgen.models.gan.lectures import optimal_discriminator  # noqa: F401
from kgen.models.gan.lectures import parallel_lines  # noqa: F401
from kgen.models.gan.lectures import plots  # noqa: F401
