"""Train a VAE on statically binarized MNIST with the Python API.

A 2-D latent space, so the decoder's manifold can be drawn (Kingma & Welling
2014, arXiv:1312.6114, fig. 4). Writes ``examples/latent_manifold.png`` and
prints the test ELBO and the importance-sampled test NLL (nats).

    python examples/vae_binarized_mnist.py --epochs 10
"""

import argparse
import os

import keras

import kgen
import kgen.callbacks
import kgen.data
import kgen.metrics

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--epochs", type=int, default=10)
args = parser.parse_args()
here = os.path.dirname(os.path.abspath(__file__))

keras.utils.set_random_seed(0)
train = kgen.data.load("binarized_mnist", "train", batch_size=100, shuffle=True, seed=0)
test = kgen.data.load("binarized_mnist", "test", batch_size=100)

model = kgen.models.vae.VAE(latent_dim=2, seed=0)  # 784-200-200-2 tanh, Bernoulli
model.compile(optimizer=keras.optimizers.Adam(1e-3))
model.fit(train, epochs=args.epochs, validation_data=test, verbose=2,
          callbacks=[kgen.callbacks.LatentManifold(grid_size=20, png_dir=here)])

print("test ELBO (nats):", model.evaluate(test, return_dict=True, verbose=0)["elbo"])
print("test NLL, k=1000 (nats):", kgen.metrics.nll(model, test, num_samples=1000)["nll"])
