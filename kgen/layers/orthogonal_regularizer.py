"""BigGAN's orthogonal regularization: the squared off-diagonal Gram entries of a kernel."""

import keras

from kgen import checks
from kgen.serialization import register_serializable


@register_serializable
class OffDiagonalOrthogonalRegularizer(keras.regularizers.Regularizer):
    """BigGAN's orthogonal regularization (Brock et al. 2019, arXiv:1809.11096, sec. 3.1)::

        R(W) = factor * || W^T W (.) (1 - I) ||_F^2 = factor * sum_{i != j} (w_i . w_j)^2

    where the columns ``w_i`` of ``W`` are the kernel's output filters: a kernel of any
    rank is read as ``[-1, filters]`` (a Dense ``[in, units]`` as it is, a Conv2D
    ``[kh, kw, in, filters]`` flattened over its first three axes, which is the
    ``[filters, -1]`` view of BigGAN's code transposed). The diagonal (the filters'
    norms) is left free, unlike full orthogonality ``||W^T W - I||^2`` (Brock et al.
    2017), so it can be used with spectral normalization; it is 0 for any kernel with
    orthogonal columns. BigGAN uses ``factor`` = 1e-4 on the generator.

    Not ``keras.regularizers.OrthogonalRegularizer``: that one L2-normalizes the rows
    (or columns) first and takes the *mean absolute* off-diagonal cosine,
    ``factor * sum |cos_ij| / (n (n - 1))``: scale-free, L1 and averaged, so a
    different penalty and gradient from BigGAN's squared, unnormalized inner products.

    Note: ``keras.layers.SpectralNormalization`` stores the normalized kernel ``W / sigma``
    in the wrapped layer's variable during training, so on such a layer the penalty
    sees the spectrally normalized kernel.

    Args:
        factor: float >= 0, beta of the paper.

    Input shape (of ``__call__``):
        a kernel of rank >= 1, ``[..., filters]``.

    Returns:
        a scalar.

    Raises:
        ValueError / TypeError: naming ``factor``.

    Example:

    >>> reg = kgen.layers.OffDiagonalOrthogonalRegularizer(1e-4)
    >>> layer = keras.layers.Conv2D(64, 3, kernel_regularizer=reg)
    """

    def __init__(self, factor=1e-4):
        self.factor = checks.non_negative_float("factor", factor)

    def __call__(self, kernel):
        ops = keras.ops
        w = ops.reshape(kernel, (-1, kernel.shape[-1]))
        gram = ops.matmul(ops.transpose(w), w)
        off_diagonal = gram * (1.0 - ops.eye(kernel.shape[-1], dtype=gram.dtype))
        return self.factor * ops.sum(ops.square(off_diagonal))

    def get_config(self):
        return {"factor": self.factor}


__all__ = ["OffDiagonalOrthogonalRegularizer"]
