"""Deep belief network: a stack of RBMs trained greedily, layer by layer."""


import keras
import tensorflow as tf

from kgen import checks
from kgen.models import _serving
from kgen.models._updates import apply_after_loss
from kgen.models.base import GenerativeModel, sub_seed
from kgen.models.energy import _dbn_bound, _gibbs, _shapes, _stages, evaluation, partition
from kgen.models.energy.rbm import RBM
from kgen.models.registry import register

# Hidden units below the top RBM that the exact bound enumerates jointly (2**20 states).
MAX_ENUMERATED_UNITS = 20
# Up to this many enumerated states the served bound is exact; above, Monte Carlo.
_SERVED_EXACT_STATES = 4096


@register("dbn")
class DBN(_serving.BinaryData, partition.StoredLogPartition, GenerativeModel):
    """Deep belief network (Hinton, Osindero & Teh 2006) of L binary layers above the data.

    The generative model is a top RBM over (h_{L-1}, h_L) and directed sigmoid
    layers down to the data: p(h_{l-1} | h_l) = sigmoid(W_l h_l + b_l), with
    RBM l's ``kernel`` W_l and ``visible_bias`` b_l (``rbms[l - 1]``,
    ``kgen.models.energy.RBM``). The recognition model is
    q(h_l | h_{l-1}) = sigmoid(h_{l-1} W_l + c_l), with the hidden biases c_l.

    **Greedy layer-wise training.** ``fit`` trains one RBM, ``active_layer``
    (an index into ``rbms``), by its CD-k / PCD (``RBM``'s ``train_step``
    terms and metrics) on the data passed up through the layers below it,
    each a draw h_l ~ q(h_l | h_{l-1}) (binary, as the next RBM's data). The
    user trains the stack bottom-up::

        for i in range(dbn.num_layers):
            dbn.train_layer(i)            # selects the RBM; the next fit retraces
            dbn.fit(data, epochs=10)

    or ``dbn.fit_layerwise(data, epochs=10)``, the same loop; or, with
    ``layer_epochs`` (e_0, ..., e_{L-2}), one ``fit(data, epochs=E)`` trains RBM
    i during its e_i epochs and the top RBM for the rest (``energy/_stages.py``:
    the layer is chosen at each epoch's start from the epoch, so ``kgen train``,
    resumed fits and its callbacks need nothing else). ``active_layer``
    is in the config, so a saved DBN resumes at its layer. One optimizer
    serves all layers (``compile`` once); only the active RBM's weights move.
    In the loop above its iteration count (Adam's bias correction, schedules)
    carries over between layers (use SGD, or ``compile`` afresh per layer);
    ``fit_layerwise`` restores its pre-training state before each layer.
    With ``data_init`` the first ``fit`` of a layer sets its visible biases to
    the base rates of (and its PCD chains at) its first 1,000 inputs.

    **Sampling**: ``num_steps`` block Gibbs sweeps in the top RBM, then one
    down-pass through the directed layers.

    **Likelihood bound** (Salakhutdinov & Murray 2008, ICML, sec. 5; Hinton et
    al. 2006): with h_0 = v and log p_top(u) = -F_top(u) - log Z_top,

        log p(v) >= E_q [ sum_l (log p(h_{l-1} | h_l) - log q(h_l | h_{l-1}))
                          + log p_top(h_{L-1}) ],

    ``lower_bound(x)`` in nats. The expectation over q is exact by
    enumeration when the layers below the top RBM have <= 20 hidden units in
    all (``exact=None`` chooses it then), else Monte Carlo over ``num_samples``
    draws of q (an unbiased estimate of the bound). log Z_top comes from
    ``set_log_partition`` (``kgen.metrics.exact_log_partition(dbn.top)`` for
    <= 20 units in its smaller layer, else ``ais_log_partition(dbn.top, ...)``:
    with AIS the bound is an estimate, biased by log Z's error).

    References:
        1. Hinton, Osindero & Teh, "A fast learning algorithm for deep belief
           nets", Neural Computation 18(7), 2006.
        2. Salakhutdinov & Murray, "On the quantitative analysis of deep belief
           networks", ICML 2008.

    Args:
        num_visible: int D >= 1, or None to take ``prod(event_shape)``.
        hidden_units: non-empty sequence of ints >= 1, the sizes of h_1 ... h_L;
            default (500, 2000).
        event_shape: shape of one example (``prod == num_visible``).
        k, persistent, num_chains, weight_decay: each RBM's, as for ``RBM``.
        data_init: bool; initialize a layer from its inputs on its first fit.
        active_layer: int in [0, L), the RBM that ``fit`` trains; default 0.
        layer_epochs: None, or L - 1 ints >= 0: the greedy schedule of ``fit``.
        log_partition: None, or the top RBM's stored log Z record.
        seed: optional int >= 0; RBM i's weights are seeded with seed + i + 1.
        **kwargs: passed to ``keras.Model``.

    Call arguments:
        x: ``[batch, *event_shape]`` binary data.

    Returns (call):
        q(h_L | ... | x) means passed up, ``[batch, hidden_units[-1]]``.

    Raises:
        ValueError / TypeError: naming the argument (``hidden_units``,
            ``active_layer``, ``k`` < 1, ...), ``x`` on non-binary or
            misshapen data, ``log_partition`` if ``lower_bound`` has no log Z.

    Example:

    >>> dbn = kgen.models.energy.DBN(event_shape=(28, 28, 1), hidden_units=(500, 2000))
    >>> dbn.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9))
    >>> dbn.fit_layerwise(train, epochs=10)
    >>> dbn.set_log_partition(kgen.metrics.ais_log_partition(dbn.top, seed=0))
    >>> dbn.lower_bound(x, num_samples=100, seed=0)    # [batch], nats
    """

    metric_names = RBM.metric_names
    monitor = RBM.monitor

    def __init__(self, num_visible=None, hidden_units=(500, 2000), event_shape=None, k=1,
                 persistent=False, num_chains=100, weight_decay=0.0, data_init=True,
                 active_layer=0, layer_epochs=None, log_partition=None, seed=None, **kwargs):
        num_visible, event_shape = _shapes.visible_event_shape(num_visible, event_shape)
        super().__init__(event_shape=event_shape, seed=seed, **kwargs)
        size = _shapes.visible_size(num_visible, self.event_shape)
        if isinstance(hidden_units, (str, bytes)) or not hasattr(hidden_units, "__len__") \
                or not len(hidden_units):
            raise ValueError(f"`hidden_units` must be a non-empty sequence of ints >= 1. "
                             f"Received: hidden_units={hidden_units!r}")
        self.num_visible = size
        self.hidden_units = tuple(checks.positive_int("hidden_units", h) for h in hidden_units)
        if not isinstance(data_init, bool):
            raise TypeError(f"`data_init` must be True or False. "
                            f"Received: data_init={data_init!r}")
        self.data_init = data_init
        sizes = (size,) + self.hidden_units
        self.rbms = [RBM(num_visible=sizes[i], num_hidden=sizes[i + 1], k=k,
                         persistent=persistent, num_chains=num_chains,
                         weight_decay=weight_decay, data_init=False,
                         seed=None if self._seed is None else self._seed + i + 1,
                         name=f"rbm_{i}") for i in range(len(self.hidden_units))]
        self.k, self.persistent, self.num_chains = k, persistent, num_chains
        self.weight_decay = weight_decay
        self.active_layer = self._layer_index("active_layer", active_layer)
        self.layer_epochs = _stages.check_stage_epochs("layer_epochs", layer_epochs,
                                                       self.num_layers - 1)
        self.set_log_partition(log_partition)
        self.built = True

    def _layer_index(self, name, value):
        value = checks.positive_int(name, value, minimum=0)
        if value >= self.num_layers:
            raise ValueError(f"`{name}` must be in [0, {self.num_layers}) (the DBN's RBMs). "
                             f"Received: {name}={value}")
        return value

    @property
    def num_layers(self):
        """L, the number of RBMs (hidden layers)."""
        return len(self.hidden_units)

    @property
    def top(self):
        """The top RBM, whose log Z the bound needs."""
        return self.rbms[-1]

    @property
    def data_range(self):
        """``(0, 1)``: binary pixels."""
        return (0.0, 1.0)

    @property
    def log_prob_unavailable_reason(self):
        """Why ``lower_bound`` cannot be computed now, or None."""
        if self.has_log_prob:
            return None
        return ("DBN.lower_bound needs log Z of the top RBM: store "
                "kgen.metrics.exact_log_partition(dbn.top) (<= 20 units in a layer) or "
                "kgen.metrics.ais_log_partition(dbn.top, ...) with dbn.set_log_partition")

    def filters(self):
        """The bottom RBM's ``kernel`` ``[D, H_1]`` (``kgen.callbacks.FilterGrid``)."""
        return self.rbms[0].kernel

    def _flat(self, x):
        return tf.reshape(tf.cast(x, tf.float32), (-1, self.num_visible))

    def call(self, x, training=None):
        h = self._flat(x)
        for rbm in self.rbms:
            h = rbm.hidden_probabilities(h)
        return h

    # --- greedy training --------------------------------------------------------------
    def train_layer(self, index):
        """Makes RBM ``index`` the one ``fit`` trains (the train step is retraced).

        Raises:
            ValueError / TypeError: naming ``index`` outside [0, num_layers).
        """
        self.active_layer = self._layer_index("index", index)
        self.train_function = self.test_function = None

    def fit_layerwise(self, x=None, epochs=1, **kwargs):
        """``train_layer(i)`` and ``fit(x, epochs=epochs, **kwargs)`` for i = 0 ... L-1,
        each layer from the optimizer's state before the first (its variables:
        iteration count, slots, learning rate), as if compiled afresh.

        Returns:
            The list of the L ``History`` objects.
        """
        histories, start = [], None
        for index in range(self.num_layers):
            self.train_layer(index)
            if getattr(self, "optimizer", None) is not None:
                self.build_optimizers()
                start = start or [v.numpy() for v in self.optimizer.variables]
                for variable, value in zip(self.optimizer.variables, start):
                    variable.assign(value)
            histories.append(self.fit(x, epochs=epochs, **kwargs))
        return histories

    def propagate(self, v, layer, seed=None):
        """Draws h_layer ~ q(h_layer | ... | v) up through RBMs 0 ... layer - 1 from
        flat ``v`` ``[batch, D]`` (``layer = 0`` returns ``v``)."""
        for i in range(layer):
            v = _gibbs.bernoulli(self.uniform, self.rbms[i].hidden_probabilities(v),
                                 sub_seed(seed, i))
        return v

    def train_step(self, data):
        rbm = self.rbms[self.active_layer]
        v = self.propagate(self._flat(self.unpack_batch(data)), self.active_layer)
        negative = rbm.negative_samples(v)
        with tf.GradientTape() as tape:
            terms = rbm.compute_terms(v, training=True, negative=negative)
            loss = rbm.total_loss(terms["loss"])  # + the active RBM's weight cost
        apply_after_loss(self.optimizer, loss, tape.gradient(loss, rbm.trainable_variables),
                         rbm.trainable_variables)
        if rbm.persistent:
            rbm.chains.assign(negative)
        return self.update_metrics(terms)

    def test_step(self, data):
        rbm = self.rbms[self.active_layer]
        v = self.propagate(self._flat(self.unpack_batch(data)), self.active_layer)
        return self.update_metrics(rbm.compute_terms(v, training=False))

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` of RBM ``active_layer`` (with ``layer_epochs``, of each
        epoch's RBM); first, with ``data_init``, an RBM's ``initialize_from_data`` on
        the first 1,000 examples passed up (once per RBM). Drops a stored log Z."""
        self.validate_data(x)
        first = partition.first_examples(x, 1000) if self.data_init else None
        self._initialize_layer(self.active_layer, first)
        if self.layer_epochs is not None:
            def enter(index):
                self.train_layer(index)
                self._initialize_layer(index, first)

            kwargs = _stages.add_schedule(kwargs, _stages.StageSchedule(
                self.layer_epochs, lambda: self.active_layer, enter))
        self.set_log_partition(None)
        self.top.set_log_partition(None)
        return super().fit(x, y, *args, **kwargs)

    def _initialize_layer(self, index, first):
        rbm = self.rbms[index]
        if first is not None and not float(keras.ops.convert_to_numpy(rbm.initialized)):
            v = self.propagate(self._flat(first), index, seed=0)
            rbm.initialize_from_data(keras.ops.convert_to_numpy(v))

    # --- evaluation ----------------------------------------------------------------------
    def prepare_evaluation(self, train_data, settings=None, seed=0):
        """Estimates log Z of the top RBM as ``settings["log_partition"]`` says, from
        the training data passed up to it (``evaluation.estimate_top``), and stores
        it for ``lower_bound``; returns the estimates for ``metrics.json``."""
        return evaluation.estimate_top(self, train_data, settings, seed)

    def nll_bound(self, dataset, num_samples=None, seed=0, verbose=0):
        """-``lower_bound`` averaged over ``dataset`` (``evaluation.bound_nll``), an
        upper bound on the NLL with the stored log Z; Monte Carlo over
        ``num_samples`` (default 100) draws of q unless the bound is exact."""
        exact = sum(self.hidden_units[:-1]) <= MAX_ENUMERATED_UNITS
        samples = None if exact else checks.positive_int("num_samples", num_samples or 100)
        bound = _dbn_bound.bound_function(self, self.require_log_partition(), samples)
        return evaluation.bound_nll(self, dataset, bound, seed, verbose, num_samples=samples)

    # --- sampling ----------------------------------------------------------------------
    def sample(self, num_samples, seed=None, num_steps=1000, mean=False, **condition):
        """Draws by ``num_steps`` Gibbs sweeps in the top RBM and one down-pass.

        Args:
            num_samples: int >= 1.
            seed: optional int >= 0; ``None`` draws from the models' generators.
            num_steps: int >= 1 sweeps in the top RBM; default 1,000.
            mean: if True, the last step returns p(v | h_1) instead of v (with
                one RBM, the last Gibbs sweep's p(v | h_1)).
            **condition: none; the model is unconditional.

        Returns:
            ``[num_samples, *event_shape]`` float32.

        Raises:
            ValueError / TypeError: naming ``num_samples``, ``num_steps``, ``mean``
                or ``seed``.
        """
        num_samples = partition.unconditional_count(self, num_samples, condition)
        num_steps, mean, _ = partition.sampling_args(num_steps, mean, 1.0)
        return self._compiled_sample(num_samples, num_steps, partition.seed_tensor(seed), mean)

    def _sample(self, num_samples, num_steps, seed=None, mean=False):
        # With one RBM the top's visible layer is v: its mean is the returned mean.
        h = self.top._sample(num_samples, num_steps, sub_seed(seed, 0),
                             mean and self.num_layers == 1)
        for i in range(self.num_layers - 2, -1, -1):
            probs = self.rbms[i].visible_probabilities(h)
            h = probs if mean and i == 0 else _gibbs.bernoulli(self.uniform, probs,
                                                              sub_seed(seed, i + 1))
        return tf.reshape(h, tf.concat([[num_samples], self.event_shape], 0))

    _compiled_sample = tf.function(_sample)

    # --- the variational bound ---------------------------------------------------------
    def lower_bound(self, x, num_samples=100, seed=None, exact=None):
        """The variational lower bound on log p(x), ``[batch]`` in nats.

        Args:
            x: ``[batch, *event_shape]`` binary data.
            num_samples: int >= 1 draws of q per example (Monte Carlo only).
            seed: optional int >= 0 for the draws; None uses the model's generator.
            exact: True enumerates the hidden states below the top RBM (<= 20
                units in all); False is Monte Carlo; None (default) enumerates
                when it can.

        Raises:
            ValueError: naming ``log_partition`` if no log Z of the top RBM is
                stored, ``exact`` if True with more than 20 units, ``x``,
                ``num_samples`` or ``seed`` on bad values.
        """
        units = sum(self.hidden_units[:-1])
        if exact is None:
            exact = units <= MAX_ENUMERATED_UNITS
        if exact and units > MAX_ENUMERATED_UNITS:
            raise ValueError(f"`exact` needs at most {MAX_ENUMERATED_UNITS} hidden units below "
                             f"the top RBM. Received: exact=True with {units}")
        v = self._flat(self.checked_inputs(x))
        log_z = self.require_log_partition()
        if exact:
            return _dbn_bound.exact(self, v, log_z)
        num_samples = checks.positive_int("num_samples", num_samples)
        return _dbn_bound.sampled(self, v, log_z, num_samples, checks.seed("seed", seed))

    # --- serving and config ------------------------------------------------------------
    def serving_signatures(self):
        sample = _serving.gibbs_sample(self)
        signatures = {"serving_default": sample, "sample": sample}
        if self.log_partition is not None:
            log_z = self.log_partition["log_z"]
            if 2 ** sum(self.hidden_units[:-1]) <= _SERVED_EXACT_STATES:
                def bound(x):
                    return _dbn_bound.exact(self, self._flat(x), log_z, _SERVED_EXACT_STATES)
            else:
                def bound(x):
                    return _dbn_bound.sampled(self, self._flat(x), log_z, 100)
            signatures["lower_bound"] = _serving.on_x(self, lambda x: {"lower_bound": bound(x)})
        return signatures

    def get_config(self):
        return {**super().get_config(), "num_visible": self.num_visible,
                "hidden_units": list(self.hidden_units), "k": self.k,
                "persistent": self.persistent, "num_chains": self.num_chains,
                "weight_decay": self.weight_decay, "data_init": self.data_init,
                "active_layer": self.active_layer,
                "layer_epochs": None if self.layer_epochs is None else list(self.layer_epochs),
                "log_partition": self.log_partition}


__all__ = ["DBN"]
