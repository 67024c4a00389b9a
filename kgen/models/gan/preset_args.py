"""How a preset's ``model_args`` build a GAN's networks from specs.

A preset names the two networks by small specs rather than Python objects::

    latent_dim: 100
    generator: {type: dcgan, base_filters: 64, batch_norm: true}
    discriminator: {type: dcgan, normalization: batch, base_filters: 64}

BiGAN's presets add ``encoder: {type: dcgan}`` (its discriminator spec then builds a
joint D(x, z)); InfoGAN's networks get the codes input and the Q head from its
``num_categories`` / ``num_continuous``. ``build_args`` turns the specs into
``kgen.networks`` models (``dcgan_*`` for images, ``mlp_*`` for vectors), seeded from
the preset's seed; ``GAN.from_preset`` (and the conditional models', which pass
``num_classes``) calls it, so the CLI knows nothing of GANs.
"""

import copy

from kgen import checks

NETWORK_KEYS = {
    ("generator", "dcgan"): {"base_filters", "batch_norm"},
    ("generator", "mlp"): {"hidden_units", "activation", "output_activation"},
    ("discriminator", "dcgan"): {"normalization", "base_filters", "spectral_norm"},
    ("discriminator", "mlp"): {"hidden_units", "activation", "spectral_norm"},
    ("encoder", "dcgan"): {"normalization", "base_filters"},
    ("encoder", "mlp"): {"hidden_units", "activation"},
    ("joint_discriminator", "dcgan"): {"base_filters", "hidden_units", "normalization",
                                       "spectral_norm"},
    ("joint_discriminator", "mlp"): {"hidden_units", "activation", "spectral_norm"},
}
# Builder arguments of one role only (the rest, e.g. num_classes, go to both).
GENERATOR_ONLY = {"code_dim"}
DISCRIMINATOR_ONLY = {"auxiliary_classifier", "q_units"}
# The discriminator's (encoder's) seed is the generator's plus this, so they differ.
DISCRIMINATOR_SEED_OFFSET = 1000
ENCODER_SEED_OFFSET = 2000


def build_args(model_args, event_shape, seed=None, joint=False, **network_kwargs):
    """``model_args`` with ``generator`` / ``discriminator`` (and ``encoder``) specs built.

    Args:
        model_args: the preset's ``model_args``; ``latent_dim`` (default 100) sizes z.
        event_shape: the shape of one example: ``(size, size, channels)`` for
            ``dcgan``, ``(dim,)`` for ``mlp``.
        seed: the preset's seed, seeding the networks' initial weights.
        joint: bool; True for BiGAN: an ``encoder`` spec too (``dcgan_encoder`` /
            ``mlp_gan_encoder``), and a joint discriminator D(x, z)
            (``dcgan_joint_discriminator`` / ``mlp_joint_discriminator``).
        **network_kwargs: passed to the builders (``num_classes`` to both;
            ``auxiliary_classifier`` (ACGAN) and ``q_units`` (InfoGAN) to the
            discriminator's, ``code_dim`` (InfoGAN) to the generator's).

    Raises:
        ValueError: naming ``model_args.<role>`` (or ``.type``) on an unknown type or
            key, or a spec that is missing.
    """
    from kgen import networks

    args = copy.deepcopy(model_args)
    latent_dim = args.get("latent_dim", 100)
    for role in ("generator", "encoder", "discriminator") if joint else ("generator",
                                                                           "discriminator"):
        spec = args.get(role)
        if spec is None:
            raise ValueError(f"`model_args.{role}` must be a network spec such as "
                             f"{{type: dcgan}}. Received: no model_args.{role}")
        if isinstance(spec, dict):
            args[role] = _network(networks, role, spec, tuple(event_shape), latent_dim,
                                  seed, network_kwargs, joint)
    return args


def _network(networks, role, spec, event_shape, latent_dim, seed, network_kwargs, joint):
    spec = dict(spec)
    kind = spec.pop("type", "dcgan")
    checks.one_of(f"model_args.{role}.type", kind, ("dcgan", "mlp"))
    key = "joint_discriminator" if joint and role == "discriminator" else role
    known = NETWORK_KEYS[(key, kind)]
    extra = sorted(set(spec) - known)
    if extra:
        raise ValueError(f"Unknown keys {extra} in `model_args.{role}` of type {kind}. "
                         f"Known keys: {sorted(known)}")
    if isinstance(spec.get("hidden_units"), list):
        spec["hidden_units"] = tuple(spec["hidden_units"])
    drop = DISCRIMINATOR_ONLY if role == "generator" else GENERATOR_ONLY
    kwargs = {k: v for k, v in network_kwargs.items() if k not in drop}
    if role != "generator" and seed is not None:
        seed += ENCODER_SEED_OFFSET if role == "encoder" else DISCRIMINATOR_SEED_OFFSET
    if kind == "mlp" and len(event_shape) != 1:
        raise ValueError(f"`model_args.{role}` of type mlp needs vector data, shape (dim,). "
                         f"Received: data of shape {event_shape}")
    data = event_shape if kind == "dcgan" else event_shape[0]
    dcgan = kind == "dcgan"
    if key == "generator":
        build = networks.dcgan_generator if dcgan else networks.mlp_generator
        return build(latent_dim, data, seed=seed, **spec, **kwargs)
    if key == "encoder":
        build = networks.dcgan_encoder if dcgan else networks.mlp_gan_encoder
    elif key == "joint_discriminator":
        build = networks.dcgan_joint_discriminator if dcgan else networks.mlp_joint_discriminator
    else:
        build = networks.dcgan_discriminator if dcgan else networks.mlp_discriminator
        return build(data, seed=seed, **spec, **kwargs)
    return build(data, latent_dim, seed=seed, **spec, **kwargs)
