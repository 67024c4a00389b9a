"""Serving signatures and input checks shared by the likelihood and energy models.

Each signature takes a batch ``x`` of the model's events (float32, ``[None,
*event_shape]``) or the scalar int32 ``num_samples`` (and ``num_steps`` for a Gibbs
sampler) and returns a dict named for its output, as ``kgen.export`` writes it.
"""

import tensorflow as tf

from kgen import checks

NUM_SAMPLES = tf.TensorSpec((), tf.int32, name="num_samples")
NUM_STEPS = tf.TensorSpec((), tf.int32, name="num_steps")


def on_x(model, fn):
    """``fn`` as a ``tf.function`` of one batch ``x`` of ``model``'s events."""
    spec = tf.TensorSpec((None,) + model.event_shape, tf.float32, name="x")
    return tf.function(fn, input_signature=[spec])


def gibbs_sample(model):
    """``sample(num_samples, num_steps)``: ``{"x": model._sample(num_samples, num_steps)}``."""
    return tf.function(lambda n, s: {"x": model._sample(n, s)},
                       input_signature=[NUM_SAMPLES, NUM_STEPS])


def free_energy_bound(model, name):
    """``{name: -model._free_energy(x) - log Z}`` on ``x`` with the stored log Z
    (``model.log_partition``), or None if none is stored."""
    if model.log_partition is None:
        return None
    log_z = model.log_partition["log_z"]
    return on_x(model, lambda x: {name: -model._free_energy(model._flat(x)) - log_z})


def likelihood_signatures(model):
    """``serving_default`` and ``log_prob`` (``model._log_prob(x)``) and ``sample``
    (``model._sample(num_samples)``) of a model with an exact likelihood."""

    def log_prob(x):
        return {"log_prob": model._log_prob(x)}

    return {
        "serving_default": on_x(model, log_prob),
        "log_prob": on_x(model, log_prob),
        "sample": tf.function(lambda n: {"x": model._sample(n)}, input_signature=[NUM_SAMPLES]),
    }


class BinaryData:
    """Mixin of the models of binary data: ``validate_inputs`` wants values in
    ``data_range`` that are 0 or 1, and ``from_config`` rebuilds the model from its
    ``get_config`` as keyword arguments."""

    def validate_inputs(self, x, name="x"):
        return checks.data_array(name, x, self.event_shape, binary=True,
                                 value_range=self.data_range)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


__all__ = ["BinaryData", "NUM_SAMPLES", "NUM_STEPS", "free_energy_bound", "gibbs_sample",
           "likelihood_signatures", "on_x"]
