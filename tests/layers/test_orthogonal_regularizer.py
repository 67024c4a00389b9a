"""OffDiagonalOrthogonalRegularizer: BigGAN's formula, 0 for orthogonal columns, not
Keras's OrthogonalRegularizer, serialization, bad input."""

import keras
import numpy as np

from kgen import testing
from kgen.layers import OffDiagonalOrthogonalRegularizer


def _formula(w, factor):
    w = w.reshape(-1, w.shape[-1]).astype(np.float64)
    gram = w.T @ w
    return factor * ((gram * (1 - np.eye(len(gram)))) ** 2).sum()


def test_penalty_equals_the_formula_for_dense_and_conv_kernels():
    rng = np.random.default_rng(0)
    reg = OffDiagonalOrthogonalRegularizer(0.1)
    for shape in [(5, 3), (3, 3, 2, 4)]:
        w = rng.normal(size=shape).astype(np.float32)
        np.testing.assert_allclose(float(reg(keras.ops.convert_to_tensor(w))),
                                   _formula(w, 0.1), rtol=1e-5)


def test_penalty_is_0_for_orthogonal_columns_of_any_norm():
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 4)))
    reg = OffDiagonalOrthogonalRegularizer(1.0)
    assert abs(float(reg(keras.ops.convert_to_tensor(q.astype(np.float32))))) < 1e-10
    scaled = np.diag([3.0, 0.5, 2.0]).astype(np.float32)  # the norms are left free
    assert float(reg(keras.ops.convert_to_tensor(scaled))) == 0.0


def test_it_is_not_keras_orthogonal_regularizer():
    # Keras's normalizes and averages |cos|: blind to scale; BigGAN's grows as scale^4.
    w = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    ours, theirs = OffDiagonalOrthogonalRegularizer(1.0), keras.regularizers.OrthogonalRegularizer(
        1.0, mode="columns")
    ratio_ours = float(ours(keras.ops.convert_to_tensor(2 * w))) / float(
        ours(keras.ops.convert_to_tensor(w)))
    ratio_theirs = float(theirs(keras.ops.convert_to_tensor(2 * w))) / float(
        theirs(keras.ops.convert_to_tensor(w)))
    np.testing.assert_allclose([ratio_ours, ratio_theirs], [16.0, 1.0], rtol=1e-5)


def test_serialization_and_use_in_a_layer(tmp_path):
    reg = OffDiagonalOrthogonalRegularizer(1e-4)
    config = keras.regularizers.serialize(reg)
    assert config["registered_name"] == "kgen.layers>OffDiagonalOrthogonalRegularizer"
    assert keras.regularizers.deserialize(config).factor == 1e-4
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_regularizer=reg)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(float(loaded.losses[0]),
                               _formula(loaded.layers[0].kernel.numpy(), 1e-4), rtol=1e-5)


def test_bad_factor_raises_naming_it():
    testing.assert_raises_naming(ValueError, "factor", OffDiagonalOrthogonalRegularizer, -1.0)
    testing.assert_raises_naming(TypeError, "factor", OffDiagonalOrthogonalRegularizer, "big")
