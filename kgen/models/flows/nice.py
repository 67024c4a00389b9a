"""NICE (Dinh et al. 2014): additive coupling layers and a diagonal scaling layer."""

from kgen import checks
from kgen.layers.coupling import MASK_TYPES, AdditiveCoupling
from kgen.layers.squeeze import DiagonalScaling
from kgen.models.flows.base import FlowModel
from kgen.models.registry import register


@register("nice")
class NICE(FlowModel):
    """Non-linear independent components estimation (Dinh et al. 2014, arXiv:1410.8516).

    ``num_flows`` ``AdditiveCoupling`` layers (volume preserving, eq. 4-6)
    with alternating parity, then the diagonal scaling layer
    (``DiagonalScaling``, sec. 3.3), which carries the whole log-det. The
    paper's prior is logistic; kgen's flows share the standard normal base.
    See ``FlowModel`` for the API.

    Args:
        event_shape: ``[D]`` or ``[H, W, C]``; default ``(2,)``.
        num_flows: int >= 1, coupling layers (the paper: 4).
        mask_type: ``"checkerboard"`` (alternating dimensions, the paper's
            odd/even split) or ``"channel"``.
        hidden_units: MLP widths (vectors); filters, num_blocks: CNNs (images).
        num_levels, logit_alpha, data_init, seed, **kwargs: as ``FlowModel``.

    Raises:
        ValueError / TypeError: naming the argument.
    """

    def __init__(self, event_shape=(2,), num_flows=4, mask_type="checkerboard",
                 hidden_units=(64, 64), filters=64, num_blocks=2, num_levels=None,
                 logit_alpha=None, data_init=True, seed=None, **kwargs):
        super().__init__(event_shape, num_levels=num_levels, logit_alpha=logit_alpha,
                         data_init=data_init, seed=seed, **kwargs)
        self.num_flows = checks.positive_int("num_flows", num_flows)
        self.mask_type = checks.one_of("mask_type", mask_type, set(MASK_TYPES))
        self.hidden_units = tuple([hidden_units] if isinstance(hidden_units, int)
                                  else hidden_units)
        self.filters, self.num_blocks = filters, num_blocks
        layers = [AdditiveCoupling(self.mask_type, i % 2, hidden_units=self.hidden_units,
                                   filters=filters, num_blocks=num_blocks,
                                   seed=self.layer_seed(i), name=f"coupling_{i}")
                  for i in range(self.num_flows)]
        self.set_flow_layers(layers + [DiagonalScaling(name="scaling")])

    def get_config(self):
        return {**super().get_config(), "num_flows": self.num_flows, "mask_type": self.mask_type,
                "hidden_units": list(self.hidden_units), "filters": self.filters,
                "num_blocks": self.num_blocks}


__all__ = ["NICE"]
