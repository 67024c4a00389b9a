"""Distributed training: pick a ``tf.distribute.Strategy`` and build models in its scope.

``strategy(kind)`` returns a strategy (``"auto"``, ``"cpu"``, ``"mirrored"``,
``"multiworker"``, ``"tpu"``); ``split_cpu(n)`` makes ``n`` logical CPUs so
that mirrored training runs without GPUs; ``build_optimizer`` creates a second
optimizer's variables in the strategy's scope (GANs).
"""

from kgen.distribute.strategy import KINDS, build_optimizer, split_cpu, strategy  # noqa: F401
