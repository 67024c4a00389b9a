"""How a preset's ``model_args`` build a VAE: network and posterior specs.

A preset names networks and posteriors by small specs rather than Python objects::

    encoder: {type: mlp, hidden_units: [200, 200], activation: tanh}
    decoder: {type: conv, filters: [64, 32], activation: relu}
    posterior: {type: iaf, num_flows: 2, hidden_units: [320, 320]}
    posterior: {type: planar, num_flows: 10}       # or radial
    prior: {type: maf, num_flows: 2, hidden_units: [320, 320]}   # or realnvp, standard_normal

``build_args`` turns them into ``kgen.networks`` models and posterior and prior layers;
``VAE.from_preset`` calls it, so the CLI knows nothing of VAEs.
"""

import copy

from kgen import checks

NETWORK_KEYS = {"mlp": {"type", "hidden_units", "activation"},
                "conv": {"type", "filters", "hidden_units", "activation"}}
POSTERIOR_TYPES = ("gaussian", "iaf", "planar", "radial")


def build_args(model_args, event_shape):
    """``model_args`` with ``encoder`` / ``decoder`` / ``posterior`` / ``prior`` specs built.

    Raises:
        ValueError: naming ``model_args.<role>`` on an unknown type or key, or
            ``model_args.latent_dim`` if a decoder needs it and it is missing.
    """
    from kgen import networks

    args = copy.deepcopy(model_args)
    latent_dim = args.get("latent_dim", 50)
    for role in ("encoder", "decoder"):
        spec = args.get(role)
        if isinstance(spec, dict):
            args[role] = _network(networks, role, spec, event_shape, latent_dim)
    if isinstance(args.get("posterior"), dict):
        args["posterior"] = _posterior(args["posterior"], latent_dim)
    if isinstance(args.get("prior"), dict):
        args["prior"] = _prior(args["prior"], latent_dim)
    return args


def _network(networks, role, spec, event_shape, latent_dim):
    spec = dict(spec)
    kind = spec.pop("type", "mlp")
    checks.one_of(f"model_args.{role}.type", kind, NETWORK_KEYS)
    extra = sorted(set(spec) - NETWORK_KEYS[kind])
    if extra or (kind == "conv" and role == "decoder" and "hidden_units" in spec):
        raise ValueError(f"Unknown keys {extra or ['hidden_units']} in `model_args.{role}` of "
                         f"type {kind}. Known keys: {sorted(NETWORK_KEYS[kind] - {'type'})}")
    if role == "encoder":
        build = networks.mlp_encoder if kind == "mlp" else networks.conv_encoder
        return build(event_shape, **spec)
    build = networks.mlp_decoder if kind == "mlp" else networks.conv_decoder
    return build(latent_dim, event_shape, **spec)


def _posterior(spec, latent_dim):
    spec = dict(spec)
    kind = spec.pop("type", "gaussian")
    checks.one_of("model_args.posterior.type", kind, set(POSTERIOR_TYPES))
    if kind == "gaussian":
        if spec:
            raise ValueError(f"`model_args.posterior` of type gaussian takes no other keys. "
                             f"Received: {sorted(spec)}")
        return "gaussian"
    from kgen.models.vae.vae import _POSTERIORS

    if isinstance(spec.get("hidden_units"), list):
        spec["hidden_units"] = tuple(spec["hidden_units"])
    return _built("posterior", _POSTERIORS[kind], latent_dim, name="posterior", **spec)


def _prior(spec, latent_dim):
    """A prior spec: ``{type: standard_normal}``, or ``{type: maf | realnvp, ...}``
    with that flow's arguments (``kgen.models.vae.priors.FLOW_DEFAULTS`` otherwise)."""
    from kgen.models.vae import priors

    spec = dict(spec)
    kind = spec.pop("type", "standard_normal")
    checks.one_of("model_args.prior.type", kind, set(priors.PRIORS))
    if kind == "standard_normal":
        if spec:
            raise ValueError(f"`model_args.prior` of type standard_normal takes no other "
                             f"keys. Received: {sorted(spec)}")
        return kind
    for key in ("event_shape", "seed", "context_units", "num_levels", "logit_alpha"):
        if key in spec:
            raise ValueError(f"`model_args.prior` sets `{key}`, which the VAE fixes. "
                             f"Received: {key}={spec[key]!r}")
    if isinstance(spec.get("hidden_units"), list):
        spec["hidden_units"] = tuple(spec["hidden_units"])
    return priors.FlowPrior(_built("prior", priors.named_flow, kind, latent_dim, **spec),
                            name="prior")


def _built(role, build, *args, **spec):
    """``build(*args, **spec)``, an unknown key raised as a ``ValueError`` naming
    ``model_args.<role>`` (Keras layers raise a ``ValueError`` for one, Python a
    ``TypeError``); other errors name their argument already."""
    try:
        return build(*args, **spec)
    except (TypeError, ValueError) as e:
        unknown = ("Unrecognized keyword" if isinstance(e, ValueError)
                   else "unexpected keyword")
        if unknown not in str(e):
            raise  # a bad value: its error names the argument already
        raise ValueError(f"`model_args.{role}` has an invalid key: {e}") from e
