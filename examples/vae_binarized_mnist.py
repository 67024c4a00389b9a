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
parser.add_argument("--num-samples", type=int, default=1000, help="k of the test NLL")
parser.add_argument("--output-dir", default=os.path.dirname(os.path.abspath(__file__)),
                    help="where latent_manifold.png goes (default: examples/)")
args = parser.parse_args()

keras.utils.set_random_seed(0)
train = kgen.data.load("binarized_mnist", "train", batch_size=100, shuffle=True, seed=0)
valid = kgen.data.load("binarized_mnist", "validation", batch_size=1000)
test = kgen.data.load("binarized_mnist", "test", batch_size=100)

model = kgen.models.vae.VAE(latent_dim=2, seed=0)  # 784-200-200-2 tanh, Bernoulli
model.compile(optimizer=keras.optimizers.Adam(1e-3))
model.fit(train, epochs=args.epochs, validation_data=valid, verbose=2,
          callbacks=[kgen.callbacks.LatentManifold(grid_size=20, png_dir=args.output_dir)])

print("test ELBO (nats):", model.evaluate(test, return_dict=True, verbose=0)["elbo"])
nll = kgen.metrics.nll(model, test, num_samples=args.num_samples, seed=0)["nll"]
print(f"test NLL, k={args.num_samples} (nats):", nll)
