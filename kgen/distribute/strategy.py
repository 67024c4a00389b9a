"""Distribution strategies for kgen models: one call picks a ``tf.distribute.Strategy``.

Models and their optimizers are built inside ``strategy.scope()``; ``fit``
then runs each ``train_step`` once per replica and sums the gradients. kgen's
``train_step`` averages per-example losses over the *global* batch
(``tf.nn.compute_average_loss``), so that sum is the single-device gradient.
"""

import json
import os

import keras
import tensorflow as tf

from kgen import checks

KINDS = ("auto", "cpu", "mirrored", "multiworker", "tpu")


def strategy(kind="auto"):
    """Returns a ``tf.distribute.Strategy`` of the requested kind.

    - ``"auto"``: the strategy of an enclosing ``scope()`` if there is one;
      else ``MirroredStrategy`` over all GPUs if there are several, or over
      all logical CPUs if there are several (see ``split_cpu``); else the
      default strategy (one device, no overhead). TPUs are never picked
      automatically: probing for them may need the network.
    - ``"cpu"``: ``OneDeviceStrategy("/cpu:0")``.
    - ``"mirrored"``: ``MirroredStrategy`` over every logical GPU, or over
      every logical CPU when there is no GPU.
    - ``"multiworker"``: ``MultiWorkerMirroredStrategy`` configured by the
      ``TF_CONFIG`` environment variable, e.g. on worker 0 of two::

          {"cluster": {"worker": ["host0:12345", "host1:12345"]},
           "task": {"type": "worker", "index": 0}}

      Every worker runs the same program; it must create the strategy
      before TensorFlow runs any op. (A subclass that lets Keras 3's ``fit``
      average scalar metrics over workers, see tensorflow#72388.)
    - ``"tpu"``: ``TPUStrategy`` on the TPU named by ``TPU_NAME`` (Cloud
      TPU) or on the local TPU of a TPU VM.

    Args:
        kind: one of ``"auto"``, ``"cpu"``, ``"mirrored"``, ``"multiworker"``,
            ``"tpu"``.

    Returns:
        A ``tf.distribute.Strategy``.

    Raises:
        ValueError: if ``kind`` is unknown (the message lists the kinds), or,
            for ``"multiworker"``, if ``TF_CONFIG`` is missing or invalid.
        RuntimeError: for ``"tpu"``, if no TPU can be reached.

    Example:

    >>> strategy = kgen.distribute.strategy("mirrored")
    >>> with strategy.scope():
    ...     model = kgen.models.vae.VAE(latent_dim=50, seed=0)
    ...     model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(dataset)   # batches are global: split across replicas
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"`kind` must be one of {list(KINDS)}. Received: kind={kind!r}")
    if kind == "auto":
        return _auto()
    if kind == "cpu":
        return tf.distribute.OneDeviceStrategy("/cpu:0")
    if kind == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if kind == "multiworker":
        _check_tf_config()
        return _MultiWorkerMirroredStrategy()
    return _tpu()


class _MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """``MultiWorkerMirroredStrategy`` whose ``reduce`` accepts scalars with an axis.

    Keras 3's ``fit`` averages each step's metrics over workers with
    ``strategy.reduce("MEAN", value, axis=0)``; the metrics are scalars, so
    the plain strategy fails with "Invalid reduction dimension 0 for input
    with 0 dimensions" (tensorflow/tensorflow#72388). Here a scalar is
    averaged over replicas, as ``fit`` means it to be; everything else is
    unchanged.
    """

    def reduce(self, reduce_op, value, axis):
        if axis is not None and _rank(value) == 0:
            axis = None
        return super().reduce(reduce_op, value, axis)


def _rank(value):
    if isinstance(value, tf.distribute.DistributedValues):
        value = value.values[0]
    shape = getattr(value, "shape", None)
    return None if shape is None else shape.rank


def _auto():
    if tf.distribute.has_strategy():
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    cpus = tf.config.list_logical_devices("CPU")
    if not gpus and len(cpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    return tf.distribute.get_strategy()


def _check_tf_config():
    """Raises a ``ValueError`` unless ``TF_CONFIG`` describes this worker."""
    raw = os.environ.get("TF_CONFIG")
    example = ('e.g. {"cluster": {"worker": ["localhost:12345", "localhost:23456"]}, '
               '"task": {"type": "worker", "index": 0}}')
    if not raw:
        raise ValueError(
            "`kind='multiworker'` needs the TF_CONFIG environment variable, which "
            f"describes the cluster and this worker's task, {example}. "
            "Received: TF_CONFIG is not set"
        )
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"TF_CONFIG must be valid JSON, {example}. Received: TF_CONFIG={raw!r} ({e})"
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster or not all(
            isinstance(v, list) and v and all(isinstance(a, str) for a in v)
            for v in cluster.values()):
        raise ValueError(
            "TF_CONFIG must have a `cluster` mapping each job name to a non-empty list "
            f"of 'host:port' addresses, {example}. Received: TF_CONFIG={raw!r}"
        )
    if (not isinstance(task, dict) or task.get("type") not in cluster
            or isinstance(task.get("index"), bool) or not isinstance(task.get("index"), int)
            or not 0 <= task["index"] < len(cluster[task["type"]])):
        raise ValueError(
            "TF_CONFIG must have a `task` whose `type` is a job of `cluster` and whose "
            f"`index` is a position in that job's list, {example}. Received: TF_CONFIG={raw!r}"
        )


def _tpu():
    try:
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        except ValueError:  # no TPU_NAME: maybe a TPU VM with a local TPU
            if not tf.config.list_physical_devices("TPU"):
                raise
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu="local")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as e:
        raise RuntimeError(
            "`kind='tpu'` found no TPU. Set TPU_NAME to a Cloud TPU's name or "
            "'grpc://host:port', or run on a TPU VM. Received: "
            f"TPU_NAME={os.environ.get('TPU_NAME')!r} ({type(e).__name__}: {e})"
        ) from e
    return tf.distribute.TPUStrategy(resolver)


def split_cpu(num_devices):
    """Splits the CPU into ``num_devices`` logical devices.

    With several logical CPUs, ``strategy("mirrored")`` and ``"auto"``
    replicate a model over them, which tests distributed training on a
    machine without GPUs. TensorFlow fixes its devices when it runs its first
    op, so call this at the start of the program, before any op.

    Args:
        num_devices: int >= 1.

    Returns:
        The names of the logical CPU devices, a list of ``num_devices`` strings.

    Raises:
        RuntimeError: if TensorFlow is already initialised with a different
            number of logical CPUs.

    Example:

    >>> kgen.distribute.split_cpu(2)       # first thing in the program
    ['/device:CPU:0', '/device:CPU:1']
    >>> kgen.distribute.strategy("mirrored").num_replicas_in_sync
    2
    """
    num_devices = checks.positive_int("num_devices", num_devices)
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)])
    except RuntimeError as e:
        current = tf.config.list_logical_devices("CPU")
        if len(current) == num_devices:
            return [d.name for d in current]
        raise RuntimeError(
            f"`split_cpu` must run before TensorFlow runs any op: its devices are "
            f"fixed now, with {len(current)} logical CPU(s). Call split_cpu() at the "
            f"start of the program. Received: num_devices={num_devices}"
        ) from e
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def build_optimizer(optimizer, variables, strategy=None):
    """Creates an optimizer's variables for ``variables`` in a strategy's scope.

    ``compile`` builds the optimizer it is given, but a model with a second
    optimizer (a GAN's generator and discriminator optimizers) holds one that
    Keras never builds. Then its first ``apply`` inside ``fit`` creates the
    slot and iteration variables inside the replica function, which
    ``MirroredStrategy`` refuses with a graph error (Keras issue 23085).
    Building the optimizer up front, inside ``strategy.scope()`` and once
    the model's weights exist, creates those variables as mirrored variables
    and avoids the error. It is harmless without a strategy, so models call
    it unconditionally.

    Args:
        optimizer: a ``keras.optimizers.Optimizer``.
        variables: the variables it will update: a list of variables, or a
            built ``keras.layers.Layer`` / ``keras.Model`` (its
            ``trainable_variables``).
        strategy: the ``tf.distribute.Strategy`` the model lives in; default
            the one in whose scope ``optimizer`` was created. Keras ties an
            optimizer to that strategy, so create it inside ``scope()``.

    Returns:
        ``optimizer``, built. An optimizer that is already built is returned
        unchanged.

    Raises:
        TypeError: if ``optimizer`` is not a Keras optimizer or ``strategy``
            not a ``tf.distribute.Strategy``.
        ValueError: if there are no variables (e.g. an unbuilt model), or if
            ``optimizer`` was created outside ``strategy.scope()``.

    Example:

    >>> with strategy.scope():
    ...     gan = kgen.models.gan.DCGAN(...)
    ...     d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    ...     kgen.distribute.build_optimizer(
    ...         d_opt, gan.discriminator.trainable_variables, strategy)
    """
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            "`optimizer` must be a keras.optimizers.Optimizer. "
            f"Received: optimizer={optimizer!r} of type {type(optimizer).__name__}"
        )
    # A Keras optimizer belongs to the strategy of the scope it was created in.
    own = getattr(optimizer, "_distribution_strategy", None)
    if strategy is None:
        strategy = own or tf.distribute.get_strategy()
    elif not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            "`strategy` must be a tf.distribute.Strategy or None. "
            f"Received: strategy={strategy!r} of type {type(strategy).__name__}"
        )
    elif own is not None and own is not strategy:
        raise ValueError(
            "`optimizer` was created outside `strategy.scope()`; create it inside the "
            f"scope, next to the model. Received: strategy={strategy!r}, optimizer "
            f"created under {own!r}"
        )
    if isinstance(variables, keras.layers.Layer):
        variables = variables.trainable_variables
    variables = list(variables)
    if not variables:
        raise ValueError(
            "`variables` must be a non-empty list of variables; build the model "
            "before its optimizer. Received: variables=[]"
        )
    if optimizer.built:
        return optimizer
    with strategy.scope():
        optimizer.build(variables)
    return optimizer
