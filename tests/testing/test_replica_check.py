"""kgen.testing.assert_replica_step_matches passes the right step and refuses wrong ones."""

import numpy as np
import pytest

from kgen import testing

MODELS = "tests.testing.replica_models"
BATCH = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")


def test_a_global_batch_mean_takes_the_single_device_step():
    result = testing.assert_replica_step_matches(f"{MODELS}:linear", BATCH, method="fit")
    # The checked step is the SGD step of the loss, not near zero.
    step = result["single"][0] - result["initial"][0]
    assert np.abs(step).max() > 1e-2


def test_a_replica_local_mean_is_refused_as_a_step_twice_too_big():
    with pytest.raises(AssertionError, match=r"mirrored step = 2\.00 x the 1-device step"):
        testing.assert_replica_step_matches(f"{MODELS}:replica_local_mean", BATCH)


def test_a_weight_that_no_step_moves_is_refused():
    with pytest.raises(AssertionError, match="unused"):
        testing.assert_replica_step_matches(f"{MODELS}:with_an_untrained_weight", BATCH)


def test_one_optimizer_per_player_with_the_noise_fixed():
    from tests.models import two_player

    # z = 1, not 0: a zero z would leave the generator's kernel without gradient.
    result = testing.assert_replica_step_matches(
        "tests.models.two_player:make", two_player.data(8),
        compile_fn=f"{MODELS}:compile_players", normal_value=1.0)
    names = result["names"]
    assert any("generator" in n for n in names) and any("discriminator" in n for n in names)


@pytest.mark.parametrize("kwargs, argument", [
    ({"factory": "no_colon"}, "factory"),
    ({"factory": "a.b:c", "compile_fn": "x:y:z"}, "compile_fn"),
    ({"factory": "a.b:c", "method": "evaluate"}, "method"),
    ({"factory": "a.b:c", "batch": BATCH[:3]}, "batch"),
    ({"factory": "a.b:c", "batch": (BATCH, BATCH[:4])}, "batch"),
])
def test_bad_arguments_are_named_before_any_process_starts(kwargs, argument):
    kwargs = {"batch": BATCH, **kwargs}
    testing.assert_raises_naming(ValueError, argument, testing.assert_replica_step_matches,
                                 **kwargs)
