"""Normalizing flows on TFP bijectors, with kgen's Keras 3 layers supplying every variable."""

from kgen.models.flows.base import FlowModel  # noqa: F401
from kgen.models.flows.realnvp import RealNVP  # noqa: F401
from kgen.models.flows.maf import MAF  # noqa: F401
from kgen.models.flows.iaf import IAF  # noqa: F401
from kgen.models.flows.nice import NICE  # noqa: F401
from kgen.models.flows.planar import PlanarFlow, RadialFlow  # noqa: F401
from kgen.models.flows.glow import FactorOut, Glow  # noqa: F401
from kgen.models.flows.nsf import NeuralSplineFlow  # noqa: F401
