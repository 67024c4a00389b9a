"""The base of kgen's flow steps: a Keras 3 layer that owns its variables and offers
its invertible map as one-pass (value, log-det) pairs and as a ``tfb.Bijector``."""

import keras

from kgen.bijectors.flow_bijector import FlowBijector


class FlowLayer(keras.layers.Layer):
    """One invertible step of a normalizing flow, as a Keras layer.

    Directions follow TFP: ``forward`` maps the latent side to the data side
    (sampling), ``inverse`` the data side to the latent side (density). A
    subclass writes ``_forward(x, context)`` and ``_inverse(y, context)``,
    each returning ``(value, log_det)`` with ``log_det`` the log|det| of that
    map's Jacobian, ``[batch]`` in nats, from one pass.

    Call arguments:
        x: ``[batch, *event_shape]``.
        context: optional context tensor, for steps that take one.
        inverse: bool; False (default) applies ``forward``, True ``inverse``.

    Returns (call):
        ``(value, log_det)``.

    ``bijector(context)`` returns the step as a ``FlowBijector`` (uncached;
    build it where it is used, under the tape that differentiates it).
    """

    def build(self, input_shape):
        self.event_ndims = len(input_shape) - 1

    def call(self, x, context=None, inverse=False):
        if inverse:
            return self._inverse(x, context)
        return self._forward(x, context)

    def _forward(self, x, context):
        raise NotImplementedError

    def _inverse(self, y, context):
        raise NotImplementedError

    def forward_event_shape(self, shape):
        """The event shape on the data side of a latent-side ``shape``."""
        return tuple(shape)

    def inverse_event_shape(self, shape):
        """The event shape on the latent side of a data-side ``shape``."""
        return tuple(shape)

    def bijector(self, context=None, event_ndims=None):
        """This step as a ``tfb.Bijector`` (a ``FlowBijector``) for ``context``;
        ``event_ndims`` is the rank of one event (default: the built layer's)."""
        return FlowBijector(
            lambda x: self(x, context=context),
            lambda y: self(y, context=context, inverse=True),
            event_ndims=self.event_ndims if event_ndims is None else event_ndims,
            forward_event_shape_fn=self.forward_event_shape,
            inverse_event_shape_fn=self.inverse_event_shape, name=self.name)

    def compute_output_spec(self, x, context=None, inverse=False):
        shape = (self.inverse_event_shape if inverse else self.forward_event_shape)(
            tuple(x.shape[1:]))
        return (keras.KerasTensor((x.shape[0],) + tuple(shape), x.dtype),
                keras.KerasTensor((x.shape[0],), x.dtype))


__all__ = ["FlowLayer"]
