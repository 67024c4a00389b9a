"""`kgen sample` on autoregressive models: the cached sampler, labels, the pixel range."""

import numpy as np
import pytest
from PIL import Image

from kgen.cli import main
from kgen.models.autoregressive import GatedPixelCNN
from tests.models.autoregressive import ar_checks


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def conditional_model(tmp_path_factory):
    """A saved 256-way class-conditional Gated PixelCNN over 4x4 grey images."""
    model = GatedPixelCNN(event_shape=(4, 4, 1), likelihood="categorical", filters=4,
                          num_layers=2, first_kernel_size=3, num_classes=3, seed=0)
    model = ar_checks.randomize(model, seed=0, stddev=0.5)
    path = tmp_path_factory.mktemp("sample") / "gated.keras"
    model.save(path)
    return path


def pixels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), np.float32)


def test_the_cached_and_the_naive_sampler_draw_the_same_grid(conditional_model, tmp_path):
    grids = {}
    for sampler in ("cached", "naive"):
        out = tmp_path / f"{sampler}.png"
        run("sample", "--model-path", conditional_model, "--num-samples", 9, "--output", out,
            "--seed", 3, "--sampler", sampler)
        grids[sampler] = pixels(out)
    assert grids["cached"].shape == (3 * 6, 3 * 6)  # 3x3 grid of 4x4 images, 1-pixel borders
    np.testing.assert_array_equal(grids["cached"], grids["naive"])
    # Levels 0..255 are mapped to grey levels, not clipped to white: the grid is not flat.
    assert grids["cached"].std() > 10


def test_labels_choose_the_class_and_bad_labels_are_refused(conditional_model, tmp_path):
    one = tmp_path / "one.png"
    run("sample", "--model-path", conditional_model, "--num-samples", 4, "--output", one,
        "--labels", 2)
    listed = tmp_path / "listed.png"
    run("sample", "--model-path", conditional_model, "--num-samples", 4, "--output", listed,
        "--labels", "2,2,2,2")
    np.testing.assert_array_equal(pixels(one), pixels(listed))
    for labels in ("2,1", "a", "3"):
        with pytest.raises(ValueError, match="labels"):
            run("sample", "--model-path", conditional_model, "--num-samples", 4,
                "--output", tmp_path / "bad.png", "--labels", labels)
    assert not (tmp_path / "bad.png").exists()
