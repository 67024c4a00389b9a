"""Argument checks shared by the sample-quality metrics (FID, IS, KID, precision/recall).

Every check raises a ``ValueError`` (or ``TypeError``) that names the argument
and what was received, as ``kgen.checks`` does.
"""

import numpy as np


def numeric_array(name, x):
    """``x`` as a NumPy array of numbers (a tensor is converted), else ``TypeError``."""
    try:
        arr = np.asarray(x)
    except Exception as e:  # pragma: no cover - exotic inputs
        raise TypeError(f"`{name}` must be array-like. Received: {type(x).__name__}") from e
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"`{name}` must hold numbers. Received: {name} of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"`{name}` must hold real numbers. Received: {name} of dtype {arr.dtype}")
    return arr


def finite(name, arr):
    """Raises ``ValueError`` naming ``name`` if ``arr`` holds a NaN or an Inf."""
    bad = ~np.isfinite(arr)
    if np.any(bad):
        raise ValueError(f"`{name}` must be finite. Received: {name} with "
                         f"{int(np.sum(bad))} NaN/Inf values")
    return arr


def features(name, x, min_samples=2):
    """Checks a ``[num_samples, num_features]`` feature array; returns it as float64.

    Raises:
        TypeError: if ``x`` does not hold real numbers.
        ValueError: if ``x`` is not 2-D, has no feature column, fewer than
            ``min_samples`` rows, or a NaN/Inf.
    """
    arr = numeric_array(name, x)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"`{name}` must be a 2-D array [num_samples, num_features]. "
                         f"Received: {name}.shape={arr.shape}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"`{name}` must hold at least {min_samples} samples (rows). "
                         f"Received: {name}.shape={arr.shape}")
    return finite(name, arr.astype(np.float64))


def same_num_features(name_1, arr_1, name_2, arr_2):
    """Raises ``ValueError`` if two feature arrays (or vectors) differ in their last size."""
    if arr_1.shape[-1] != arr_2.shape[-1]:
        raise ValueError(
            f"`{name_1}` and `{name_2}` must have the same number of features (last axis). "
            f"Received: {name_1}.shape={arr_1.shape} and {name_2}.shape={arr_2.shape}")
