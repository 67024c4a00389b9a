"""A MAF or IAF step as a flow layer: a kgen MADE driving TFP's MaskedAutoregressiveFlow."""

import keras

from kgen import checks
from kgen.bijectors import inverse_autoregressive_flow, masked_autoregressive_flow
from kgen.bijectors.flow_bijector import forward_and_log_det, inverse_and_log_det
from kgen.layers.flow_layer import FlowLayer
from kgen.layers.made import _ORDERS, MADE
from kgen.serialization import register_serializable


@register_serializable
class MaskedAutoregressiveStep(FlowLayer):
    """One affine autoregressive step on vectors, owning the MADE that drives it.

    MAF (``inverted=False``; Papamakarios et al. 2017, arXiv:1705.07057): the
    bijector is ``kgen.bijectors.masked_autoregressive_flow(made, context)``,
    ``tfb.MaskedAutoregressiveFlow`` with ``[shift, log_scale] = MADE(x)``:

        inverse (data -> latent, one MADE pass):  u_i = (x_i - shift_i) * exp(-log_scale_i)
        forward (latent -> data, D passes):       x_i = u_i * exp(log_scale_i) + shift_i

    IAF (``inverted=True``; Kingma et al. 2016, arXiv:1606.04934): its
    ``tfb.Invert``, ``inverse_autoregressive_flow``; sampling takes one pass and
    the density D passes. ``bijector(context)`` returns that TFP bijector, built
    anew on each call (the MADE memo of ``kgen.bijectors`` is keyed on the
    tensor, so it serves only that call).

    Args:
        event_size: int >= 1, the dimension D.
        hidden_units: tuple of ints, the MADE's hidden widths.
        input_order: ``"left-to-right"`` or ``"right-to-left"``.
        context_units: optional int >= 1, the size of a context given to the MADE.
        activation: the MADE's hidden activation.
        inverted: bool, IAF instead of MAF.
        seed: optional int >= 0 seeding the MADE's initial weights.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments, Returns: as ``FlowLayer``; ``context`` is required if and only
    if ``context_units`` is set.

    Input shape:
        ``[batch, event_size]``.
    """

    def __init__(self, event_size, hidden_units=(64, 64), input_order="left-to-right",
                 context_units=None, activation="relu", inverted=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.event_size = checks.positive_int("event_size", event_size)
        self.hidden_units = tuple([hidden_units] if isinstance(hidden_units, int)
                                  else hidden_units)
        self.input_order = checks.one_of("input_order", input_order, set(_ORDERS))
        self.context_units = context_units
        self.activation = keras.activations.get(activation)
        if not isinstance(inverted, bool):
            raise TypeError(f"`inverted` must be True or False. Received: inverted={inverted!r}")
        self.inverted = inverted
        self.seed = checks.seed("seed", seed)
        init = lambda k: (None if self.seed is None else self.seed + k)  # noqa: E731
        self.made = MADE(self.event_size, self.hidden_units, params=2,
                         activation=self.activation, input_order=self.input_order,
                         context_units=context_units,
                         kernel_initializer=keras.initializers.GlorotUniform(seed=init(0)),
                         output_kernel_initializer=keras.initializers.RandomNormal(
                             stddev=1e-3, seed=init(1)), name="made")

    def build(self, input_shape):
        super().build(input_shape)
        if not self.made.built:  # the model's chain may have called the MADE first
            self.made.build(input_shape)

    def bijector(self, context=None, event_ndims=None):
        make = inverse_autoregressive_flow if self.inverted else masked_autoregressive_flow
        return make(self.made, context, name=self.name)

    def _forward(self, z, context):
        return forward_and_log_det(self.bijector(context), z, 1)

    def _inverse(self, x, context):
        return inverse_and_log_det(self.bijector(context), x, 1)

    def get_config(self):
        return {**super().get_config(), "event_size": self.event_size,
                "hidden_units": list(self.hidden_units), "input_order": self.input_order,
                "context_units": self.context_units,
                "activation": keras.activations.serialize(self.activation),
                "inverted": self.inverted, "seed": self.seed}


__all__ = ["MaskedAutoregressiveStep"]
