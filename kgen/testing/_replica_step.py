"""One training step under MirroredStrategy (2 logical CPUs) and on one device.

Run by ``kgen.testing.assert_replica_step_matches`` as ``python -m
kgen.testing._replica_step request.json`` in a fresh interpreter, because the CPU
must be split before TensorFlow runs any op. It builds the model twice from its
factory (once in the mirrored strategy's scope, once outside any), gives both the
same weights and seed-generator state, compiles both, takes the same step on the
same global batch, and writes the weights before and after to an ``.npz``.
"""

import importlib
import json
import sys

from kgen import distribute

distribute.split_cpu(2)  # before any op

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kgen.testing.basics import ZeroNoise  # noqa: E402


def load(path):
    """The object named by ``"package.module:attribute"``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def make(request, strategy):
    with strategy.scope():
        model = load(request["factory"])()
        if request["fix_noise"] and not isinstance(model, ZeroNoise):
            cls = type(model)
            model.__class__ = type(f"ZeroNoise{cls.__name__}", (ZeroNoise, cls),
                                   {"NORMAL_VALUE": request["normal_value"]})
        if not model.built:
            model.build_from_event_shape()
        if request["compile_fn"]:
            load(request["compile_fn"])(model)
        else:
            model.compile(optimizer=keras.optimizers.SGD(request["learning_rate"]))
    return model


def step(model, batch, method):
    x, y = batch[0], (batch[1] if len(batch) > 1 else None)
    if method == "fit":
        history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        return {k: float(v[-1]) for k, v in history.history.items()}
    logs = model.train_on_batch(x, y, return_dict=True)
    return {k: float(np.asarray(v)) for k, v in logs.items()}


def main(request_path):
    with open(request_path) as f:
        request = json.load(f)
    with np.load(request["batch"]) as data:
        batch = [data[f"arg{i}"] for i in range(len(data.files))]
    keras.utils.set_random_seed(0)
    strategy = distribute.strategy("mirrored")
    mirrored = make(request, strategy)
    single = make(request, tf.distribute.get_strategy())
    initial = mirrored.get_weights()
    single.set_weights(initial)
    if getattr(mirrored, "seed_generator", None) is not None:
        single.seed_generator.state.assign(mirrored.seed_generator.state.numpy())
    logs = {"mirrored": step(mirrored, batch, request["method"]),
            "single": step(single, batch, request["method"])}
    arrays = {}
    for key, weights in (("initial", initial), ("mirrored", mirrored.get_weights()),
                         ("single", single.get_weights())):
        arrays.update({f"{key}/{i}": w for i, w in enumerate(weights)})
    np.savez(request["output"], **arrays)
    trainable = {id(v) for v in single.trainable_weights}
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "names": [v.path for v in single.weights],
        "trainable": [id(v) in trainable for v in single.weights],
        "logs": logs,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
