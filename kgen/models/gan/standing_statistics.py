"""Batch-norm statistics recomputed for a GAN's averaged (EMA) generator weights."""

import keras

from kgen import checks


def recompute_ema_statistics(model, num_batches=20, batch_size=256, seed=0):
    """Recomputes the batch-norm moving statistics of a GAN's EMA generator.

    ``GAN(ema_decay=...)`` averages every generator weight, the batch-norm
    moving means and variances too; but the averaged trainable weights give
    other activations than any of the generators whose statistics were
    averaged. This runs the EMA generator in training mode on
    ``num_batches`` batches of fresh noise (and, for a conditional GAN, the
    classes in turn) and sets each batch-norm layer's EMA moving mean and
    variance to the average of the batch statistics: the "standing
    statistics" of BigGAN (Brock et al. 2019, arXiv:1809.11096, sec. 4 and
    app. C.1) and the recomputation Yazici et al. 2019 (arXiv:1806.04498)
    apply to their averaged generators. Batch ``k`` uses the momentum
    ``k / (k + 1)``, so the moving values after the last batch are the
    exact means over batches. Only the EMA copies of the moving statistics
    change: the live generator, the EMA's trainable weights and every other
    non-trainable variable (e.g. spectral norm's power-iteration vectors)
    keep their values.

    Args:
        model: a ``kgen.models.gan.GAN`` (or subclass) built with ``ema_decay``.
        num_batches: int >= 1, batches of noise.
        batch_size: int >= 2, noise vectors per batch (the statistics of a
            batch are those the layer normalizes with in training).
        seed: int >= 0; batch ``k`` draws its noise with seed ``seed + k``.

    Returns:
        int, the number of batch-norm layers updated (0: the generator has none
        and nothing changes).

    Raises:
        ValueError: naming ``model`` if it keeps no EMA, or ``num_batches``,
            ``batch_size`` or ``seed`` if out of range.

    Example:

    >>> gan.fit(images, epochs=10)                     # GAN(..., ema_decay=0.999)
    >>> kgen.models.gan.recompute_ema_statistics(gan)  # before sampling / FID
    >>> images = gan.sample(64, seed=0)                # the EMA generator
    """
    if not getattr(model, "ema", None):
        raise ValueError(f"`model` must be a GAN that keeps an EMA of its generator "
                         f"(ema_decay set). Received: {type(model).__name__} with "
                         f"ema_decay={getattr(model, 'ema_decay', None)}")
    num_batches = checks.positive_int("num_batches", num_batches)
    batch_size = checks.positive_int("batch_size", batch_size, minimum=2)
    seed = checks.positive_int("seed", seed, minimum=0)
    generator = model.generator
    norms = [layer for layer in generator._flatten_layers(include_self=False)
             if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return 0
    count = len(generator.trainable_variables)
    trainable = [v.value for v in model.ema[:count]]
    ema_state = model.ema[count:]
    moving = {id(v) for layer in norms for v in (layer.moving_mean, layer.moving_variance)}
    keep = [id(v) in moving for v in generator.non_trainable_variables]
    state = [v.value for v in ema_state]
    momenta = [layer.momentum for layer in norms]
    try:
        for k in range(num_batches):
            for layer in norms:
                layer.momentum = k / (k + 1.0)
            inputs = model.generator_inputs(model.noise(batch_size, seed=seed + k),
                                            model.condition(batch_size, {}))
            _, updated = generator.stateless_call(trainable, state, inputs, training=True)
            state = [new if use else old for new, old, use in zip(updated, state, keep)]
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
    for variable, value, use in zip(ema_state, state, keep):
        if use:
            variable.assign(value)
    return len(norms)


__all__ = ["recompute_ema_statistics"]
