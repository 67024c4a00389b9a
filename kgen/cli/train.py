"""``kgen train MODEL --preset NAME``: fit a preset, resumably, and write its run directory.

Order of work, so that a bad argument writes nothing: resolve and check the
preset and flags, check the output directory, load the data, build and
compile the model; only then create the output directory and train.
"""

import contextlib
import json
import time

import keras

from kgen import callbacks as kcallbacks
from kgen.cli import datasets, model_hooks, optimizers, presets
from kgen.cli.rundir import RunDir, atomic_path, read_history, summarize
from kgen.metrics import likelihood_method, nll


def run(args):
    """Runs ``kgen train`` for parsed ``args``; returns the metrics dict.

    What a re-run does with an existing ``--output-dir`` (resume, evaluate,
    continue, or report a finished run) is ``RunDir.check``'s table.
    """
    config = presets.resolve(args.preset, model=args.model, overrides=args.set,
                             epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    run_dir = RunDir(args.output_dir or f"runs/{args.preset}")
    mode = run_dir.check(config, overwrite=args.overwrite)
    if mode == "finished":
        metrics = json.loads(run_dir.metrics.read_text())
        done, epochs = run_dir.epochs_completed(), config["train"]["epochs"]
        stop = "a non-finite loss" if metrics.get("stopped_on_nan") else (
            "its time budget (train.max_minutes)")
        print(f"kgen train: {run_dir.path} holds a finished run of this config ("
              + (f"{done} epochs" if done >= epochs else
                 f"{done} of {epochs} epochs: it stopped on {stop}")
              + f"); its metrics are in {run_dir.metrics}. Pass a larger --epochs or "
              f"train.max_minutes to train it on, or --overwrite to train again.", flush=True)
        return metrics
    seed, data = config["seed"], config["data"]

    # A strategy is made before TensorFlow runs its first op (the data below).
    scope = _strategy_scope(config["train"]["strategy"])
    # Seeded before the data: a tf.data shuffle's order combines its seed with the
    # global one, so it needs the global seed set, as every earlier kgen run had it.
    keras.utils.set_random_seed(seed)
    train_ds = datasets.load_split(data, "train_split", seed, training=True)
    val_ds = datasets.load_split(data, "validation_split", seed)
    eval_ds = datasets.load_split(data, "eval_split", seed,
                                  batch_size=config["evaluate"]["batch_size"])
    # And again once the data are ready: a first run that builds the data cache (TFDS
    # draws Python/NumPy random numbers then) initializes the model as a later run does.
    keras.utils.set_random_seed(seed)
    with scope:
        model = presets.build_model(config, datasets.event_shape(train_ds))
        optimizer = make_optimizer(config["train"], datasets.steps_per_epoch(train_ds), model)
        model.compile(optimizer=optimizer,
                      jit_compile=config["train"]["jit_compile"],
                      steps_per_execution=config["train"]["steps_per_execution"])
    # The data must suit the model (e.g. binary for a Bernoulli likelihood).
    model.validate_data(train_ds, name="data.train_split")
    model.validate_data(val_ds, name="data.validation_split")

    # Everything is checked: from here on, files are written.
    if mode == "fresh" and run_dir.path.exists():
        run_dir.clear()  # only with --overwrite: check() returns "start" otherwise
    run_dir.path.mkdir(parents=True, exist_ok=True)
    trains = mode in ("fresh", "start", "resume", "continue")
    if trains:
        run_dir.config.write_text(presets.to_yaml(config))  # resume: rundir.RESUMABLE_CHANGES
    initial_epoch = 0
    if mode in ("continue", "finish", "evaluate"):
        # Continue or finish where the finished fit ended (its last weights, optimizers
        # and noise position); evaluate the saved final model.
        model.build_optimizers()
        last = run_dir.last_weights
        model.load_weights(str(last if mode != "evaluate" and last.is_file() else run_dir.model))
        initial_epoch = run_dir.epochs_completed()
    guard = kcallbacks.NaNGuard()
    history = keras.callbacks.History()
    history.set_model(model)
    history.on_train_begin()
    start = time.time()
    if trains:
        fit_callbacks = make_callbacks(model, config, run_dir, guard, val_ds is not None)
        _say(args, f"kgen train: {config['model']} / preset {args.preset} -> {run_dir.path}"
                   + {"resume": " (resuming)", "continue": " (continuing)"}.get(mode, ""))
        history = model.fit(train_ds, validation_data=val_ds, epochs=config["train"]["epochs"],
                            initial_epoch=initial_epoch, callbacks=fit_callbacks,
                            verbose=args.verbose, shuffle=False)
        initial_epoch = history.epoch[0] if history.epoch else initial_epoch
    else:
        _say(args, f"kgen train: {run_dir.path} holds a finished fit whose "
                   + ("model.keras was not saved; saving and evaluating it"
                      if mode == "finish" else "model was not evaluated; evaluating it")
                   + " (no training)")
    # What the model needs before its test NLL (an RBM's log Z), kept in model.keras;
    # its time is not training time.
    prepare = None if args.no_eval or eval_ds is None else model_hooks.Preparation(
        model, train_ds, config)
    prepared = None
    if mode != "evaluate":
        prepared = _save_final_model(model, config, run_dir, prepare)
    elif prepare is not None:
        prepared = prepare()
    wall_time = time.time() - start - (prepare.seconds if prepare is not None else 0.0)
    best = (checkpoint_monitor(model, val_ds is not None, config)
            if config["train"]["restore_best"] and run_dir.checkpoints.joinpath(
                "best.weights.h5").exists() else None)
    metrics = summarize(history, wall_time, config, args.preset, initial_epoch,
                        all_epochs=read_history(run_dir.history), best=best)
    metrics["stopped_on_nan"] = guard.stopped_at
    if not args.no_eval:
        if prepared is not None:
            metrics["prepare_evaluation"] = prepared
        metrics.update(_final_evaluation(model, eval_ds, config, args.verbose))
    metrics["config"] = config
    run_dir.write_json(metrics)
    _say(args, _summary_line(metrics, run_dir))
    return metrics


def _save_final_model(model, config, run_dir, prepare=None):
    """Writes ``model.keras`` (atomically): the last weights, or the best epoch's with
    ``train.restore_best``, after ``prepare()`` (``model_hooks.prepare_evaluation``),
    whose result it returns."""
    best = run_dir.checkpoints / "best.weights.h5"
    if config["train"]["restore_best"] and best.exists():
        model.load_weights(str(best))  # kl_weight is not a weight: it stays 1
    prepared = prepare() if prepare is not None else None
    with atomic_path(run_dir.model) as tmp:
        model.save(tmp)
    return prepared


class _LastState(keras.callbacks.Callback):
    """Saves where a fit ended when it ends normally (a kill or an exception skips
    ``on_train_end``): ``checkpoints/last.weights.h5`` (weights, optimizers, noise
    position) and ``progress.json``. Listed before ``BackupAndRestore``, it writes
    them before the backup is removed, so a finished fit's state is always on disk."""

    def __init__(self, run_dir, train):
        super().__init__()
        self.run_dir, self.train, self._completed = run_dir, train, None

    def on_epoch_end(self, epoch, logs=None):
        self._completed = epoch + 1

    def on_train_end(self, logs=None):
        completed = self._completed
        if completed is None:  # no epoch ran: where the backup or the last fit ended
            completed = getattr(self.model, "_initial_epoch", None) or (
                self.run_dir.epochs_completed())
        self.run_dir.checkpoints.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.run_dir.last_weights) as tmp:
            self.model.save_weights(str(tmp))
        self.run_dir.write_progress(completed, self.train)


def _final_evaluation(model, eval_ds, config, verbose):
    """What the model can honestly report on ``data.eval_split``: its ``test_step``
    metrics, its NLL (exact from ``log_prob``, or the ``evaluate.num_samples``-
    sample bound) when it has a likelihood (``kgen.metrics.likelihood_method``), and
    the sample metrics ``evaluate.sample_metrics`` asks for (``kgen.cli.sample_metrics``)."""
    if eval_ds is None:
        return {}
    result = {"eval_split": config["data"]["eval_split"],
              "eval": model.evaluate(eval_ds, return_dict=True, verbose=0)}
    method = likelihood_method(model)
    num_samples = config["evaluate"]["num_samples"]
    bound = model_hooks.bound_nll(model, eval_ds, num_samples, config["seed"],
                                  1 if verbose else 0)  # a DBN's or DBM's bound
    if bound is not None:
        result["nll"] = bound
    elif method == "log_prob" or (method == "iwae_bound" and num_samples):
        result["nll"] = nll(model, eval_ds, num_samples=num_samples or 1, seed=config["seed"],
                            verbose=1 if verbose else 0)
    if config["evaluate"].get("sample_metrics") is not None:
        from kgen.cli import sample_metrics

        result["sample_metrics"] = sample_metrics.evaluate(
            model, config["evaluate"]["sample_metrics"], config["data"], config["seed"], verbose)
    return result


def _strategy_scope(kind):
    """The scope of ``kgen.distribute.strategy(kind)``, or no scope for ``None``
    (TensorFlow's default strategy). Variables made inside it are mirrored, and
    ``fit`` splits each global batch of ``data.batch_size`` over the replicas."""
    if kind is None:
        return contextlib.nullcontext()
    from kgen.distribute import strategy

    return strategy(kind).scope()


def make_optimizer(train, steps_per_epoch=None, model=None):
    """The optimizer(s) of a preset's ``train`` section for ``model``: one Keras
    optimizer, or ``{player: optimizer}`` for a model with players
    (``kgen.cli.optimizers.for_model``; without ``model``, one optimizer)."""
    if model is None:
        return optimizers.make_optimizer(train, steps_per_epoch)
    return optimizers.for_model(train, steps_per_epoch, model)


def make_callbacks(model, config, run_dir, guard, has_validation):
    """The callbacks of ``kgen train``, in an order that matters.

    ``NaNGuard`` comes first so that it restores good weights before anything
    reads or saves them; ``SampleQuality`` (``evaluate.sample_metrics.every``)
    next, so that the plateau cut, the checkpoint and the loggers see its figures;
    ``ReduceLROnPlateau`` before ``BackupAndRestore``, so that a learning-rate cut
    is in the saved optimizer state; ``KLWarmup`` before the loggers so they
    record ``kl_weight``; the
    last state is saved before ``BackupAndRestore`` removes the backup.
    """
    train = config["train"]
    tensorboard = str(run_dir.tensorboard)
    monitor, mode = checkpoint_monitor(model, has_validation, config)
    result = [guard]
    if config["evaluate"].get("sample_metrics") is not None:  # the FID learning curve
        from kgen.cli import sample_metrics

        quality = sample_metrics.callback(model, config["evaluate"]["sample_metrics"],
                                          config["data"], config["seed"])
        if quality is not None:  # before every callback that reads its figures
            result.append(quality)
    if train["reduce_lr_on_plateau"] is not None:
        result.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, mode=mode, **train["reduce_lr_on_plateau"]))
    result.append(_LastState(run_dir, train))  # before the backup is removed
    result.append(keras.callbacks.BackupAndRestore(str(run_dir.backup)))
    if hasattr(model, "kl_weight"):
        result.append(kcallbacks.KLWarmup(train["kl_warmup_epochs"]))
    shape = tuple(model.event_shape)
    if len(shape) == 3 and shape[-1] in (1, 3) and hasattr(model, "sample"):
        result.append(kcallbacks.SampleGrid(num_samples=64, every=train["sample_every"],
                                            log_dir=tensorboard, png_dir=str(run_dir.samples),
                                            seed=config["seed"], padding=1))
        if callable(getattr(model, "filters", None)):  # an RBM's, DBN's, DBM's first layer
            result.append(kcallbacks.FilterGrid(num_filters=100, every=train["sample_every"],
                                                log_dir=tensorboard, png_dir=str(run_dir.samples)))
        if getattr(model, "latent_dim", None) == 2 and hasattr(model, "decode"):
            result.append(kcallbacks.LatentManifold(grid_size=20, log_dir=tensorboard,
                                                    png_dir=str(run_dir.samples), padding=1))
    if train["max_minutes"] is not None:
        result.append(kcallbacks.TimeLimit(train["max_minutes"]))
    result.append(keras.callbacks.ModelCheckpoint(
        str(run_dir.checkpoints / "best.weights.h5"), monitor=monitor, mode=mode,
        save_best_only=True, save_weights_only=True,
        initial_value_threshold=run_dir.best_logged(monitor, mode)))
    result.append(keras.callbacks.CSVLogger(str(run_dir.history), append=True))
    result.append(keras.callbacks.TensorBoard(tensorboard, write_graph=False))
    return result


def checkpoint_monitor(model, has_validation, config=None):
    """``(monitor, mode)`` of the best checkpoint and of learning-rate plateaus: the
    model's ``monitor`` (e.g. ``("elbo", "max")`` for a VAE, ``("iwae_bound",
    "max")`` for an IWAE; not the loss, which includes the KL warm-up weight and
    so is not comparable across epochs of a warm-up), on validation data when
    there is some; a metric that ``evaluate.sample_metrics.every`` scores during
    training (a GAN's ``fid``) under its own name, against its reference split."""
    metric, mode = model.monitor
    spec = (config or {}).get("evaluate", {}).get("sample_metrics")
    if spec is not None and spec.get("every") is not None and metric in spec["metrics"]:
        return metric, mode  # scored by SampleQuality on its reference, logged unprefixed
    return ("val_" if has_validation else "") + metric, mode


def _say(args, text):
    if args.verbose:
        print(text, flush=True)


def _summary_line(metrics, run_dir):
    parts = [f"{metrics['epochs_run']} epochs in {metrics['wall_time_seconds']:.1f} s"]
    if "loss" in metrics["train"]:
        parts.append(f"train loss {metrics['train']['loss']:.3f}")
    if "nll" in metrics:
        parts.append(f"{metrics['eval_split']} NLL {metrics['nll']['nll']:.3f} nats")
    return f"kgen train: {'; '.join(parts)}. Wrote {run_dir.path}"
