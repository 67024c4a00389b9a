"""``LatentManifold``: the decoder's image of a grid over a 2-D latent space."""

import os

import keras
import numpy as np

from kgen import checks
from kgen.callbacks import _images


def _check_latent_dim(model):
    latent_dim = getattr(model, "latent_dim", None)
    if latent_dim != 2:
        raise ValueError(
            "The latent manifold needs a model with a 2-D latent space. "
            f"Received: model {type(model).__name__} with latent_dim={latent_dim}"
        )


def latent_manifold_image(model, grid_size=20, padding=0):
    """Decodes a grid of latent codes of a model with ``latent_dim == 2``.

    The noise ``eps`` sits at the quantiles ``norm.ppf(linspace(0.05, 0.95,
    grid_size))`` of a standard normal along each axis, so equal steps in
    the grid are equal steps of prior probability mass (Kingma & Welling
    2014, arXiv:1312.6114, fig. 4), and the codes are ``z =
    model.prior.sample(eps)``: ``eps`` itself for the standard-normal prior,
    the flow's image of the grid for a ``FlowPrior`` (whose mass is not where
    a standard normal's is). ``eps_1`` grows from left to right and ``eps_2``
    from bottom to top; each cell shows ``decode(z)``.

    Args:
        model: a model with ``latent_dim == 2`` and ``decode(z)`` returning
            images ``[n, h, w, c]`` (or ``[n, h, w]``); values are clipped
            to [0, 1].
        grid_size: int >= 1, the number of codes along each axis.
        padding: int >= 0, pixels of grey border around each cell.

    Returns:
        float32 NumPy array ``[grid_size * h, grid_size * w, c]`` in [0, 1]
        (``h + 2 * padding`` and ``w + 2 * padding`` with padding).

    Raises:
        ValueError: if ``model.latent_dim != 2`` or the decoded values are
            not images.

    Example:

    >>> image = latent_manifold_image(model, grid_size=20)   # (560, 560, 1) for MNIST
    """
    from scipy.stats import norm

    _check_latent_dim(model)
    grid_size = checks.positive_int("grid_size", grid_size)
    quantiles = norm.ppf(np.linspace(0.05, 0.95, grid_size)).astype(np.float32)
    z1, z2 = np.meshgrid(quantiles, quantiles[::-1])  # row 0 holds the largest z_2
    z = np.stack([z1.ravel(), z2.ravel()], axis=-1)
    prior = getattr(model, "prior", None)
    if prior is not None and callable(getattr(prior, "sample", None)):
        z = prior.sample(z)  # a flow prior's mass is the image of the noise's
    images = _images.to_unit_range(keras.ops.convert_to_numpy(model.decode(z)), model)
    return _images.tile(_images.as_image_batch(images, name="model.decode(z)"),
                        columns=grid_size, padding=padding)


class LatentManifold(keras.callbacks.Callback):
    """Writes the learned 2-D latent manifold (``latent_manifold_image``) as an image.

    At the end of training, and after every ``every``-th epoch if ``every``
    is set, the callback writes ``png_dir/latent_manifold.png`` (overwritten,
    so it always holds the latest manifold) and a TensorBoard image summary
    ``latent_manifold`` in ``log_dir/samples`` whose step is the 0-based
    epoch.

    Args:
        grid_size: int >= 1, latent codes along each axis.
        every: ``None`` (only at the end of training) or int >= 1.
        log_dir: TensorBoard log directory, or ``None``.
        png_dir: directory of ``latent_manifold.png``, or ``None``.
        padding: int >= 0, pixels of grey border around each cell.

    Attributes:
        last_image: the latest manifold as a NumPy array, or ``None``.

    Raises:
        ValueError: at the start of training if the model's ``latent_dim``
            is not 2; at construction on invalid arguments.

    Example:

    >>> model = kgen.models.vae.VAE(latent_dim=2)
    >>> model.fit(train, epochs=20, callbacks=[LatentManifold(png_dir="runs/vae2d")])
    """

    filename = "latent_manifold.png"

    def __init__(self, grid_size=20, every=None, log_dir=None, png_dir=None, padding=0):
        super().__init__()
        self.padding = checks.positive_int("padding", padding, minimum=0)
        self.grid_size = checks.positive_int("grid_size", grid_size)
        self.every = None if every is None else checks.positive_int("every", every)
        self.log_dir = log_dir
        self.png_dir = png_dir
        self.last_image = None
        self._epoch = 0
        self._written_epoch = None
        self._summary = _images.SummaryImageWriter(
            None if log_dir is None else os.path.join(log_dir, "samples"))

    def on_train_begin(self, logs=None):
        _check_latent_dim(self.model)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch
        if self.every is not None and (epoch + 1) % self.every == 0:
            self._write(epoch)

    def on_train_end(self, logs=None):
        if self._written_epoch != self._epoch:
            self._write(self._epoch)
        self._summary.close()

    def _write(self, step):
        self._written_epoch = step
        self.last_image = latent_manifold_image(self.model, self.grid_size, self.padding)
        if self.png_dir is not None:
            _images.save_png(os.path.join(self.png_dir, self.filename), self.last_image)
        self._summary.write("latent_manifold", self.last_image, step=step)
