"""The committed `savedmodels/vae_binarized_mnist/1` serves a trained VAE."""

import pathlib

import numpy as np
import tensorflow as tf

import kgen.data

PATH = pathlib.Path(__file__).resolve().parents[2] / "savedmodels" / "vae_binarized_mnist" / "1"


def test_committed_savedmodel_serves_a_trained_vae():
    loaded = tf.saved_model.load(str(PATH))
    assert set(loaded.signatures) >= {"serving_default", "sample", "encode", "decode", "elbo"}
    x = next(iter(kgen.data.load("binarized_mnist", "test", batch_size=200)))
    elbo = loaded.signatures["elbo"](x=x)["elbo"].numpy()
    # Exported from the best weights of benchmarks/results/
    # nll_vae_binarized_mnist_burda_xla.json (test NLL 88.28, test ELBO -93.2 nats
    # over all 10k images; -93.35 on these 200; an untrained model: about -543).
    assert elbo.shape == (200,) and -100.0 < elbo.mean() < -88.0
    z = loaded.signatures["encode"](x=x)["z"]
    assert z.shape == (200, 50)
    reconstruction = loaded.signatures["decode"](z=z)["x"].numpy()
    assert np.mean((reconstruction > 0.5) == x.numpy()) > 0.9
    samples = loaded.signatures["sample"](num_samples=tf.constant(4))["x"].numpy()
    assert samples.shape == (4, 28, 28, 1) and set(np.unique(samples)) <= {0.0, 1.0}
