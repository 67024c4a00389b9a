"""Small flow models and data shared by the flow tests (and the 2-replica subprocess)."""

import numpy as np

from kgen.models.flows import MAF, RealNVP


def randomize(module, scale=0.2, seed=0):
    """Moves every trainable weight of ``module`` (a built layer or model) by
    N(0, scale^2): a flow far from the identity, so checks see real maths."""
    rng = np.random.default_rng(seed)
    for w in module.trainable_weights:
        w.assign(w.numpy() + scale * rng.normal(size=w.shape).astype("float32"))
    return module


def levels(n=4, shape=(4, 4, 1), seed=0):
    """8-bit pixel levels 0..255 as float32."""
    return np.random.default_rng(seed).integers(0, 256, (n,) + shape).astype("float32")


def conditional_data(n, seed):
    """x = (c, c^2) + 0.1 noise for a context c ~ U[-1, 1]: p(x | c) is a small blob
    that moves with c, while p(x) is a parabola."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-1, 1, (n, 1)).astype("float32")
    x = np.concatenate([c, c ** 2], axis=1) + 0.1 * rng.normal(size=(n, 2))
    return x.astype("float32"), c


def tiny_image_realnvp():
    """8-bit 4x4 images: dequantization, logit, 2 scales (a squeeze), ActNorm
    initialized from data, weights moved off the identity (seed 0)."""
    model = RealNVP(event_shape=(4, 4, 1), num_scales=2, num_couplings=1, filters=4,
                    num_blocks=1, num_levels=256, logit_alpha=0.05, seed=0)
    model.initialize_from_data(levels(16, seed=1), seed=0)
    return randomize(model, scale=0.1)


def tiny_conditional_maf():
    """2 conditional MAF steps with ActNorm, weights moved off the identity (seed 0)."""
    model = MAF(num_flows=2, hidden_units=(16, 16), context_units=1, seed=0)
    x, c = conditional_data(64, seed=1)
    model.initialize_from_data(x, c)
    return randomize(model)
