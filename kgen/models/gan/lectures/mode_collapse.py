"""Mode collapse on the ring of 8 and the grid of 25 Gaussians, measured as VEEGAN and
PacGAN do.

The protocol (Srivastava et al. 2017, sec. 5.1; Lin et al. 2018, sec. 5.1): train a GAN
on a Gaussian mixture with PacGAN's settings (``kgen.data.toy.PACGAN``: a ring of radius
1 with std 0.01, a grid at {-4, -2, 0, 2, 4}^2 with std 0.05), draw 2,500 samples, and
count (``kgen.data.toy.mode_coverage``) the modes covered (nearest mode of at least one
high-quality sample, i.e. one within 3 std of it), the fraction of high-quality samples
and the reverse KL of the high-quality samples' mode histogram against the uniform one
(nats). Each figure is reported as mean +- standard error (sample std / sqrt(n)) over
seeds, per loss. PacGAN's best (PacGAN4): 7.9 modes / 95.6 % on the ring, 24.8 / 93.6 %
on the grid.

Both networks are MLPs of ``kgen.networks`` (3 x 128 ReLU units by default, 2-D noise,
linear output). ``LOSS_SETTINGS`` holds each loss's ``n_critic`` and Adam parameters.

References:
    1. Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using Implicit
       Variational Learning", NeurIPS 2017. https://arxiv.org/abs/1705.07761
    2. Lin, Khetan, Fanti, Oh, "PacGAN: The power of two samples in generative
       adversarial networks", NeurIPS 2018. https://arxiv.org/abs/1712.04086
"""

import math
import time

import keras
import numpy as np

from kgen import checks
from kgen.data import toy as toys

NUM_SAMPLES = 2500  # VEEGAN's and PacGAN's sample count
TOYS = ("ring_of_gaussians", "grid_of_gaussians")
FIGURES = ("modes_covered", "high_quality_fraction", "reverse_kl")
# Per loss: critic steps per generator step and Adam's (learning rate, beta_1, beta_2).
LOSS_SETTINGS = {
    "minimax": {"n_critic": 1, "adam": (1e-3, 0.5, 0.9)},
    "non_saturating": {"n_critic": 1, "adam": (1e-3, 0.5, 0.9)},
    "least_squares": {"n_critic": 1, "adam": (1e-3, 0.5, 0.9)},
    "hinge": {"n_critic": 1, "adam": (1e-3, 0.5, 0.9)},
    "wasserstein_gp": {"n_critic": 5, "adam": (3e-4, 0.5, 0.9)},
    "wasserstein": {"n_critic": 5, "adam": (5e-5, 0.5, 0.9)},
}


def mean_and_standard_error(values):
    """``(mean, standard error)`` of a list: the sample std (ddof 1) over sqrt(n);
    the error is ``None`` for a single value or when a value is infinite (a run with no
    high-quality sample has ``reverse_kl = inf``, and so has the mean)."""
    values = np.asarray(values, np.float64)
    if values.ndim != 1 or len(values) == 0 or np.any(np.isnan(values)):
        raise ValueError(f"`values` must be a non-empty list of numbers. "
                         f"Received: values={values!r}")
    if len(values) == 1 or not np.all(np.isfinite(values)):
        return float(values.mean()), None
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def evaluate(samples, toy):
    """The protocol's figures of ``samples`` (``(n, 2)``) on ``toy`` with PacGAN's
    parameters: ``modes_covered``, ``num_modes``, ``high_quality_fraction``,
    ``reverse_kl`` (nats) and ``counts`` (a list)."""
    result = toys.mode_coverage(samples, toy, **toys.PACGAN[toy])
    return {**result, "counts": [int(c) for c in result["counts"]]}


class _Monitor(keras.callbacks.Callback):
    """Records the figures after every epoch and stops after ``max_seconds``."""

    def __init__(self, toy, seed, max_seconds):
        super().__init__()
        self.toy, self.seed, self.max_seconds = toy, seed, max_seconds
        self.curve, self.start = [], time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        figures = evaluate(self.model.sample(NUM_SAMPLES, seed=self.seed).numpy(), self.toy)
        self.curve.append({k: figures[k] for k in FIGURES})
        if self.max_seconds and time.perf_counter() - self.start > self.max_seconds:
            self.model.stop_training = True


def train_gan(loss, toy="ring_of_gaussians", steps=2000, batch_size=256, seed=0,
              hidden_units=(128, 128, 128), steps_per_epoch=200, max_seconds=None,
              **settings):
    """Trains a ``kgen.models.gan.GAN`` of MLPs on a PacGAN toy.

    Args:
        loss: a name of ``LOSS_SETTINGS``.
        toy: ``"ring_of_gaussians"`` or ``"grid_of_gaussians"``.
        steps: int >= 1, generator steps (each after ``n_critic`` critic steps).
        batch_size: int >= 1, examples per critic (and generator) step.
        seed: int >= 0, of the data, the weights and the noise.
        hidden_units: the layers of both MLPs.
        steps_per_epoch: generator steps between two evaluations of the figures.
        max_seconds: ``None`` or a wall-time cap, checked after each epoch.
        **settings: overrides of ``LOSS_SETTINGS[loss]`` (``n_critic``, ``adam``).

    Returns:
        ``(gan, info)``: the trained model and a dict of ``curve`` (the figures after
        each epoch), ``steps`` (generator steps run) and ``train_seconds``.

    Raises:
        ValueError: naming ``loss``, ``toy``, ``steps`` or ``batch_size``.
    """
    from kgen import networks
    from kgen.models.gan import GAN

    checks.one_of("loss", loss, tuple(LOSS_SETTINGS))
    checks.one_of("toy", toy, TOYS)
    steps = checks.positive_int("steps", steps)
    batch_size = checks.positive_int("batch_size", batch_size)
    seed = checks.seed("seed", seed) or 0
    config = {**LOSS_SETTINGS[loss], **settings}
    n_critic = config["n_critic"]
    per_epoch = min(checks.positive_int("steps_per_epoch", steps_per_epoch), steps)
    epochs = math.ceil(steps / per_epoch)
    x = toys.sample_toy(toy, epochs * per_epoch * n_critic * batch_size, seed=seed,
                        **toys.PACGAN[toy])
    gan = GAN(networks.mlp_generator(2, 2, tuple(hidden_units), seed=2 * seed),
              networks.mlp_discriminator(2, tuple(hidden_units), seed=2 * seed + 1),
              loss=loss, n_critic=n_critic, seed=seed)
    gan.compile(optimizer={p: keras.optimizers.Adam(*config["adam"]) for p in gan.players},
                steps_per_execution=min(per_epoch, 50))
    monitor = _Monitor(toy, seed, max_seconds)
    start = time.perf_counter()
    gan.fit(x, batch_size=n_critic * batch_size, epochs=epochs, verbose=0, shuffle=False,
            callbacks=[monitor])
    return gan, {"curve": monitor.curve, "steps": len(monitor.curve) * per_epoch,
                 "train_seconds": time.perf_counter() - start}


def run_protocol(losses=("non_saturating", "wasserstein_gp"), seeds=range(5),
                 toy="ring_of_gaussians", steps=2000, num_samples=NUM_SAMPLES, **train_kwargs):
    """The mode-collapse protocol for each loss and seed, summarised over the seeds.

    Args:
        losses: names of ``LOSS_SETTINGS``.
        seeds: ints >= 0; one run (data, weights, noise) per seed.
        toy: ``"ring_of_gaussians"`` or ``"grid_of_gaussians"``.
        steps: generator steps per run.
        num_samples: samples drawn after training (2,500 in the papers).
        **train_kwargs: passed to ``train_gan`` (``batch_size``, ``hidden_units``,
            ``max_seconds``, ...).

    Returns:
        dict, per loss: ``runs`` (per seed: the figures of ``evaluate`` with ``seed``,
        ``steps``, ``train_seconds`` and the ``curve``) and, for each of ``FIGURES``,
        ``{"mean": ..., "std_error": ...}`` over the seeds.

    Raises:
        ValueError: naming ``losses``, ``seeds`` or anything ``train_gan`` refuses.
    """
    losses, seeds = list(losses), [checks.seed("seeds", s) for s in seeds]
    if not losses or not seeds:
        raise ValueError(f"`losses` and `seeds` must be non-empty. Received: "
                         f"losses={losses!r}, seeds={seeds!r}")
    num_samples = checks.positive_int("num_samples", num_samples)
    results = {}
    for loss in losses:
        runs = []
        for seed in seeds:
            gan, info = train_gan(loss, toy, steps, seed=seed, **train_kwargs)
            figures = evaluate(gan.sample(num_samples, seed=10_000 + seed).numpy(), toy)
            runs.append({"seed": seed, **figures, **info})
        summary = {}
        for name in FIGURES:
            mean, error = mean_and_standard_error([r[name] for r in runs])
            summary[name] = {"mean": mean, "std_error": error}
        results[loss] = {"runs": runs, **summary}
    return results


__all__ = ["FIGURES", "LOSS_SETTINGS", "NUM_SAMPLES", "TOYS", "evaluate",
           "mean_and_standard_error", "run_protocol", "train_gan"]
