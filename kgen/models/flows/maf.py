"""MAF (Papamakarios et al. 2017): masked autoregressive flow on MADE, optionally conditional."""

from kgen import checks
from kgen.layers.actnorm import ActNorm
from kgen.layers.autoregressive_flow import MaskedAutoregressiveStep
from kgen.layers.made import _ORDERS
from kgen.models.flows.base import FlowModel
from kgen.models.registry import register


@register("maf")
class MAF(FlowModel):
    """Masked autoregressive flow (Papamakarios et al. 2017, arXiv:1705.07057).

    ``num_flows`` affine autoregressive steps (``MaskedAutoregressiveStep``:
    ``kgen.bijectors.masked_autoregressive_flow`` driven by a kgen ``MADE``),
    the order reversed between steps, each optionally preceded by an
    ``ActNorm`` (the paper uses batch norm), on a standard normal base. The
    density (``log_prob``, training) takes one MADE pass per step; sampling
    takes D passes per step.

    With ``context_units`` the flow is conditional, p(x | c) (the paper's
    MADE with a context, sec. 3.4): every MADE sees the context, which
    ``log_prob``, ``encode``, ``decode`` and ``sample`` take as ``context``
    ``[batch, context_units]`` or one ``[context_units]`` row, and ``fit`` as
    ``(x, context)`` batches. See ``FlowModel`` for the rest of the API.

    Args:
        event_shape: ``[D]``; default ``(2,)``.
        num_flows: int >= 1, autoregressive steps.
        hidden_units: tuple of ints, each MADE's hidden widths.
        activation: the MADEs' hidden activation.
        actnorm: bool, an ActNorm before each step.
        context_units: optional int >= 1: a conditional flow.
        num_levels, logit_alpha, data_init, seed, **kwargs: as ``FlowModel``.

    Call arguments:
        inputs: ``x`` ``[batch, D]``, or ``(x, context)`` for a conditional flow.

    Returns (call):
        ``log_prob``, ``[batch]`` nats.

    Raises:
        ValueError / TypeError: naming the argument (``num_flows=0``, an
            ``event_shape`` that is not ``[D]``, a missing ``context``, ...).

    Example:

    >>> model = kgen.models.flows.MAF(event_shape=(2,), num_flows=5, context_units=1, seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(x, y, batch_size=256)           # y: [n, 1] contexts
    >>> model.sample(16, seed=0, context=[1.0])
    """

    inverted = False

    def __init__(self, event_shape=(2,), num_flows=5, hidden_units=(64, 64), activation="relu",
                 actnorm=True, context_units=None, num_levels=None, logit_alpha=None,
                 data_init=True, seed=None, **kwargs):
        super().__init__(event_shape, num_levels=num_levels, logit_alpha=logit_alpha,
                         context_units=context_units, data_init=data_init, seed=seed, **kwargs)
        if len(self.event_shape) != 1:
            raise ValueError(f"`event_shape` must be [D] for {type(self).__name__}. "
                             f"Received: event_shape={self.event_shape}")
        self.num_flows = checks.positive_int("num_flows", num_flows)
        self.hidden_units = tuple([hidden_units] if isinstance(hidden_units, int)
                                  else hidden_units)
        self.activation = activation
        if not isinstance(actnorm, bool):
            raise TypeError(f"`actnorm` must be True or False. Received: actnorm={actnorm!r}")
        self.actnorm = actnorm
        layers = []
        for i in range(self.num_flows):
            if actnorm:
                layers.append(ActNorm(name=f"actnorm_{i}"))
            layers.append(MaskedAutoregressiveStep(
                self.event_shape[0], self.hidden_units, input_order=_ORDERS[i % 2],
                context_units=self.context_units, activation=activation,
                inverted=self.inverted, seed=self.layer_seed(i), name=f"step_{i}"))
        self.set_flow_layers(layers)

    def get_config(self):
        return {**super().get_config(), "num_flows": self.num_flows,
                "hidden_units": list(self.hidden_units), "activation": self.activation,
                "actnorm": self.actnorm}


__all__ = ["MAF"]
