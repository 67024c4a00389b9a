"""How an energy-based model prepares its evaluation: log Z for ``log_prob``.

A preset's ``evaluate.log_partition`` says how ``kgen train`` and ``kgen evaluate``
estimate log Z before they report the test NLL (``kgen.metrics.nll``)::

    evaluate:
      log_partition:
        method: ais                 # the log Z that log_prob uses: ais, reverse_ais, exact
        also: [reverse_ais]         # more estimates, stored beside it (<method>_log_z, ...)
        betas: salakhutdinov_murray_2008   # or num_betas: 1000 (evenly spaced)
        num_runs: 100
        reverse_start: chains       # reverse AIS starts at the PCD chains, or at `data`
        burn_in: 0                  # Gibbs sweeps at beta = 1 before reverse annealing
        pseudo_count: 1.0           # smoothing of the base rates (the AIS base model)

``null`` (the default) is forward AIS with the paper's schedule and 100 runs.
A DBN estimates the log Z of its top RBM so, from the training data passed up
to it (``estimate_top``); a DBM takes ``ais`` (its own AIS,
``dbm_ais_log_partition``) or ``exact`` (``estimate_dbm``). Their test NLL is
the variational bound's, ``bound_nll``.
"""

import copy
import math
import time

import numpy as np

from kgen import checks

METHODS = ("ais", "reverse_ais", "exact")
REVERSE_STARTS = ("chains", "data")
DEFAULTS = {"method": "ais", "also": [], "num_betas": None, "betas": None, "num_runs": 100,
            "reverse_start": "chains", "burn_in": 0, "pseudo_count": 1.0}
_WHERE = "evaluate.log_partition"


def check_settings(settings, methods=METHODS):
    """The ``evaluate`` section with ``log_partition`` filled from ``DEFAULTS`` and checked;
    ``method`` and ``also`` must be among ``methods`` (the model's estimators).

    Raises:
        ValueError: naming ``evaluate.log_partition`` or its key.
    """
    settings = dict(settings or {})
    given = settings.get("log_partition")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValueError(f"`{_WHERE}` must be null or a mapping. Received: {_WHERE}={given!r}")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"Unknown keys {unknown} in `{_WHERE}`. Known keys: {sorted(DEFAULTS)}")
    merged = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(given)}
    checks.one_of(f"{_WHERE}.method", merged["method"], methods)
    also = merged["also"]
    if isinstance(also, str):
        also = [also]
    if not isinstance(also, (list, tuple)):
        raise ValueError(f"`{_WHERE}.also` must be a list of {list(methods)}. "
                         f"Received: {_WHERE}.also={also!r}")
    for method in also:
        checks.one_of(f"{_WHERE}.also", method, methods)
    merged["also"] = [m for m in dict.fromkeys(also) if m != merged["method"]]
    if merged["num_betas"] is not None:
        if merged["betas"] is not None:
            raise ValueError(f"`{_WHERE}.num_betas` and `{_WHERE}.betas` are alternatives. "
                             f"Received: num_betas={merged['num_betas']!r}, "
                             f"betas={merged['betas']!r}")
        merged["num_betas"] = checks.positive_int(f"{_WHERE}.num_betas", merged["num_betas"],
                                                  minimum=2)
    if merged["betas"] is not None:
        from kgen.metrics.ais import PAPER_SCHEDULE

        checks.one_of(f"{_WHERE}.betas", merged["betas"], (PAPER_SCHEDULE,))
    merged["num_runs"] = checks.positive_int(f"{_WHERE}.num_runs", merged["num_runs"])
    checks.one_of(f"{_WHERE}.reverse_start", merged["reverse_start"], REVERSE_STARTS)
    merged["burn_in"] = checks.positive_int(f"{_WHERE}.burn_in", merged["burn_in"], minimum=0)
    merged["pseudo_count"] = checks.non_negative_float(f"{_WHERE}.pseudo_count",
                                                       merged["pseudo_count"])
    settings["log_partition"] = merged
    return settings


def estimate(model, train_data, settings, seed, estimators=None):
    """Estimates log Z as ``settings`` say, stores it in ``model``; returns a summary.

    The first method's record is stored (``model.set_log_partition``); every
    other estimate is kept beside it as ``<method>_log_z`` and
    ``<method>_log_z_std_error``.

    Args:
        model: an RBM (or, with ``estimators``, another model with a log Z).
        train_data: training images (array or batched ``tf.data.Dataset``) for
            the AIS base rates and a ``data`` reverse start, or None (a uniform base).
        settings: an ``evaluate`` section (``check_settings`` fills it).
        seed: int >= 0.
        estimators: optional ``{method: fn(data, options, seed)}`` returning a
            record; default the RBM's (``exact_log_partition``, forward and
            reverse ``ais_log_partition``).

    Returns:
        dict ``{"log_partition": {method: {log_z, log_z_std_error, seconds, ...}}}``
        (no arrays: it goes into ``metrics.json``).
    """
    import kgen.metrics
    from kgen.models.energy import partition

    options = check_settings(settings)["log_partition"]
    seed = checks.seed("seed", seed)
    data = None if train_data is None else partition.first_examples(train_data)
    schedule = ({"num_betas": options["num_betas"]} if options["num_betas"] is not None
                else {"betas": options["betas"]})
    common = {**schedule, "num_runs": options["num_runs"], "seed": seed}
    if data is not None:
        common.update(data=data, pseudo_count=options["pseudo_count"])
    records = {}
    for method in [options["method"]] + options["also"]:
        began = time.time()
        if estimators is not None:
            record = estimators[method](data, options, seed)
        elif method == "exact":
            record = kgen.metrics.exact_log_partition(model)
        elif method == "ais":
            record = kgen.metrics.ais_log_partition(model, **common)
        else:
            record = kgen.metrics.reverse_ais_log_partition(
                model, _reverse_start(model, data, options), burn_in=options["burn_in"],
                **common)
            record["start"] = options["reverse_start"]
        record.pop("log_weights", None)
        record["seconds"] = time.time() - began
        records[method] = record
    stored = dict(records[options["method"]])
    for method, record in records.items():
        if method != options["method"]:
            stored[f"{method}_log_z"] = record["log_z"]
            if "log_z_std_error" in record:
                stored[f"{method}_log_z_std_error"] = record["log_z_std_error"]
    model.set_log_partition(stored)
    return {"log_partition": records}


def _reverse_start(model, data, options):
    """Reverse AIS start states: the PCD chains, else training examples."""
    if options["reverse_start"] == "chains" and getattr(model, "persistent", False):
        return np.asarray(model.chains)
    if data is None:
        raise ValueError(f"`{_WHERE}.reverse_start` needs training data (or PCD chains). "
                         f"Received: reverse_start={options['reverse_start']!r} and no data")
    return data[:options["num_runs"]]


def estimate_top(dbn, train_data, settings, seed):
    """``estimate`` of a DBN's top RBM, whose data are the training images passed up
    (h_{L-1} ~ q, seeded): its base rates and reverse starts; the record is stored
    in the DBN too (``lower_bound``). Returns ``estimate``'s summary."""
    data = None
    if train_data is not None:
        from kgen.models.energy import partition

        images = partition.first_examples(train_data)
        v = dbn.validate_inputs(images, name="train_data").reshape(len(images), -1)
        data = np.asarray(dbn.propagate(v, dbn.num_layers - 1, seed=seed))
    summary = estimate(dbn.top, data, settings, seed)
    dbn.set_log_partition(dbn.top.log_partition)
    return summary


DBM_METHODS = ("ais", "exact")


def estimate_dbm(dbm, train_data, settings, seed):
    """``estimate`` for a DBM: ``ais`` is ``dbm_ais_log_partition`` (base rates of the
    training images with ``pseudo_count``), ``exact`` its ``exact_log_partition``."""
    from kgen.models.energy import partition
    from kgen.models.energy.dbm_ais import dbm_ais_log_partition

    def ais(data, options, seed):
        base = None if data is None else partition.base_rate_logits(
            dbm.validate_inputs(data, name="train_data"), options["pseudo_count"])
        schedule = ({"num_betas": options["num_betas"]} if options["num_betas"] is not None
                    else {"betas": options["betas"]})
        return dbm_ais_log_partition(dbm, **schedule, num_runs=options["num_runs"], seed=seed,
                                     base_logits=base)

    settings = check_settings(settings, DBM_METHODS)
    return estimate(dbm, train_data, settings, seed,
                    {"ais": ais, "exact": lambda *_: dbm.exact_log_partition()})


class DBMEvaluation:
    """What ``kgen train`` / ``kgen evaluate`` call on a DBM (``kgen.cli.model_hooks``):
    its ``evaluate.log_partition`` check, log Z by its own AIS, the test NLL bound."""

    @classmethod
    def check_evaluation(cls, settings):
        """``check_settings`` with method ``ais`` (the DBM's AIS) or ``exact``; no
        reverse AIS for a DBM."""
        return check_settings(settings, DBM_METHODS)

    def prepare_evaluation(self, train_data, settings=None, seed=0):
        """Estimates and stores log Z as ``settings["log_partition"]`` says
        (``estimate_dbm``); returns the estimates for ``metrics.json``."""
        return estimate_dbm(self, train_data, settings, seed)

    def nll_bound(self, dataset, num_samples=None, seed=0, verbose=0):
        """The mean of -``lower_bound`` over ``dataset`` (``bound_nll``), an upper bound
        on the NLL with the stored log Z; ``num_samples`` is unused (nothing is drawn)."""
        log_z = self.require_log_partition()
        return bound_nll(self, dataset, lambda v, _: -self._free_energy(v) - log_z, seed,
                         verbose)


def bound_nll(model, dataset, bound, seed=0, verbose=0, num_samples=None):
    """The test NLL of a variational bound: the mean of ``-bound(v, batch_seed)`` over
    ``dataset``, in the form of ``kgen.metrics.nll``'s result.

    With an estimated log Z inside the bound the figure estimates an upper bound on
    the NLL (``exact`` is False). Batch i's seed is ``stateless_fold_in([seed, 0], i)``.

    Args:
        model: a DBN or DBM with a stored log Z (its ``log_partition`` is reported).
        dataset: a batched ``tf.data.Dataset`` of images (or ``(images, ...)``).
        bound: ``bound(v, seed)``, ``[batch]`` nats for flat ``v`` ``[batch, D]``;
            it is compiled once.
        seed: int >= 0. verbose: 0 or 1 (a progress bar).
        num_samples: the draws of q per example, reported (None: none drawn).

    Raises:
        ValueError: naming ``dataset`` if its first batch is not valid data.
    """
    import keras
    import tensorflow as tf

    from kgen.metrics import bits_per_dim

    seed = checks.seed("seed", seed)
    compiled = tf.function(lambda x, s: bound(tf.reshape(tf.cast(x, tf.float32),
                                                         (-1, model.num_visible)), s))
    progbar = keras.utils.Progbar(None, verbose=verbose, unit_name="batch")
    began, values = time.time(), []
    for i, batch in enumerate(dataset):
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        if i == 0:
            model.validate_inputs(np.asarray(x), name="dataset")
        batch_seed = tf.random.experimental.stateless_fold_in(tf.constant([seed, 0], tf.int64), i)
        values.append(-np.asarray(compiled(x, batch_seed), np.float64))
        progbar.update(i + 1, [("nll", float(values[-1].mean()))])
    values = np.concatenate(values)
    mean = float(values.mean())
    return {"nll": mean,
            "nll_std_error": float(values.std(ddof=1) / math.sqrt(len(values)))
            if len(values) > 1 else 0.0,
            "bits_per_dim": bits_per_dim(mean, model.event_shape), "method": "lower_bound",
            "exact": False, "num_examples": int(len(values)), "num_samples": num_samples,
            "seconds": time.time() - began, "log_partition": model.log_partition}


__all__ = ["DBMEvaluation", "DBM_METHODS", "DEFAULTS", "METHODS", "bound_nll", "check_settings",
           "estimate", "estimate_dbm", "estimate_top"]
