"""Training of kgen's shipped feature classifiers (``kgen.features.classifiers``).

``benchmarks/train_feature_classifiers.py`` calls ``train_classifier`` for each name
and writes the ``.keras`` files into ``kgen/features/weights/`` and the accuracies
into ``benchmarks/results/feature_classifiers.json``. A run is seeded
(``keras.utils.set_random_seed``) and uses TensorFlow's deterministic ops, so the
same command on the same machine and versions gives the same weights; the result
records a SHA-256 of the weight arrays to check that.

| name | trains on | measured on |
| --- | --- | --- |
| ``fashion_mnist`` | Fashion-MNIST ``train`` (55,000) | ``validation``, ``test`` |
| ``mnist`` | the 8,000 MNIST test images of ``mnist_split()[0]`` | the other 2,000 |
"""

import hashlib
import os
import time

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.data import fashion_mnist, mnist
from kgen.features import classifiers

DEFAULT_EPOCHS = {"fashion_mnist": 12, "mnist": 20}


def training_data(name):
    """The training arrays and the named held-out sets of classifier ``name``.

    Returns:
        ``(x_train, y_train, {set_name: (x, y)})``, images ``[n, 28, 28, 1]`` in
        [0, 1] and int64 labels.
    """
    checks.one_of("name", name, classifiers.NAMES)
    if name == "fashion_mnist":
        x, y = fashion_mnist.load_arrays("train")
        held_out = {split: fashion_mnist.load_arrays(split) for split in ("validation", "test")}
        return x, y, held_out
    x, y = mnist.load_arrays()
    train, held = classifiers.mnist_split()
    return x[train], y[train], {"held_out": (x[held], y[held])}


def weights_digest(model):
    """SHA-256 of a model's weight arrays (the ``.keras`` zip holds a save date, so
    the file's own hash changes with every save)."""
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w, dtype=np.float32).tobytes())
    return digest.hexdigest()


def accuracy(model, x, y, batch_size=1000):
    """Top-1 accuracy of a classifier network on ``x`` (in [0, 1]) against ``y``."""
    predicted = np.argmax(model.predict(x, batch_size=batch_size, verbose=0), axis=-1)
    return float(np.mean(predicted == y))


def train_classifier(name, *, epochs=None, batch_size=128, learning_rate=1e-3, seed=0,
                     output=None, verbose=2):
    """Trains classifier ``name`` from scratch and optionally saves it.

    Adam with a cosine-decayed learning rate, sparse cross-entropy, dropout 0.25,
    examples reshuffled every epoch; no augmentation.

    Args:
        name: ``"fashion_mnist"`` or ``"mnist"``.
        epochs: passes over the training images; ``None``: ``DEFAULT_EPOCHS``.
        batch_size: examples per step.
        learning_rate: Adam's initial learning rate.
        seed: seeds Python, NumPy, TensorFlow and Keras.
        output: path of the ``.keras`` file to write (uncompiled, no optimizer
            state), or ``None``.
        verbose: passed to ``fit``.

    Returns:
        ``(model, record)``: the trained network and a dict of the settings,
        accuracies (``train`` and each held-out set), time and weights digest.
    """
    epochs = checks.positive_int("epochs", DEFAULT_EPOCHS[name] if epochs is None else epochs)
    x, y, held_out = training_data(name)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = classifiers.classifier_network(name=f"{name}_classifier")
    steps = epochs * int(np.ceil(len(x) / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True,
                        verbose=verbose)
    seconds = time.perf_counter() - start
    # A fresh, uncompiled copy: the file holds no optimizer state (half the size).
    network = classifiers.classifier_network(name=f"{name}_classifier")
    network.set_weights(model.get_weights())
    record = {
        "name": name,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "num_train": int(len(x)),
        "train_seconds": round(seconds, 1),
        "train_loss_per_epoch": [round(v, 4) for v in history.history["loss"]],
        "accuracy": {"train": accuracy(network, x, y),
                     **{k: accuracy(network, *v) for k, v in held_out.items()}},
        "num_held_out": {k: int(len(v[1])) for k, v in held_out.items()},
        "num_parameters": int(network.count_params()),
        "weights_sha256": weights_digest(network),
    }
    if output is not None:
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        network.save(output)
        record["file_bytes"] = os.path.getsize(output)
    return network, record
