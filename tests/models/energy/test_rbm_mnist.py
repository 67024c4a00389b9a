"""A short CD-1 run on binarized MNIST: the exact pseudo-log-likelihood and NLL improve."""

import keras
import numpy as np
import pytest

import kgen.data
import kgen.metrics
from kgen.models.energy import RBM


@pytest.mark.slow
def test_cd1_raises_the_validation_pseudo_log_likelihood_and_exact_likelihood():
    # 16 hidden units, so log Z is exact (2^16 hidden states). 2,000 training images,
    # 5 epochs of CD-1 at batch 20, SGD 0.05 with momentum 0.5, about 8 s. Seeds 0-2:
    # from -208.8 nats (the data-initialized start is the base-rate model: its PLL
    # is its log-likelihood) to PLL -168.6..-169.4 and NLL 176.2..178.1 on 500
    # validation images.
    train = kgen.data.load("binarized_mnist", "train").take(2000).batch(20)
    validation = np.concatenate(
        [b.numpy() for b in kgen.data.load("binarized_mnist", "validation").take(500)
         .batch(500)])
    model = RBM(event_shape=(28, 28, 1), num_hidden=16, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
    model.initialize_from_data(np.concatenate([b.numpy() for b in train]))

    def measure():
        model.set_log_partition(kgen.metrics.exact_log_partition(model))
        return (float(np.mean(model.pseudo_log_likelihood(validation))),
                kgen.metrics.nll(model, validation, verbose=0)["nll"])

    pll_before, nll_before = measure()
    model.fit(train, epochs=5, verbose=0)
    pll_after, nll_after = measure()
    assert pll_after > pll_before + 30.0 and pll_after > -175.0
    assert nll_after < nll_before - 25.0 and nll_after < 182.0
