"""``FilterGrid``: the first layer's filters of an energy model as images, every few epochs."""

import keras
import numpy as np

from kgen import checks
from kgen.callbacks import _images
from kgen.callbacks.sample_grid import SampleGrid


def filter_images(weights, event_shape, num_filters):
    """The first ``num_filters`` columns of ``weights`` ``[D, H]`` as images
    ``[n, *event_shape]`` in [0, 1]: each filter w scaled by its own largest |w|,
    0.5 + w / (2 max |w|), so grey is 0, white excitatory and black inhibitory."""
    w = np.asarray(weights, np.float32)[:, :num_filters].T
    scale = np.abs(w).max(axis=1, keepdims=True)
    w = 0.5 + 0.5 * w / np.where(scale > 0, scale, 1.0)
    return w.reshape((len(w),) + tuple(event_shape))


class FilterGrid(SampleGrid):
    """Writes the filters of a model's first layer to PNG files and TensorBoard.

    After every ``every`` epochs the callback reads ``model.filters()``, the
    ``[D, H]`` weights between the D visible units and the first hidden layer
    (an RBM's ``kernel``, a DBN's bottom RBM's, a DBM's ``kernel_1``), and tiles
    the first ``num_filters`` hidden units' weight vectors as images of the
    model's event shape (``filter_images``). Beside ``SampleGrid``, whose
    samples are the Gibbs chains' states, it is what Hinton's guide (2010,
    sec. 15) suggests watching while an RBM trains.

    Files: ``png_dir/filters_epoch_{epoch:04d}.png`` (epochs from 1) and a
    TensorBoard image summary ``filters`` in ``log_dir/filters`` whose step is
    the 0-based epoch; with both ``None`` only ``last_grid`` is kept (as
    ``SampleGrid``, whose writing it inherits).

    Args:
        num_filters: int >= 1, the filters shown (at most H).
        every: int >= 1, write after every ``every``-th epoch.
        log_dir: TensorBoard log directory, or ``None``.
        png_dir: directory for the PNG files, or ``None``.
        padding: int >= 0, pixels of grey border around each filter.

    Attributes:
        last_grid: float32 ``[rows * h, cols * w, 1]`` NumPy array, or ``None``.

    Raises:
        ValueError / TypeError: on invalid arguments; ``ValueError`` during
            training if the model's event shape is not an image's.

    Example:

    >>> filters = kgen.callbacks.FilterGrid(100, png_dir="runs/rbm/samples")
    >>> rbm.fit(train, epochs=10, callbacks=[filters])
    """

    kind = "filters"

    def __init__(self, num_filters=100, every=1, log_dir=None, png_dir=None, padding=1):
        num_filters = checks.positive_int("num_filters", num_filters)
        super().__init__(num_samples=num_filters, every=every, log_dir=log_dir,
                         png_dir=png_dir, padding=padding)

    def draw(self):
        """The filters tiled, ``[rows * h, cols * w, c]``."""
        images = filter_images(keras.ops.convert_to_numpy(self.model.filters()),
                               self.model.event_shape, self.num_samples)
        return _images.tile(_images.as_image_batch(images, name="model.filters()"),
                            padding=self.padding)
