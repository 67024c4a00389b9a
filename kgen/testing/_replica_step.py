"""One training step under MirroredStrategy (2 logical CPUs) and on one device.

Run by ``kgen.testing.assert_replica_step_matches`` as ``python -m
kgen.testing._replica_step --serve`` in another interpreter, because the CPU must be
split before TensorFlow runs any op: a worker that splits it once and then reads one
JSON line per request on stdin, ``{"request": "request.json", "sys_path": [...],
"cwd": ..., "environ": {...}}`` (the caller's path, directory and environment),
answering one JSON line on stdout (``{"ok": true, "result": ...}`` or ``{"ok":
false, "traceback": ...}``), until stdin ends. With ``KGEN_TESTING_FRESH_PROCESS=1``
it runs as ``python -m kgen.testing._replica_step request.json``, once.

A request builds the model twice from its factory (once in the mirrored strategy's
scope, once outside any), gives both the same weights and seed-generator state,
compiles both, takes the same step on the same global batch, and writes the weights
before and after to an ``.npz``. Requests are independent: each starts from a fresh
Keras session (layer names as in a fresh process) and seed 0, with Keras's global
settings as the worker started, and the modules it imported from outside kgen and
the installed packages (the tests' factories) are forgotten after it. The worker
exits after a request that failed (unless its factory or ``compile_fn`` could not
be imported), so that the next one gets a fresh process.
"""

import importlib
import json
import os
import sys
import traceback

from kgen import distribute

distribute.split_cpu(2)  # before any op

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kgen.testing import _workers  # noqa: E402
from kgen.testing.basics import ZeroNoise  # noqa: E402

_STRATEGY = None


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


def _mirrored():
    """The process's one mirrored strategy: each ``MirroredStrategy`` numbers its
    collective ops from the same keys, so a second one in the process would reuse
    the first one's keys for other shapes, which aborts the collectives."""
    global _STRATEGY
    if _STRATEGY is None:
        _STRATEGY = distribute.strategy("mirrored")
    return _STRATEGY


def run(request_path):
    """Takes the step of the request in file ``request_path``; returns its summary."""
    with open(request_path) as f:
        request = json.load(f)
    with np.load(request["batch"]) as data:
        batch = [data[f"arg{i}"] for i in range(len(data.files))]
    keras.utils.set_random_seed(0)
    strategy = _mirrored()
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
    return {
        "replicas": strategy.num_replicas_in_sync,
        "names": [v.path for v in single.weights],
        "trainable": [id(v) in trainable for v in single.weights],
        "logs": logs,
    }


def main(request_path):
    print(json.dumps(run(request_path)))


def _resolve(request_path):
    """Imports the request's factory and ``compile_fn`` (an error here has run
    no op, and leaves the worker as it was)."""
    with open(request_path) as f:
        request = json.load(f)
    for key in ("factory", "compile_fn"):
        if request[key]:
            load(request[key])


def _settings():
    """Keras's and TensorFlow's global settings that a factory might change."""
    return (keras.config.floatx(), keras.config.epsilon(), keras.config.image_data_format(),
            tf.config.functions_run_eagerly())


def _restore(settings):
    floatx, epsilon, image_data_format, eagerly = settings
    keras.config.set_floatx(floatx)
    keras.config.set_epsilon(epsilon)
    keras.config.set_image_data_format(image_data_format)
    tf.config.run_functions_eagerly(eagerly)


def _forget_modules(before):
    """Drops the modules imported since ``before`` from outside kgen and the
    installed packages, so that a factory module's state starts afresh."""
    kept = (os.path.dirname(os.path.dirname(distribute.__file__)) + os.sep,
            sys.prefix + os.sep, sys.base_prefix + os.sep)
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None) or ""
        if path and not os.path.abspath(path).startswith(kept):
            del sys.modules[name]


def serve():
    """Answers requests until stdin ends."""
    answers = _workers.protocol_stream()
    settings = _settings()
    for line in sys.stdin:
        message, resolved = json.loads(line), False
        before = set(sys.modules)
        try:
            if message.get("op") == "ping":
                reply = {"ok": True, "pid": os.getpid()}
            else:
                sys.path.extend(p for p in message.get("sys_path", []) if p not in sys.path)
                if "environ" in message:  # the caller's, as a fresh process would inherit
                    os.environ.clear()
                    os.environ.update(message["environ"])
                os.chdir(message.get("cwd", os.getcwd()))
                importlib.invalidate_caches()
                keras.backend.clear_session()
                _resolve(message["request"])
                resolved = True
                reply = {"ok": True, "result": run(message["request"])}
        except Exception:
            reply = {"ok": False, "traceback": traceback.format_exc()}
        finally:
            _forget_modules(before)
            _restore(settings)
            keras.backend.clear_session()
        answers.write(json.dumps(reply) + "\n")
        if not reply["ok"] and resolved:
            return  # the next request gets a fresh process: a failed collective op
            # leaves the process's collectives aborted, other errors other state


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve()
    else:
        main(sys.argv[1])
