"""The shared test harness: checks every kgen model family calls.

Each family's tests call these instead of writing their own copies::

    from kgen import testing
    testing.assert_keras_round_trip(model, tmp_path, lambda m: m.elbo(x, seed=0))

Round trips (``kgen.testing.round_trip``):
- ``assert_keras_round_trip``: ``.keras`` with ``safe_mode=True``: config, weight
  counts and values, seed-generator state, outputs.
- ``assert_saved_model_round_trip``: every serving signature, served by plain
  TensorFlow in a process that never imports kgen, against the model in-process.

Distribution (``kgen.testing.replicas``):
- ``assert_replica_step_matches``: a 2-replica ``MirroredStrategy`` step equals the
  1-device step (in a subprocess that splits the CPU), for any ``compile``;
  ``sgd_per_player`` is the ``compile_fn`` of a game (one SGD per player).

Maths (``kgen.testing.maths``):
- ``assert_log_det_matches_jacobian``: a log-det against the autodiff Jacobian's.
- ``assert_autoregressive``: output ``i`` depends only on inputs before ``i``.
- ``assert_normalized_by_enumeration`` (binary data, D <= 16) and
  ``assert_normalized_on_grid`` (2-D densities).

Basics (``kgen.testing.basics``): ``assert_raises_naming`` (call or context manager),
``assert_config_round_trip``, ``random_binary``, ``ZeroNoise``.

The two checks that need another interpreter (the SavedModel's kgen-free loader,
the 2-CPU replica step) keep one worker process each for all the calls of the test
process (``kgen.testing._workers``): started on first use, restarted if it dies,
stopped at exit. Set ``KGEN_TESTING_FRESH_PROCESS=1`` to give every call a fresh
interpreter instead (slower: a TensorFlow import each), e.g. to check that a
suspicious result does not depend on the calls before it.

The harness needs no pytest (not an install dependency of kgen): failures are
``AssertionError``s.
"""

from kgen.testing.basics import (  # noqa: F401
    RaisesNaming,
    ZeroNoise,
    assert_config_round_trip,
    assert_raises_naming,
    random_binary,
)
from kgen.testing.maths import (  # noqa: F401
    assert_autoregressive,
    assert_log_det_matches_jacobian,
    assert_normalized_by_enumeration,
    assert_normalized_on_grid,
    batch_jacobian,
)
from kgen.testing.replicas import assert_replica_step_matches, sgd_per_player  # noqa: F401
from kgen.testing.round_trip import (  # noqa: F401
    assert_keras_round_trip,
    assert_saved_model_round_trip,
)
