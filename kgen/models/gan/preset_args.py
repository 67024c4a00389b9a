"""How a preset's ``model_args`` build a GAN's networks from specs.

A preset names the two networks by small specs rather than Python objects::

    latent_dim: 100
    generator: {type: dcgan, base_filters: 64, batch_norm: true}
    discriminator: {type: dcgan, normalization: batch, base_filters: 64}

``build_args`` turns them into ``kgen.networks`` models (``dcgan_*`` for images,
``mlp_*`` for vectors), seeded from the preset's seed; ``GAN.from_preset`` (and the
conditional models', which pass ``num_classes``) calls it, so the CLI knows nothing
of GANs.
"""

import copy

from kgen import checks

NETWORK_KEYS = {
    ("generator", "dcgan"): {"base_filters", "batch_norm"},
    ("generator", "mlp"): {"hidden_units", "activation", "output_activation"},
    ("discriminator", "dcgan"): {"normalization", "base_filters", "spectral_norm"},
    ("discriminator", "mlp"): {"hidden_units", "activation", "spectral_norm"},
}
# The discriminator's seed is the generator's plus this, so the two differ.
DISCRIMINATOR_SEED_OFFSET = 1000


def build_args(model_args, event_shape, seed=None, **network_kwargs):
    """``model_args`` with ``generator`` / ``discriminator`` specs built.

    Args:
        model_args: the preset's ``model_args``; ``latent_dim`` (default 100) sizes z.
        event_shape: the shape of one example: ``(size, size, channels)`` for
            ``dcgan``, ``(dim,)`` for ``mlp``.
        seed: the preset's seed, seeding both networks' initial weights.
        **network_kwargs: passed to both builders (``num_classes`` and, for the
            discriminator, ``auxiliary_classifier`` of the conditional models).

    Raises:
        ValueError: naming ``model_args.<role>`` (or ``.type``) on an unknown type or
            key, or a spec that is missing.
    """
    from kgen import networks

    args = copy.deepcopy(model_args)
    latent_dim = args.get("latent_dim", 100)
    for role in ("generator", "discriminator"):
        spec = args.get(role)
        if spec is None:
            raise ValueError(f"`model_args.{role}` must be a network spec such as "
                             f"{{type: dcgan}}. Received: no model_args.{role}")
        if isinstance(spec, dict):
            args[role] = _network(networks, role, spec, tuple(event_shape), latent_dim,
                                  seed, network_kwargs)
    return args


def _network(networks, role, spec, event_shape, latent_dim, seed, network_kwargs):
    spec = dict(spec)
    kind = spec.pop("type", "dcgan")
    checks.one_of(f"model_args.{role}.type", kind, ("dcgan", "mlp"))
    known = NETWORK_KEYS[(role, kind)]
    extra = sorted(set(spec) - known)
    if extra:
        raise ValueError(f"Unknown keys {extra} in `model_args.{role}` of type {kind}. "
                         f"Known keys: {sorted(known)}")
    if isinstance(spec.get("hidden_units"), list):
        spec["hidden_units"] = tuple(spec["hidden_units"])
    kwargs = dict(network_kwargs)
    if role == "generator":
        kwargs.pop("auxiliary_classifier", None)
    else:
        seed = None if seed is None else seed + DISCRIMINATOR_SEED_OFFSET
    if kind == "mlp" and len(event_shape) != 1:
        raise ValueError(f"`model_args.{role}` of type mlp needs vector data, shape (dim,). "
                         f"Received: data of shape {event_shape}")
    if role == "generator":
        if kind == "dcgan":
            return networks.dcgan_generator(latent_dim, event_shape, seed=seed, **spec,
                                            **kwargs)
        return networks.mlp_generator(latent_dim, event_shape[0], seed=seed, **spec, **kwargs)
    if kind == "dcgan":
        return networks.dcgan_discriminator(event_shape, seed=seed, **spec, **kwargs)
    return networks.mlp_discriminator(event_shape[0], seed=seed, **spec, **kwargs)
