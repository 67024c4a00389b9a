"""Neural spline flows (Durkan et al. 2019): rational-quadratic coupling or autoregressive."""

import keras

from kgen import checks
from kgen.layers.actnorm import ActNorm
from kgen.layers.invertible_conv import InvertibleConv1x1
from kgen.layers.made import _ORDERS
from kgen.layers.spline_coupling import MaskedSplineStep, SplineCoupling, _check_spline
from kgen.models.flows.base import FlowModel
from kgen.models.registry import register

TRANSFORMS = ("coupling", "autoregressive")


@register("neural_spline_flow")
class NeuralSplineFlow(FlowModel):
    """Neural spline flow on vectors (Durkan et al. 2019, arXiv:1906.04032).

    ``num_flows`` steps, data side first, each an optional ``ActNorm``, an
    optional invertible linear map (``InvertibleConv1x1`` on ``[D]``,
    LU-decomposed: the paper's "linear" layers, sec. 4) and a
    rational-quadratic spline layer with linear tails on ``[-bound, bound]``:

    - ``transform="coupling"``: RQ-NSF (C), ``SplineCoupling`` with
      alternating checkerboard masks (an MLP conditioner); density and
      sampling each take one pass per step.
    - ``transform="autoregressive"``: RQ-NSF (AR), ``MaskedSplineStep`` (a
      MADE driving TFP's ``MaskedAutoregressiveFlow``), orders alternating;
      the density takes one pass per step, sampling D.

    Standard normal base; see ``FlowModel`` for the API (``log_prob`` in nats,
    ``sample(n, seed, temperature)``, ``encode``, ``decode``).

    Args:
        event_shape: ``[D]``, D >= 2 for coupling; default ``(2,)``.
        num_flows: int >= 1, spline steps.
        transform: ``"coupling"`` or ``"autoregressive"``.
        num_bins: int >= 2, bins per spline (the paper: 8 on its 2-D toys).
        bound: float > 0, the spline interval's half width B.
        hidden_units: the conditioners' hidden widths.
        activation: their hidden activation (a name or a Keras activation function;
            ``get_config`` holds its serialized name).
        linear: bool, an LU-decomposed invertible linear map before each spline.
        actnorm: bool, an ActNorm before each step.
        num_levels, logit_alpha, data_init, seed, **kwargs: as ``FlowModel``.

    Call arguments:
        x: ``[batch, D]``.

    Returns (call):
        ``log_prob(x)``, ``[batch]`` nats.

    Raises:
        ValueError / TypeError: naming the argument (``num_flows=0``,
            ``transform``, ``num_bins``, ``bound``, an ``event_shape`` that is
            not ``[D]``, ...).

    Example:

    >>> model = kgen.models.flows.NeuralSplineFlow(num_flows=4, transform="coupling", seed=0)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True)
    >>> model.fit(kgen.data.sample_toy("two_moons", 10_000, seed=0), batch_size=256)
    >>> model.log_prob(x), model.sample(16, seed=0)
    """

    def __init__(self, event_shape=(2,), num_flows=4, transform="coupling", num_bins=8,
                 bound=3.0, hidden_units=(64, 64), activation="relu", linear=True,
                 actnorm=True, num_levels=None, logit_alpha=None, data_init=True, seed=None,
                 **kwargs):
        super().__init__(event_shape, num_levels=num_levels, logit_alpha=logit_alpha,
                         data_init=data_init, seed=seed, **kwargs)
        if len(self.event_shape) != 1:
            raise ValueError(f"`event_shape` must be [D] for {type(self).__name__}. "
                             f"Received: event_shape={self.event_shape}")
        self.num_flows = checks.positive_int("num_flows", num_flows)
        self.transform = checks.one_of("transform", transform, set(TRANSFORMS))
        self.num_bins, self.bound = _check_spline(num_bins, bound)
        self.hidden_units = tuple([hidden_units] if isinstance(hidden_units, int)
                                  else hidden_units)
        self.activation = keras.activations.get(activation)
        for name, value in (("linear", linear), ("actnorm", actnorm)):
            if not isinstance(value, bool):
                raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
        self.linear, self.actnorm = linear, actnorm
        layers = []
        for i in range(self.num_flows):
            if actnorm:
                layers.append(ActNorm(name=f"actnorm_{i}"))
            if linear:
                layers.append(InvertibleConv1x1(True, seed=self.layer_seed(2 * i + 1),
                                                name=f"linear_{i}"))
            layers.append(self._spline_step(i))
        self.set_flow_layers(layers)

    def _spline_step(self, i):
        seed = self.layer_seed(2 * i)
        if self.transform == "coupling":
            return SplineCoupling("checkerboard", i % 2, self.num_bins, self.bound,
                                  hidden_units=self.hidden_units, activation=self.activation,
                                  seed=seed, name=f"spline_{i}")
        return MaskedSplineStep(self.event_shape[0], self.num_bins, self.bound,
                                self.hidden_units, input_order=_ORDERS[i % 2],
                                activation=self.activation, seed=seed, name=f"spline_{i}")

    def get_config(self):
        return {**super().get_config(), "num_flows": self.num_flows,
                "transform": self.transform, "num_bins": self.num_bins, "bound": self.bound,
                "hidden_units": list(self.hidden_units),
                "activation": keras.activations.serialize(self.activation),
                "linear": self.linear, "actnorm": self.actnorm}


__all__ = ["NeuralSplineFlow", "TRANSFORMS"]
