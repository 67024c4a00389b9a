"""What ``kgen list`` shows, readable without importing TensorFlow.

This module imports nothing of kgen (the console script loads it by file path, so
that ``kgen list`` and ``kgen --help`` answer in well under a second). ``MODELS``
and ``DATA_SETS`` repeat the names of ``kgen.models.available()`` and
``kgen.data.available()``; ``tests/cli/test_fast_cli.py`` checks that they agree.
"""

import pathlib

MODELS = ("acgan", "bernoulli_mixture", "bigan", "biggan", "conditional_gan", "cyclegan", "dbm",
          "dbn", "fgan", "fvbm", "fvsbn", "gan", "gated_pixelcnn", "gaussian_rbm", "glow", "iaf",
          "infogan", "iwae", "made", "maf", "nade", "neural_spline_flow", "nice", "pixelcnn",
          "pixelrnn", "planar_flow", "progressive_gan", "radial_flow", "rbm", "realnvp", "vae")
DATA_SETS = ("binarized_mnist", "checkerboard", "cifar10", "digits", "fashion_mnist",
             "grid_of_gaussians", "mnist_test", "ring_of_gaussians", "spirals", "two_moons")
CONFIG_DIR = pathlib.Path(__file__).resolve().parent.parent / "configs"


def lines(models=MODELS, data_sets=DATA_SETS):
    """The lines ``kgen list`` prints: models, presets with their descriptions, data sets."""
    import yaml

    out = ["models:"] + [f"  {name}" for name in models]
    out.append("presets:")
    for path in sorted(CONFIG_DIR.glob("*.yaml")):
        try:
            preset = yaml.safe_load(path.read_text())
            description = preset.get("description", "") if isinstance(preset, dict) else ""
        except (OSError, yaml.YAMLError):
            description = "(unreadable)"
        out.append(f"  {path.stem:<28} {description}".rstrip())
    out.append("data sets:")
    out += [f"  {name}" for name in data_sets]
    return out
