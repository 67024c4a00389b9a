"""CycleGAN's two domains: the checks that its four networks chain X -> Y -> X, the
data range they imply, and the networks of a preset."""

import keras

from kgen.models.gan.gan import GAN

NETWORKS = ("generator_xy", "generator_yx", "discriminator_x", "discriminator_y")


def _shape(net, attribute):
    shape = getattr(net, attribute)
    return None if isinstance(shape, list) else tuple(shape[1:])


def domain_shapes(nets):
    """``(x_shape, y_shape)`` of ``{name: network}`` (the names of ``NETWORKS``):
    G = ``generator_xy`` maps X to Y, F = ``generator_yx`` Y to X, D_X takes X, D_Y Y.

    Raises:
        TypeError: naming a network that is not a ``keras.Model``.
        ValueError: naming the first network whose shape does not chain.
    """
    for arg, net in nets.items():
        if not isinstance(net, keras.Model):
            raise TypeError(f"`{arg}` must be a keras.Model. Received: {arg}={net!r}")
    g = nets["generator_xy"]
    x_shape, y_shape = _shape(g, "input_shape"), _shape(g, "output_shape")
    if x_shape is None or y_shape is None:
        raise ValueError(f"`generator_xy` must map one image input to one image output. "
                         f"Received: generator_xy with input shape {g.input_shape}")
    wanted = [("generator_yx", "input_shape", y_shape, "generator_xy's output shape"),
              ("generator_yx", "output_shape", x_shape, "generator_xy's input shape"),
              ("discriminator_x", "input_shape", x_shape, "generator_xy's input shape"),
              ("discriminator_y", "input_shape", y_shape, "generator_xy's output shape")]
    for arg, attribute, shape, what in wanted:
        if _shape(nets[arg], attribute) != shape:
            raise ValueError(f"`{arg}` must have {what} {shape} as its "
                             f"{attribute.replace('_', ' ')} (domains X -> Y -> X). "
                             f"Received: {arg} with {attribute}="
                             f"{getattr(nets[arg], attribute)}")
    return x_shape, y_shape


def data_range(value, nets):
    """``value`` checked as ``(low, high)`` (as ``GAN``'s ``data_range``); ``None``: the
    range of both generators' output activation (tanh: ``(-1, 1)``) if they share a
    known one, else ``None``.

    Raises:
        ValueError: naming ``data_range``.
    """
    ranges = {GAN._checked_range(value, nets[g]) for g in ("generator_xy", "generator_yx")}
    return ranges.pop() if len(ranges) == 1 else None


def preset_networks(generator, discriminator, event_shape, seed=None):
    """The four networks of a preset for two domains of ``event_shape``: ``generator``
    and ``discriminator`` are ``None`` or the keyword arguments of
    ``kgen.networks.cyclegan_generator`` / ``patchgan_discriminator``; network i is
    seeded with ``seed + 10 i``.

    Raises:
        ValueError: naming ``model_args.generator`` or ``model_args.discriminator``.
    """
    from kgen import networks

    specs = {"generator": (networks.cyclegan_generator, generator),
             "discriminator": (networks.patchgan_discriminator, discriminator)}
    built = {}
    for i, name in enumerate(NETWORKS):
        kind = name.split("_")[0]
        builder, spec = specs[kind]
        try:
            built[name] = builder(event_shape, **dict(spec or {}), name=name,
                                  seed=None if seed is None else seed + 10 * i)
        except (TypeError, ValueError) as e:
            raise ValueError(f"`model_args.{kind}` is not valid: {e}") from e
    return built
