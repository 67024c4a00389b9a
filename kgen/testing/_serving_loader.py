"""Serves a SavedModel as TF Serving would: plain TensorFlow, no kgen.

Run by ``kgen.testing.assert_saved_model_round_trip`` as ``python -c <this file's
text> request.json`` in a fresh interpreter whose path holds no repository. It calls
every signature named in the request once, in the request's order, and saves the
outputs; it fails if the SavedModel's signatures are not exactly those named, or if a
forbidden module (kgen, TensorFlow Probability) was imported along the way.
"""

import json
import sys

import numpy as np
import tensorflow as tf


def main(request_path):
    with open(request_path) as f:
        request = json.load(f)
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


if __name__ == "__main__":
    main(sys.argv[1])
