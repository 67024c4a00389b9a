"""One ``fit`` of the two-player toy (tests/models/two_player.py) under MirroredStrategy
(2 logical CPUs) and on one device, from the same weights, with the noise fixed at zero.

Run by ``test_players_mirrored.py`` in a fresh interpreter (logical devices must be set
before TensorFlow runs any op). Prints one JSON line.
"""

import json
import sys

from kgen import distribute

distribute.split_cpu(2)  # before any op

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kgen import testing  # noqa: E402

sys.path.insert(0, sys.argv[1])  # the repository, for tests.models.two_player
from tests.models import two_player  # noqa: E402


class Fixed(testing.ZeroNoise, two_player.TwoPlayer):
    pass


def trained(strategy, initial, average="global"):
    with strategy.scope():
        model = Fixed(seed=3)
        model.set_weights(initial)
        if average == "replica":  # the bug the global-batch mean prevents
            model.average_over_global_batch = staticmethod(tf.reduce_mean)
        model.compile(optimizer={"generator": keras.optimizers.SGD(0.1),
                                 "discriminator": keras.optimizers.SGD(0.2)})
    data = tf.data.Dataset.from_tensor_slices(two_player.data(16)).batch(8)
    model.fit(data, epochs=1, verbose=0)
    return model


keras.utils.set_random_seed(0)
initial = Fixed(seed=3).get_weights()
mirrored = distribute.strategy("mirrored")
result = {
    "replicas": mirrored.num_replicas_in_sync,
    "initial": [w.tolist() for w in initial],
    "mirrored": [w.tolist() for w in trained(mirrored, initial).get_weights()],
    "single": [w.tolist() for w in trained(tf.distribute.get_strategy(), initial).get_weights()],
    "wrong": [w.tolist() for w in trained(mirrored, initial, "replica").get_weights()],
}
print(json.dumps(result))
