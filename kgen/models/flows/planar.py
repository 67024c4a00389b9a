"""Planar and radial flows (Rezende & Mohamed 2015) as density models."""

from kgen import checks
from kgen.layers.planar import PlanarStep, RadialStep
from kgen.models.flows.base import FlowModel
from kgen.models.registry import register


class _ElementaryFlow(FlowModel):
    """``num_flows`` steps of ``step_class`` on vectors ``[D]``, standard normal base."""

    step_class = None

    def __init__(self, event_shape=(2,), num_flows=16, data_init=True, seed=None, **kwargs):
        super().__init__(event_shape, data_init=data_init, seed=seed, **kwargs)
        if len(self.event_shape) != 1:
            raise ValueError(f"`event_shape` must be [D] for {type(self).__name__}. "
                             f"Received: event_shape={self.event_shape}")
        self.num_flows = checks.positive_int("num_flows", num_flows)
        self.set_flow_layers([self.step_class(seed=self.layer_seed(i), name=f"step_{i}")
                              for i in range(self.num_flows)])

    def get_config(self):
        return {**super().get_config(), "num_flows": self.num_flows}


@register("planar_flow")
class PlanarFlow(_ElementaryFlow):
    """Planar flow (Rezende & Mohamed 2015, arXiv:1505.05770, eq. 10-12) as a
    density model: ``num_flows`` ``PlanarStep``s, data side first.

    The paper uses planar flows for variational posteriors (sampling and log-det
    only); as a density model each step is inverted numerically (bisection plus
    one Newton step, see ``PlanarStep``), so ``log_prob`` costs about 40 passes
    per step. Expressive only with many steps. API as ``FlowModel``.

    Args:
        event_shape: ``[D]``; default ``(2,)``.
        num_flows: int >= 1.
        data_init, seed, **kwargs: as ``FlowModel`` (``num_levels`` and
            ``logit_alpha`` too).
    """

    step_class = PlanarStep


@register("radial_flow")
class RadialFlow(_ElementaryFlow):
    """Radial flow (Rezende & Mohamed 2015, arXiv:1505.05770, eq. 14) as a density
    model: ``num_flows`` ``RadialStep``s (closed-form inverse). Args as
    ``PlanarFlow``."""

    step_class = RadialStep


__all__ = ["PlanarFlow", "RadialFlow"]
