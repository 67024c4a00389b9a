"""Serves a SavedModel as TF Serving would: plain TensorFlow, no kgen.

Run by ``kgen.testing.assert_saved_model_round_trip`` as ``python -c <this file's
text> --serve`` in an interpreter whose path holds no repository and whose working
directory is outside it: a worker that reads one JSON line per request on stdin,
``{"request": "request.json"}``, and answers one JSON line on stdout (``{"ok":
true}``, or ``{"ok": false, "traceback": ...}``). With ``KGEN_TESTING_FRESH_PROCESS=1``
it runs as ``python -c <text> request.json`` instead, once.

Each request loads its SavedModel afresh, calls every signature named in it once,
in the request's order, and saves the outputs; it fails if the SavedModel's
signatures are not exactly those named, or if a forbidden module (kgen, TensorFlow
Probability) is in ``sys.modules`` after serving. A worker in which a forbidden
module got imported exits after answering, so that it cannot fail later requests.

This file imports nothing of kgen (not even ``kgen.testing._workers``).
"""

import gc
import json
import os
import sys
import traceback

import numpy as np
import tensorflow as tf


def run(request):
    """Serves the request (a dict); raises AssertionError if it fails a check."""
    loaded = tf.saved_model.load(request["path"])
    names = sorted(loaded.signatures.keys())
    assert names == sorted(request["signatures"]), (
        f"the SavedModel has signatures {names}, the model {request['signatures']}")
    outputs = {}
    with np.load(request["inputs"]) as data:
        for name in request["signatures"]:
            signature = loaded.signatures[name]
            specs = signature.structured_input_signature[1]
            kwargs = {key: tf.constant(data[f"{name}|{key}"], spec.dtype)
                      for key, spec in specs.items()}
            for key, value in signature(**kwargs).items():
                outputs[f"{name}|{key}"] = value.numpy()
    imported = [m for m in request["forbidden"] if m in sys.modules]
    assert not imported, f"serving imported {imported}"
    np.savez(request["outputs"], **outputs)


def main(request_path):
    with open(request_path) as f:
        run(json.load(f))


def serve():
    """Answers requests until stdin ends."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt one
    for line in sys.stdin:
        message, forbidden = json.loads(line), []
        try:
            if message.get("op") == "ping":
                reply = {"ok": True, "pid": os.getpid(), "cwd": os.getcwd(),
                         "sys_path": sys.path,
                         "imported": [m for m in message["modules"] if m in sys.modules]}
            else:
                with open(message["request"]) as f:
                    request = json.load(f)
                forbidden = request["forbidden"]
                run(request)
                reply = {"ok": True}
        except Exception:
            reply = {"ok": False, "traceback": traceback.format_exc()}
        gc.collect()
        answers.write(json.dumps(reply) + "\n")
        if any(m in sys.modules for m in forbidden):
            return  # this process is no longer free of them


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve()
    else:
        main(sys.argv[1])
