"""``FeatureExtractor``: one interface for every network whose features or class
probabilities feed kgen's sample-quality metrics."""

import math

import keras
import numpy as np
import tensorflow as tf

from kgen import checks
from kgen.features import preprocessing


def _layer_output(model, layer_name, argument):
    try:
        return model.get_layer(layer_name).output
    except ValueError:
        names = [layer.name for layer in model.layers]
        raise ValueError(
            f"`{argument}` must name a layer of the model. Received: {argument}="
            f"{layer_name!r}; the model's layers are {names}"
        ) from None
    except AttributeError:  # a subclassed model's layer has no symbolic output
        raise ValueError(
            f"`{argument}` needs a functional or Sequential model (a subclassed model's "
            f"layers have no symbolic output); wrap the features as the model's output "
            f"instead. Received: {argument}={layer_name!r} for {type(model).__name__}"
        ) from None


def _network(model, features_layer, probabilities_layer):
    """A model with a dict output ``{"features": ..., ["probabilities": ...]}``."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: model of type "
                        f"{type(model).__name__}")
    if features_layer is None and probabilities_layer is None:
        return None  # the model's own output is the features; called directly
    if not model.built or not getattr(model, "inputs", None):
        raise ValueError("`model` must be a built functional or Sequential model (one "
                         "with `inputs`) to take outputs of named layers. Received: "
                         f"{type(model).__name__} named {model.name!r}")
    if isinstance(model, keras.Sequential):
        return _sequential_network(model, features_layer, probabilities_layer)
    outputs = {"features": (model.outputs[0] if features_layer is None else
                            _layer_output(model, features_layer, "features_layer"))}
    if probabilities_layer is not None:
        outputs["probabilities"] = _layer_output(model, probabilities_layer,
                                                 "probabilities_layer")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, outputs, name=f"{model.name}_features")


def _sequential_network(model, features_layer, probabilities_layer):
    """``_network`` of a Sequential model, its layers chained once from a new input.

    A Sequential model's layers can hold several call nodes (a loaded ``.keras``
    file holds two), and ``layer.output`` is the first node's: a model taking
    ``features`` and ``probabilities`` from ``get_layer(...).output`` could run
    two copies of the network, twice the work for the same numbers.
    """
    for name, argument in ((features_layer, "features_layer"),
                           (probabilities_layer, "probabilities_layer")):
        if name is not None:
            _layer_output(model, name, argument)  # names the argument if unknown
    x = inputs = keras.Input(shape=model.inputs[0].shape[1:], dtype=model.inputs[0].dtype)
    found = {}
    for layer in model.layers:
        x = layer(x)
        found[layer.name] = x
    outputs = {"features": x if features_layer is None else found[features_layer]}
    if probabilities_layer is not None:
        outputs["probabilities"] = found[probabilities_layer]
    return keras.Model(inputs, outputs, name=f"{model.name}_features")


class FeatureExtractor:
    """Features (and class probabilities) of a Keras network, for sample metrics.

    Every extractor runs the same pipeline on a batch of images
    (``kgen.features.preprocessing``): check that the pixels lie in ``data_range``,
    quantize them to the 256 levels of an image file (unless ``quantize=False``),
    map the levels to the network's input (``preprocess``, or linearly to
    ``input_range``), run the network in batches of ``batch_size`` and return
    ``features`` ``[N, feature_dim]`` (flattened if the layer is not flat) and,
    where the network has a classifier head, ``probabilities`` ``[N, num_classes]``.

    ``kgen.features.classifier(...)``, ``kgen.features.inception_v3(...)`` and
    ``kgen.features.from_model(...)`` build the usual ones. Methods accept a NumPy
    array, an eager tensor, a ``tf.data.Dataset`` of image batches (or of
    ``(images, labels)`` pairs), and also symbolic tensors inside ``tf.function`` or
    ``Dataset.map``.

    Args:
        model: a ``keras.Model``.
        features_layer: name of the layer whose output is the features, or ``None``
            for the model's (first) output. Naming a layer needs a functional or
            Sequential model.
        probabilities_layer: name of the layer giving class probabilities (a
            softmax), or ``None`` if there is none.
        data_range: ``(low, high)``, the pixel range of the images that will be
            passed, e.g. ``(0, 1)``, ``(-1, 1)`` or ``(0, 255)``.
        input_range: ``(low, high)`` the network was trained on; the quantized
            levels are mapped linearly onto it. ``None``: ``data_range``. Ignored
            when ``preprocess`` is given.
        preprocess: optional function from float32 levels ``[N, H, W, C]`` in
            [0, 255] (or, with ``quantize=False``, images in ``data_range``) to the
            network's input.
        quantize: if True (default), round to the 256 pixel levels first.
        image_shape: shape of one image, ``None`` for any size along an axis.
            ``None``: the model's input shape. A missing channel axis ``[N, H, W]``
            is added when one channel is expected.
        batch_size: images per network call.
        name: the extractor's name; ``None``: the model's.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.
        ValueError: on a malformed ``data_range`` / ``input_range``, an unknown
            layer name, or a model whose features have no static size.

    Example:

    >>> import keras, numpy as np
    >>> net = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
    ...                         keras.layers.Dense(16, name="hidden"),
    ...                         keras.layers.Dense(3, activation="softmax")])
    >>> extractor = FeatureExtractor(net, features_layer="hidden",
    ...                              probabilities_layer=net.layers[-1].name)
    >>> extractor.features(np.zeros((5, 8, 8, 1))).shape
    TensorShape([5, 16])
    """

    def __init__(self, model, *, features_layer=None, probabilities_layer=None,
                 data_range=(0, 1), input_range=None, preprocess=None, quantize=True,
                 image_shape=None, batch_size=100, name=None):
        self._model = model
        self._network = _network(model, features_layer, probabilities_layer)
        self._data_range = preprocessing.check_data_range(data_range)
        self._input_range = (self._data_range if input_range is None
                             else preprocessing.check_data_range(input_range))
        self._preprocess = preprocess
        self._quantize = bool(quantize)
        self.batch_size = checks.positive_int("batch_size", batch_size)
        self.name = model.name if name is None else str(name)
        if image_shape is None:
            image_shape = tuple(model.inputs[0].shape[1:]) if getattr(
                model, "inputs", None) else None
        self._image_shape = None if image_shape is None else tuple(image_shape)
        self.num_classes = None
        if probabilities_layer is not None:
            self.num_classes = int(self._network.output["probabilities"].shape[-1])
        if self._network is not None:
            features = self._network.output["features"]
        else:  # a subclassed model has no symbolic outputs: the size stays unknown
            features = (getattr(model, "outputs", None) or [None])[0]
        dims = None if features is None else features.shape[1:]
        if dims is not None and any(d is None for d in dims):
            raise ValueError(f"The features of `model` must have a static size. "
                             f"Received: features of shape {features.shape}")
        self.feature_dim = None if dims is None else int(math.prod(dims))
        # One trace per input shape (typically a full and a last, partial batch); no
        # `reduce_retracing`, which would relax the channel axis that InceptionV3
        # preprocessing branches on.
        self._compiled = tf.function(self._compute)

    @property
    def data_range(self):
        """``(low, high)``: the pixel range images must lie in."""
        return self._data_range

    @property
    def has_probabilities(self):
        """Whether ``probabilities`` is available (the network has a softmax head)."""
        return self.num_classes is not None

    @property
    def model(self):
        """The wrapped ``keras.Model``."""
        return self._model

    def __repr__(self):
        return (f"FeatureExtractor(name={self.name!r}, feature_dim={self.feature_dim}, "
                f"num_classes={self.num_classes}, data_range={self._data_range})")

    # --- the pipeline -----------------------------------------------------------

    def _as_images(self, images):
        if not tf.is_tensor(images):
            images = np.asarray(images)
            if not (np.issubdtype(images.dtype, np.number) or images.dtype == np.bool_):
                raise TypeError(f"`images` must hold numbers. Received: images of dtype "
                                f"{images.dtype}")
        x = tf.cast(images, tf.float32)
        expected = self._image_shape
        if x.shape.rank == 3 and expected is not None and expected[-1] == 1:
            x = x[..., None]
        if x.shape.rank != 4 or (expected is not None and any(
                e is not None and g is not None and e != g
                for e, g in zip(expected, x.shape[1:]))):
            want = "[N, H, W, C]" if expected is None else (
                f"[N, {', '.join('any' if e is None else str(e) for e in expected)}]")
            raise ValueError(f"`images` must have shape {want}. Received: "
                             f"images.shape={tuple(x.shape)}")
        return x

    def preprocess(self, images):
        """The network input for ``images`` (after the range check and quantization).

        Args:
            images: ``[N, H, W, C]`` (or ``[N, H, W]`` for one channel) in
                ``data_range``.

        Returns:
            float32 tensor, what the network receives.

        Raises:
            ValueError: if ``images`` has the wrong shape or pixels outside
                ``data_range`` (inside a graph: ``tf.errors.InvalidArgumentError``).
        """
        x = preprocessing.check_range(self._as_images(images), self._data_range)
        return self._to_input(x)

    def _to_input(self, x):
        if self._quantize:
            x = preprocessing.quantize(x, self._data_range)
            if self._preprocess is not None:
                return self._preprocess(x)
            return preprocessing.dequantize_levels(x, self._input_range)
        if self._preprocess is not None:
            return self._preprocess(x)
        (low, high), (in_low, in_high) = self._data_range, self._input_range
        return in_low + (x - low) * ((in_high - in_low) / (high - low))

    def _compute(self, x):
        """Checked float32 images -> dict of float32 outputs, one batch."""
        inputs = self._to_input(x)
        if self._network is None:
            out = {"features": self._model(inputs, training=False)}
        else:
            out = self._network(inputs, training=False)
        n = tf.shape(inputs)[0]
        result = {"features": tf.reshape(tf.cast(out["features"], tf.float32), [n, -1])}
        if "probabilities" in out:
            result["probabilities"] = tf.cast(out["probabilities"], tf.float32)
        return result

    def _run(self, images, batch_size):
        batch_size = self.batch_size if batch_size is None else checks.positive_int(
            "batch_size", batch_size)
        if isinstance(images, tf.data.Dataset):
            return self._run_dataset(images, batch_size)
        x = preprocessing.check_range(self._as_images(images), self._data_range)
        if tf.executing_eagerly():
            n = int(x.shape[0])
            parts = [self._compiled(x[i:i + batch_size]) for i in range(0, n, batch_size)]
            if not parts:  # no images: empty outputs of the right width
                return self._empty()
            return {k: tf.concat([p[k] for p in parts], axis=0) for k in parts[0]}
        return self._run_graph(x, batch_size)

    def _empty(self):
        out = {"features": tf.zeros([0, self.feature_dim or 0])}
        if self.has_probabilities:
            out["probabilities"] = tf.zeros([0, self.num_classes])
        return out

    def _run_graph(self, x, batch_size):
        """Symbolic images: batches through ``tf.map_fn`` (the count may be unknown)."""
        n = tf.shape(x)[0]
        padded = tf.pad(x, [[0, (-n) % batch_size], [0, 0], [0, 0], [0, 0]])
        chunks = tf.reshape(padded, tf.concat([[-1, batch_size], tf.shape(x)[1:]], 0))
        signature = {"features": tf.TensorSpec([None, self.feature_dim], tf.float32)}
        if self.has_probabilities:
            signature["probabilities"] = tf.TensorSpec([None, self.num_classes],
                                                       tf.float32)
        out = tf.map_fn(self._compute, chunks, fn_output_signature=signature)
        return {k: tf.reshape(v, [-1, v.shape[-1]])[:n] for k, v in out.items()}

    def _run_dataset(self, dataset, batch_size):
        if not tf.executing_eagerly():
            raise ValueError("A `tf.data.Dataset` can be passed as `images` only "
                             "eagerly; inside a graph, pass its batches.")
        parts = []
        for element in dataset:
            batch = element[0] if isinstance(element, (tuple, list)) else element
            parts.append(self._run(batch, batch_size))
        if not parts:
            return self._empty()
        return {k: tf.concat([p[k] for p in parts], axis=0) for k in parts[0]}

    # --- the public outputs -----------------------------------------------------

    def features(self, images, batch_size=None):
        """The feature vectors of ``images``.

        Args:
            images: ``[N, H, W, C]`` (or ``[N, H, W]``) array or tensor with pixels
                in ``data_range``, or a ``tf.data.Dataset`` of such batches or of
                ``(images, labels)`` pairs.
            batch_size: images per network call; ``None``: ``self.batch_size``.
                The result does not depend on it (beyond float round-off).

        Returns:
            float32 tensor ``[N, feature_dim]``.

        Raises:
            ValueError: if ``images`` has the wrong shape, or pixels outside
                ``data_range`` or NaN. Inside ``tf.function`` / ``Dataset.map``
                the range check is a graph assertion, which raises
                ``tf.errors.InvalidArgumentError`` naming ``images``.
        """
        return self._run(images, batch_size)["features"]

    def probabilities(self, images, batch_size=None):
        """The class probabilities of ``images`` (for the Inception Score).

        Args:
            images, batch_size: as for ``features``.

        Returns:
            float32 tensor ``[N, num_classes]``, rows summing to 1.

        Raises:
            ValueError: as ``features``, or if the extractor has no
                ``probabilities_layer``.
        """
        self._require_probabilities()
        return self._run(images, batch_size)["probabilities"]

    def features_and_probabilities(self, images, batch_size=None):
        """``(features, probabilities)`` of ``images`` from one pass of the network.

        Returns:
            ``([N, feature_dim], [N, num_classes])`` float32 tensors.

        Raises:
            ValueError: as ``probabilities``.
        """
        self._require_probabilities()
        out = self._run(images, batch_size)
        return out["features"], out["probabilities"]

    def _require_probabilities(self):
        if not self.has_probabilities:
            raise ValueError(
                f"The extractor {self.name!r} has no class probabilities: build it with "
                f"`probabilities_layer=` (a softmax layer), or for InceptionV3 with "
                f"`kgen.features.inception_v3(..., include_top=True)`.")


def from_model(model, *, features_layer=None, probabilities_layer=None, data_range=(0, 1),
               input_range=None, preprocess=None, batch_size=100, name=None):
    """Wraps any Keras model as a ``FeatureExtractor``.

    The images are checked against ``data_range``, quantized to the 256 pixel levels
    and mapped linearly to ``input_range`` (the range the model was trained on) or
    through ``preprocess``; see ``FeatureExtractor`` for every argument.

    Args:
        model: a ``keras.Model`` taking ``[N, H, W, C]`` images.
        features_layer: layer whose output gives the features; ``None``: the
            model's output.
        probabilities_layer: optional softmax layer, for Inception-Score-style
            metrics.
        data_range, input_range, preprocess, batch_size, name: as for
            ``FeatureExtractor``.

    Returns:
        ``FeatureExtractor``.

    Raises:
        TypeError, ValueError: as ``FeatureExtractor``.

    Example:

    >>> import keras
    >>> net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
    ...                         keras.layers.Dense(32, name="embedding")])
    >>> extractor = from_model(net, data_range=(-1, 1))
    >>> extractor.feature_dim
    32
    """
    return FeatureExtractor(model, features_layer=features_layer,
                            probabilities_layer=probabilities_layer,
                            data_range=data_range, input_range=input_range,
                            preprocess=preprocess, batch_size=batch_size, name=name)
