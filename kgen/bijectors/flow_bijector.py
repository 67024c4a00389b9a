"""A thin, uncached ``tfb.Bijector`` face on a flow step, and one-pass chain walks.

A kgen flow step (a Keras 3 layer that owns its variables) computes its value and its
log-det together, in one network pass: ``forward_and_log_det(x) -> (y, log|det dy/dx|)``
and ``inverse_and_log_det(y) -> (x, log|det dx/dy|)``. ``FlowBijector`` wraps such a
pair as a ``tfb.Bijector``, so a step composes with TFP (``tfb.Chain``, ``tfb.Invert``,
``tfd.TransformedDistribution``).

TFP caches every bijector's results in one process-wide table keyed on the bijector's
parameters and the input tensor (``tfb.Bijector._cache``). A cached result computed
under another ``tf.GradientTape`` or in another graph has produced ``None`` gradients and
NaNs in TFP issues, so ``FlowBijector`` bypasses the cache (``NoCache``): every call
computes. kgen's flow models also build their bijectors inside each call, so no bijector
outlives the tape it is used under, and they walk a chain with ``inverse_and_log_det`` /
``forward_and_log_det`` below: one pass per step gives both the value and the log-det
(TFP's ``Chain.inverse`` followed by ``Chain.inverse_log_det_jacobian`` would run every
step twice without a cache).
"""

import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors
# ``tfb.Chain([...])`` and ``tfb.Invert(...)`` of parts that are not composite tensors (every
# kgen step) are TFP's private ``_Chain`` / ``_Invert``, which the public classes subclass:
# an ``isinstance`` test against the public names misses them, and the walk below would
# fall back to TFP's two-pass ``inverse`` + ``inverse_log_det_jacobian`` (each step ~3x).
try:
    from tensorflow_probability.python.bijectors.chain import _Chain as _CHAIN
    from tensorflow_probability.python.bijectors.invert import _Invert as _INVERT
except ImportError:  # a TFP without the private bases: the public classes
    _CHAIN, _INVERT = tfb.Chain, tfb.Invert


class _BoundNoCache:
    """What ``tfb.Bijector`` asks of its cache, answered by computing every time."""

    def __init__(self, bijector):
        self._bijector = bijector

    def forward(self, x, **kwargs):
        return self._bijector._forward(x, **kwargs)

    def inverse(self, y, **kwargs):
        return self._bijector._inverse(y, **kwargs)

    def forward_attributes(self, x, **kwargs):
        return {}  # a fresh dict: nothing is remembered

    def inverse_attributes(self, y, **kwargs):
        return {}


class NoCache:
    """A ``tfb.Bijector._cache`` replacement (a descriptor, as TFP's own cache is) that
    caches nothing."""

    def __get__(self, bijector, bijector_class=None):
        return _BoundNoCache(bijector)


class FlowBijector(tfb.Bijector):
    """A ``tfb.Bijector`` from a pair of one-pass functions, without TFP's cache.

    Args:
        forward_fn: ``x -> (y, fldj)``, ``fldj`` of shape ``[batch]`` (nats), the
            log|det dy/dx| summed over the ``event_ndims`` last axes.
        inverse_fn: ``y -> (x, ildj)``, likewise.
        event_ndims: int >= 0, the rank of one event (1 for vectors, 3 for images).
        forward_event_shape_fn: optional ``tuple -> tuple`` for steps that change the
            event shape (squeeze); default: unchanged. ``inverse_event_shape_fn``
            likewise.
        name: the bijector's name.

    Example:

    >>> step = FlowBijector(lambda x: (2.0 * x, 3 * math.log(2.0) + 0 * x[:, 0]),
    ...                     lambda y: (y / 2.0, -3 * math.log(2.0) + 0 * y[:, 0]), 1)
    >>> step.inverse_log_det_jacobian(tf.ones((4, 3)), event_ndims=1)  # -3 log 2 each
    """

    _cache = NoCache()

    def __init__(self, forward_fn, inverse_fn, event_ndims, forward_event_shape_fn=None,
                 inverse_event_shape_fn=None, name="flow_bijector"):
        parameters = dict(locals())
        self._forward_fn, self._inverse_fn = forward_fn, inverse_fn
        self._event_shape_fns = (forward_event_shape_fn, inverse_event_shape_fn)
        super().__init__(forward_min_event_ndims=int(event_ndims), validate_args=False,
                         parameters=parameters, name=name)

    @classmethod
    def _parameter_properties(cls, dtype=None, num_classes=None):
        return {}

    def forward_and_log_det(self, x):
        """``(y, fldj)`` in one pass; ``fldj`` is ``[batch]``."""
        return self._forward_fn(x)

    def inverse_and_log_det(self, y):
        """``(x, ildj)`` in one pass; ``ildj`` is ``[batch]``."""
        return self._inverse_fn(y)

    def _forward(self, x):
        return self._forward_fn(x)[0]

    def _inverse(self, y):
        return self._inverse_fn(y)[0]

    def _forward_log_det_jacobian(self, x):
        return self._forward_fn(x)[1]

    def _inverse_log_det_jacobian(self, y):
        return self._inverse_fn(y)[1]

    def _shape(self, shape, which):
        fn = self._event_shape_fns[which]
        if fn is None or shape.rank is None:
            return shape
        return tf.TensorShape(fn(tuple(shape.as_list())))

    def _forward_event_shape(self, input_shape):
        return self._shape(tf.TensorShape(input_shape), 0)

    def _inverse_event_shape(self, output_shape):
        return self._shape(tf.TensorShape(output_shape), 1)

    def _forward_event_shape_tensor(self, input_shape):
        return tf.constant(self._forward_event_shape(tf.get_static_value(input_shape))
                           .as_list(), tf.int32)

    def _inverse_event_shape_tensor(self, output_shape):
        return tf.constant(self._inverse_event_shape(tf.get_static_value(output_shape))
                           .as_list(), tf.int32)


def inverse_and_log_det(bijector, y, event_ndims):
    """``(bijector.inverse(y), bijector.inverse_log_det_jacobian(y))`` in one pass.

    Walks ``tfb.Chain`` and ``tfb.Invert`` and asks each ``FlowBijector`` for its
    one-pass pair; any other bijector (TFP's own, e.g. a MAF step) is asked for
    ``inverse`` and ``inverse_log_det_jacobian(event_ndims=event_ndims)``.

    Args:
        bijector: a ``tfb.Bijector``.
        y: ``[batch, *event_shape]``.
        event_ndims: int, the rank of one event.

    Returns:
        ``(x, ildj)`` with ``ildj`` of shape ``[batch]`` in nats.
    """
    if isinstance(bijector, _CHAIN):
        total = tf.zeros(tf.shape(y)[:1], y.dtype)
        for part in bijector.bijectors:  # Chain([b1, b2]).inverse = b2^-1(b1^-1(y))
            y, ildj = inverse_and_log_det(part, y, event_ndims)
            total += ildj
        return y, total
    if isinstance(bijector, _INVERT):
        return forward_and_log_det(bijector.bijector, y, event_ndims)
    if isinstance(bijector, FlowBijector):
        return bijector.inverse_and_log_det(y)
    x = bijector.inverse(y)
    ildj = bijector.inverse_log_det_jacobian(y, event_ndims=event_ndims)
    return x, tf.broadcast_to(ildj, tf.shape(y)[:1])


def forward_and_log_det(bijector, x, event_ndims):
    """``(bijector.forward(x), bijector.forward_log_det_jacobian(x))`` in one pass;
    as ``inverse_and_log_det``, walking the chain the other way."""
    if isinstance(bijector, _CHAIN):
        total = tf.zeros(tf.shape(x)[:1], x.dtype)
        for part in reversed(bijector.bijectors):
            x, fldj = forward_and_log_det(part, x, event_ndims)
            total += fldj
        return x, total
    if isinstance(bijector, _INVERT):
        return inverse_and_log_det(bijector.bijector, x, event_ndims)
    if isinstance(bijector, FlowBijector):
        return bijector.forward_and_log_det(x)
    y = bijector.forward(x)
    fldj = bijector.forward_log_det_jacobian(x, event_ndims=event_ndims)
    return y, tf.broadcast_to(fldj, tf.shape(x)[:1])


__all__ = ["FlowBijector", "NoCache", "forward_and_log_det", "inverse_and_log_det"]
