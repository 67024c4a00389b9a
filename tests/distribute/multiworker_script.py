"""One worker of a two-worker MultiWorkerMirroredStrategy run of a small VAE.

Run by ``test_multiworker.py``, twice, each with its own ``TF_CONFIG``; trains
one short epoch with ``fit`` and writes its final loss and weights to the
``.npz`` file named by its first argument.
"""

import sys

from kgen import distribute

strategy = distribute.strategy("multiworker")  # before any op

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import kgen  # noqa: E402

EVENT_SHAPE, LATENT_DIM = (8, 8, 1), 4
GLOBAL_BATCH, STEPS = 16, 4


def digits_dataset():
    """The first 64 digits, binarized at half intensity, in global batches of 16."""
    images = load_digits().images[: GLOBAL_BATCH * STEPS]
    x = (images / 16.0 > 0.5).astype(np.float32)[..., None]
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return tf.data.Dataset.from_tensor_slices(x).batch(GLOBAL_BATCH).with_options(options)


def main(out_path):
    with strategy.scope():
        model = kgen.models.vae.VAE(
            event_shape=EVENT_SHAPE, latent_dim=LATENT_DIM,
            encoder=kgen.networks.mlp_encoder(EVENT_SHAPE, (16,)),
            decoder=kgen.networks.mlp_decoder(LATENT_DIM, EVENT_SHAPE, (16,)),
            seed=0)
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
    initial = model.get_weights()
    history = model.fit(digits_dataset(), epochs=1, verbose=0)
    final = model.get_weights()
    np.savez(out_path, loss=history.history["loss"][0],
             replicas=strategy.num_replicas_in_sync,
             change=max(float(np.abs(a - b).max()) for a, b in zip(final, initial)),
             **{f"w{i}": w for i, w in enumerate(final)})


if __name__ == "__main__":
    main(sys.argv[1])
