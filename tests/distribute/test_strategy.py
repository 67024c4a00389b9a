"""kgen.distribute.strategy, split_cpu and build_optimizer, in-process."""

import json

import keras
import pytest
import tensorflow as tf

from kgen import distribute


@pytest.mark.parametrize("kind", ["gpu", "Mirrored", "", None, 3])
def test_unknown_kind_raises_listing_the_kinds(kind):
    with pytest.raises(ValueError, match="`kind`") as info:
        distribute.strategy(kind)
    for name in distribute.KINDS:
        assert repr(name) in str(info.value)


def test_cpu_is_one_device_strategy_on_cpu():
    strategy = distribute.strategy("cpu")
    assert isinstance(strategy, tf.distribute.OneDeviceStrategy)
    assert strategy.num_replicas_in_sync == 1
    with strategy.scope():
        v = tf.Variable(1.0)
    assert "CPU:0" in v.device


def test_auto_on_one_device_is_the_default_strategy():
    assert len(tf.config.list_logical_devices("CPU")) == 1
    if not tf.config.list_logical_devices("GPU"):
        assert distribute.strategy("auto") is tf.distribute.get_strategy()


def test_auto_inside_a_scope_returns_that_strategy():
    strategy = distribute.strategy("cpu")
    with strategy.scope():
        assert distribute.strategy("auto") is strategy


def test_mirrored_uses_every_cpu_without_gpus():
    if tf.config.list_logical_devices("GPU"):
        pytest.skip("GPUs present")
    strategy = distribute.strategy("mirrored")
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert strategy.num_replicas_in_sync == len(tf.config.list_logical_devices("CPU"))


@pytest.mark.parametrize("tf_config, hint", [
    (None, "not set"),
    ("", "not set"),
    ("{not json", "valid JSON"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), "`cluster`"),
    (json.dumps({"cluster": {"worker": []}, "task": {"type": "worker", "index": 0}}),
     "`cluster`"),
    (json.dumps({"cluster": {"worker": ["localhost:1"]}}), "`task`"),
    (json.dumps({"cluster": {"worker": ["localhost:1"]}, "task": {"type": "chief", "index": 0}}),
     "`task`"),
    (json.dumps({"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 1}}),
     "`task`"),
])
def test_multiworker_without_valid_tf_config_raises(monkeypatch, tf_config, hint):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ValueError, match="TF_CONFIG") as info:
        distribute.strategy("multiworker")
    assert hint in str(info.value)


def test_tpu_without_a_tpu_raises_runtime_error(monkeypatch):
    for var in ("TPU_NAME", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS", "TPU_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    if tf.config.list_physical_devices("TPU"):
        pytest.skip("a TPU is attached")
    with pytest.raises(RuntimeError, match="TPU_NAME"):
        distribute.strategy("tpu")


def test_split_cpu_after_tensorflow_started_raises():
    tf.constant(1.0) + 1.0  # TensorFlow is initialised now
    with pytest.raises(RuntimeError, match="before TensorFlow runs any op"):
        distribute.split_cpu(len(tf.config.list_logical_devices("CPU")) + 1)


def test_split_cpu_to_the_current_count_is_a_no_op():
    tf.constant(1.0) + 1.0
    current = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert distribute.split_cpu(len(current)) == current


@pytest.mark.parametrize("num_devices, error", [(0, ValueError), (1.5, TypeError)])
def test_split_cpu_checks_num_devices(num_devices, error):
    with pytest.raises(error, match="`num_devices`"):
        distribute.split_cpu(num_devices)


def test_build_optimizer_creates_its_variables():
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    optimizer = keras.optimizers.Adam()
    assert distribute.build_optimizer(optimizer, layer) is optimizer
    assert optimizer.built
    # Adam keeps two slots (m, v) per variable of the layer.
    shapes = sorted(tuple(v.shape) for v in optimizer.variables if v.shape.rank)
    assert shapes == sorted([(2, 3), (2, 3), (3,), (3,)])
    assert distribute.build_optimizer(optimizer, layer.trainable_variables) is optimizer


def test_build_optimizer_in_a_strategy_scope():
    strategy = distribute.strategy("cpu")
    with strategy.scope():
        layer = keras.layers.Dense(3)
        layer.build((None, 2))
        optimizer = keras.optimizers.SGD(momentum=0.9)
    assert distribute.build_optimizer(optimizer, layer, strategy).built
    assert len(optimizer.variables) == 2 + 2  # iterations, learning rate, 2 momenta


def test_build_optimizer_refuses_an_optimizer_of_another_strategy():
    strategy = distribute.strategy("cpu")
    with strategy.scope():
        layer = keras.layers.Dense(3)
        layer.build((None, 2))
    with pytest.raises(ValueError, match="inside the scope"):
        distribute.build_optimizer(keras.optimizers.Adam(), layer, strategy)


def test_build_optimizer_checks_its_arguments():
    layer = keras.layers.Dense(3)
    with pytest.raises(TypeError, match="`optimizer`"):
        distribute.build_optimizer("adam", [tf.Variable(1.0)])
    with pytest.raises(ValueError, match="`variables`"):
        distribute.build_optimizer(keras.optimizers.Adam(), layer)  # unbuilt: no weights
    with pytest.raises(TypeError, match="`strategy`"):
        distribute.build_optimizer(keras.optimizers.Adam(), [tf.Variable(1.0)], "mirrored")
