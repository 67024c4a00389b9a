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
"""

import copy
import time

import numpy as np

from kgen import checks

METHODS = ("ais", "reverse_ais", "exact")
REVERSE_STARTS = ("chains", "data")
DEFAULTS = {"method": "ais", "also": [], "num_betas": None, "betas": None, "num_runs": 100,
            "reverse_start": "chains", "burn_in": 0, "pseudo_count": 1.0}
_WHERE = "evaluate.log_partition"


def check_settings(settings):
    """The ``evaluate`` section with ``log_partition`` filled from ``DEFAULTS`` and checked.

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
    checks.one_of(f"{_WHERE}.method", merged["method"], METHODS)
    also = merged["also"]
    if isinstance(also, str):
        also = [also]
    if not isinstance(also, (list, tuple)):
        raise ValueError(f"`{_WHERE}.also` must be a list of {list(METHODS)}. "
                         f"Received: {_WHERE}.also={also!r}")
    for method in also:
        checks.one_of(f"{_WHERE}.also", method, METHODS)
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


def estimate(model, train_data, settings, seed):
    """Estimates log Z as ``settings`` say, stores it in ``model``; returns a summary.

    The first method's record is stored (``model.set_log_partition``); every
    other estimate is kept beside it as ``<method>_log_z`` and
    ``<method>_log_z_std_error``.

    Args:
        model: an RBM.
        train_data: training images (array or batched ``tf.data.Dataset``) for
            the AIS base rates and a ``data`` reverse start, or None (a uniform base).
        settings: an ``evaluate`` section (``check_settings`` fills it).
        seed: int >= 0.

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
        if method == "exact":
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


__all__ = ["check_settings", "estimate", "DEFAULTS", "METHODS"]
