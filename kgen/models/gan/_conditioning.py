"""How the GANs take labels: the hooks of ``GAN``'s train step (``Unconditional``: none)
and their conditional versions (``Conditional``: ``ConditionalGAN``, ``ACGAN``).

``GAN.train_step`` splits a batch into ``(x, labels)`` with ``split_batch``, feeds the
generator ``generator_inputs(z, labels)``, reads D through ``critic(x, labels,
training)`` and adds the ``discriminator_auxiliary`` / ``generator_auxiliary`` losses;
the conditional models override only these, so that the step itself is written once.
"""

import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.models.gan import losses as gan_losses


def first_input(shape):
    """The shape of a network's first input (the noise or data; a conditional network's
    second input is the labels)."""
    return shape[0] if isinstance(shape, list) else shape


class Unconditional:
    """The hooks of an unconditional GAN."""

    # The networks that take a second, labels input (the conditional models').
    label_inputs = ()
    # Per-example terms of the auxiliary hooks that fit reports (ACGAN's class terms).
    auxiliary_metric_names = ()

    def check_label_inputs(self, generator, discriminator):
        """Raises ``ValueError`` naming a network that does (not) take labels as it must."""
        for arg, net in (("generator", generator), ("discriminator", discriminator)):
            if isinstance(net.input_shape, list) != (arg in self.label_inputs):
                raise ValueError(
                    f"`{arg}` must take " + ("[inputs, labels]" if arg in self.label_inputs
                                             else "one input") + f" for "
                    f"{type(self).__name__}. Received: {arg} with input shape "
                    f"{net.input_shape}")

    @staticmethod
    def _network_kwargs(model_args):
        """Extra keyword arguments of the preset's network builders (conditional models)."""
        return {}

    def split_batch(self, data):
        """``(x, labels)`` of a batch of ``fit``; ``labels`` is ``None`` here."""
        return self.unpack_batch(data), None

    def condition(self, num_samples, condition):
        """The checked labels of ``sample`` / ``generate``'s ``**condition``: none here."""
        if condition:
            raise TypeError(f"{type(self).__name__} is unconditional. "
                            f"Received conditions: {sorted(condition)}")
        return None

    def generator_inputs(self, z, labels):
        """What the generator takes: z (a conditional generator: ``[z, labels]``)."""
        return z

    def critic(self, x, labels, training):
        """``(D's raw output per example [batch], auxiliary outputs or None)``."""
        return gan_losses.per_example(self.discriminator(x, training=training)), None

    def discriminator_auxiliary(self, real_aux, fake_aux, labels):
        """``(loss added to d_loss [batch] or 0, {metric: [batch]})``: none here."""
        return 0.0, {}

    def generator_auxiliary(self, fake_aux, labels):
        """``(loss added to the generator's loss [batch] or 0, {metric: [batch]})``."""
        return 0.0, {}


class Conditional(Unconditional):
    """The hooks of a GAN conditioned on class labels in ``[0, num_classes)``: batches
    of ``fit`` are ``(x, labels)``; every fake is generated for the label of its real
    counterpart in the critic step's chunk (the data's class frequencies), and
    ``sample`` / ``generate`` take ``labels``; without them, the classes in turn (0, 1,
    ..., K - 1, 0, ...), so that ``SampleGrid``, ``SampleQuality`` and ``kgen sample`` /
    ``evaluate`` get class-balanced sets. Needs ``self.num_classes``."""

    def split_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2 or data[1] is None:
            raise ValueError(f"{type(self).__name__} trains on (x, labels) batches: pass "
                             f"fit(x, y=labels) or a dataset of (images, labels). "
                             f"Received: batches without `labels`")
        return self.unpack_batch(data), tf.reshape(tf.cast(data[1], tf.int32), [-1])

    def checked_labels(self, labels, num, name="labels"):
        """``labels`` as ``[num]`` int32: ints in ``[0, num_classes)``, one per example
        (a single int is repeated). Raises ``ValueError`` / ``TypeError`` naming ``name``."""
        if labels is None:
            raise ValueError(f"`{name}` are required: {type(self).__name__} draws each sample "
                             f"for a class in [0, {self.num_classes}). Received: {name}=None")
        values = np.asarray(labels)
        if values.dtype.kind not in "iu" and not (
                values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0)):
            raise TypeError(f"`{name}` must be integer class labels. Received: {name} of "
                            f"dtype {values.dtype}")
        if values.ndim == 0:
            values = np.full((num,), values)
        values = values.reshape(-1) if values.ndim == 2 and values.shape[1] == 1 else values
        if values.shape != (num,):
            raise ValueError(f"`{name}` must hold one label per example, shape ({num},). "
                             f"Received: {name} of shape {np.shape(labels)}")
        if num and (values.min() < 0 or values.max() >= self.num_classes):
            raise ValueError(f"`{name}` must be in [0, {self.num_classes}). Received: {name} "
                             f"in [{values.min()}, {values.max()}]")
        return tf.constant(values.astype(np.int32))

    def condition(self, num_samples, condition):
        extra = sorted(set(condition) - {"labels"})
        if extra:
            raise TypeError(f"{type(self).__name__} is conditioned on `labels` only. "
                            f"Received conditions: {extra}")
        labels = condition.get("labels")
        if labels is None:
            labels = np.arange(num_samples) % self.num_classes
        return self.checked_labels(labels, num_samples)

    def validate_data(self, x, name="x"):
        """As ``GenerativeModel.validate_data``; a dataset's batches must also carry valid
        labels."""
        if isinstance(x, tf.data.Dataset):
            for batch in x.take(1):
                if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                    raise ValueError(f"`{name}` must yield (images, labels) batches for "
                                     f"{type(self).__name__}. Received: a dataset without "
                                     f"labels (data.labels: true in a preset)")
                self.checked_labels(batch[1].numpy(), len(batch[1]), name=f"{name} labels")
        return super().validate_data(x, name)

    def fit(self, x=None, y=None, *args, **kwargs):
        if x is not None and not isinstance(x, tf.data.Dataset):
            self.checked_labels(y, len(x), name="y")
        return super().fit(x, y, *args, **kwargs)

    def generator_inputs(self, z, labels):
        return [z, labels]

    def serving_signatures(self):
        """``generate(z, labels)`` (also ``serving_default``) and ``sample(labels)``: one
        image ``x`` per label, from fresh noise."""
        z_spec = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        y_spec = tf.TensorSpec((None,), tf.int32, name="labels")
        ema = bool(self.ema)

        def generate(z, labels):
            return {"x": self._generate(z, ema, labels)}

        def sample(labels):
            return {"x": self._generate(self.noise(tf.shape(labels)[0]), ema, labels)}

        return {"serving_default": tf.function(generate, input_signature=[z_spec, y_spec]),
                "generate": tf.function(generate, input_signature=[z_spec, y_spec]),
                "sample": tf.function(sample, input_signature=[y_spec])}

    @staticmethod
    def _network_kwargs(model_args):
        return {"num_classes": model_args.get("num_classes")}
