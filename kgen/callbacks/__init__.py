"""Keras callbacks for generative models.

- ``SampleGrid``: a grid of samples to PNG and TensorBoard every few epochs.
- ``FilterGrid``: an energy model's first-layer filters to PNG and TensorBoard.
- ``LatentManifold`` / ``latent_manifold_image``: the decoded grid of a 2-D
  latent space (Kingma & Welling 2014, fig. 4).
- ``KLWarmup``: linear warm-up of a VAE's KL weight.
- ``SampleQuality``: FID / KID / precision-recall / IS of samples every few epochs,
  into the logs (so checkpoints can be chosen by FID) and TensorBoard.
- ``NaNGuard``: stop on a non-finite loss and keep the last good weights.
- ``TimeLimit``: stop after a wall-time budget.
"""

from kgen.callbacks._images import tile as tile_images
from kgen.callbacks.filter_grid import FilterGrid
from kgen.callbacks.kl_warmup import KLWarmup
from kgen.callbacks.latent_manifold import LatentManifold, latent_manifold_image
from kgen.callbacks.nan_guard import NaNGuard
from kgen.callbacks.sample_grid import SampleGrid
from kgen.callbacks.sample_quality import SampleQuality
from kgen.callbacks.time_limit import TimeLimit

__all__ = [
    "FilterGrid",
    "KLWarmup",
    "LatentManifold",
    "NaNGuard",
    "SampleGrid",
    "SampleQuality",
    "TimeLimit",
    "latent_manifold_image",
    "tile_images",
]
