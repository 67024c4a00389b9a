"""``SampleGrid``: a grid of model samples after every few epochs."""

import inspect
import math
import os

import keras
import numpy as np

from kgen import checks
from kgen.callbacks import _images


class SampleGrid(keras.callbacks.Callback):
    """Writes a grid of samples to PNG files and TensorBoard during training.

    At the end of every ``every`` epochs the callback draws
    ``model.sample(num_samples, seed=seed, mean=True)``: with a fixed seed the
    latent draws are the same at every epoch, so the grids show how the
    decoder of *one* set of codes improves. Models whose ``sample`` has no
    ``mean`` argument are called as ``model.sample(num_samples, seed=seed)``.
    A class-conditional model (a ``num_classes`` attribute and a ``labels``
    argument of ``sample``, e.g. ``GatedPixelCNN``) gets one class a row:
    ``labels = (i // columns) % num_classes`` for sample ``i``.
    The samples (grey ``[h, w, 1]`` or RGB ``[h, w, 3]`` images with values in
    [0, 1]; values outside are clipped) are tiled into a square grid of
    ``ceil(sqrt(num_samples))`` columns, so 64 samples of 28x28 make a
    224x224 image.

    Files: ``png_dir/samples_epoch_{epoch:04d}.png`` where ``epoch`` counts
    from 1 as in ``keras.callbacks.ModelCheckpoint`` file names, and a
    TensorBoard image summary ``samples`` in ``log_dir/samples`` whose step is
    the 0-based epoch, as the epoch scalars of ``keras.callbacks.TensorBoard``.
    With both directories ``None`` the callback only keeps the latest grid
    in ``last_grid``.

    Args:
        num_samples: int >= 1, the number of samples in the grid.
        every: int >= 1, draw after every ``every``-th epoch.
        log_dir: TensorBoard log directory (e.g. the one given to
            ``keras.callbacks.TensorBoard``), or ``None``.
        png_dir: directory for the PNG files, or ``None``.
        seed: int >= 0, the seed of every draw.
        padding: int >= 0, pixels of grey border around each sample.

    Attributes:
        last_grid: float32 ``[rows * h, cols * w, c]`` NumPy array of the
            latest grid, or ``None``.

    Raises:
        ValueError / TypeError: on invalid arguments; ``ValueError`` during
            training if the model's samples are not images.

    Example:

    >>> grid = kgen.callbacks.SampleGrid(64, log_dir="runs/vae/tensorboard",
    ...                                  png_dir="runs/vae/samples")
    >>> model.fit(train, epochs=10, callbacks=[grid])
    """

    kind = "samples"  # the PNG files' prefix and the summary's name (FilterGrid: filters)

    def __init__(self, num_samples=64, every=1, log_dir=None, png_dir=None, seed=0,
                 padding=0):
        super().__init__()
        self.padding = checks.positive_int("padding", padding, minimum=0)
        self.num_samples = checks.positive_int("num_samples", num_samples)
        self.every = checks.positive_int("every", every)
        self.seed = checks.positive_int("seed", seed, minimum=0)
        self.log_dir = log_dir
        self.png_dir = png_dir
        self.last_grid = None
        self._summary = _images.SummaryImageWriter(
            None if log_dir is None else os.path.join(log_dir, self.kind))

    def draw(self):
        """Draws the samples and returns them tiled, ``[rows * h, cols * w, c]``."""
        images = draw_samples(self.model, self.num_samples, seed=self.seed, mean=True)
        return _images.tile(images, padding=self.padding)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        self.last_grid = self.draw()
        if self.png_dir is not None:
            _images.save_png(
                os.path.join(self.png_dir, f"{self.kind}_epoch_{epoch + 1:04d}.png"),
                self.last_grid)
        self._summary.write(self.kind, self.last_grid, step=epoch)

    def on_train_end(self, logs=None):
        self._summary.close()


def draw_samples(model, num_samples, seed=0, mean=False, labels=None, sampler="auto"):
    """A model's samples as images in [0, 1], the way ``SampleGrid`` and ``kgen sample``
    draw them.

    Args:
        model: a model with ``sample(num_samples, seed=..., **condition)``.
        num_samples: int >= 1.
        seed: int >= 0.
        mean: pass ``mean=True`` where ``sample`` takes it (e.g. a VAE's pixel
            probabilities); ignored otherwise.
        labels: for a class-conditional model (a ``num_classes`` attribute and a
            ``labels`` argument of ``sample``), one int or ``[num_samples]`` ints;
            default one class a row of the square grid, ``(i // columns) %
            num_classes`` for sample ``i``.
        sampler: ``"auto"`` (the exact cached sampler where the model has one,
            ``kgen.models.autoregressive.CachedSampler`` for PixelCNN and Gated
            PixelCNN: the naive sampler's pixels, about 100x faster), ``"naive"``
            (``model.sample``) or ``"cached"`` (refused for other models).

    Returns:
        float32 ``[num_samples, h, w, c]`` NumPy images in [0, 1] (the model's
        ``data_range`` mapped there, e.g. levels 0..255 or a tanh's [-1, 1]).

    Raises:
        ValueError: naming ``sampler`` or ``labels``; ``TypeError`` naming
            ``model`` for ``sampler="cached"`` on a model without a cached sampler.
    """
    if sampler not in ("auto", "naive", "cached"):
        raise ValueError(f"`sampler` must be 'auto', 'naive' or 'cached'. "
                         f"Received: sampler={sampler!r}")
    sample, kwargs = model.sample, {"seed": seed}
    if mean and _accepts_keyword(sample, "mean"):
        kwargs["mean"] = True
    conditional = getattr(model, "num_classes", None) and _accepts_keyword(sample, "labels")
    if conditional:
        if labels is None:
            columns = math.ceil(math.sqrt(num_samples))
            labels = (np.arange(num_samples) // columns) % model.num_classes
        kwargs["labels"] = labels
    elif labels is not None:
        raise ValueError(f"`labels` needs a class-conditional model. Received: labels for "
                         f"{type(model).__name__}")
    if sampler != "naive":
        from kgen.models.autoregressive import CachedSampler, GatedPixelCNN, PixelCNN

        if sampler == "cached" or isinstance(model, (PixelCNN, GatedPixelCNN)):
            sample = CachedSampler(model).sample
    images = keras.ops.convert_to_numpy(sample(num_samples, **kwargs))
    return _images.as_image_batch(_images.to_unit_range(images, model),
                                  name="model.sample(...)")


def _accepts_keyword(fn, name):
    """True if ``fn`` has a parameter called ``name`` (``**kwargs`` does not count:
    the base ``sample(num_samples, seed=None, **condition)`` takes conditions there)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    param = params.get(name)
    return param is not None and param.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
