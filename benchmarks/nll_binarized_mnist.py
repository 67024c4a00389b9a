"""Test NLL of VAE / IWAE / VAE+IAF on statically binarized MNIST.

Kept for the history of the results rows it produced (their JSONs in
``benchmarks/results/nll_*.json`` record this program's commands). New rows
come from presets: ``python benchmarks/run_preset.py PRESET`` runs
``kgen train MODEL --preset PRESET`` and records it, so users run what was
measured (``benchmarks/results/README.md``). Do not add features here.

Architecture of Burda et al. 2016 (arXiv:1509.00519), one stochastic layer:
784-200-200-50 tanh encoder and decoder, Bernoulli likelihood, Adam 1e-3,
batch 100. Training stops after ``--minutes`` of wall time (or
``--max-epochs``); the weights with the best validation bound (the model's
``monitor``: the ELBO for VAEs, L_k for IWAE) are kept (static
binarization overfits); the learning rate halves after
``--plateau-patience`` epochs without a better validation bound, or, with
``--lr-schedule burda``, follows Burda et al.'s stepwise decay (sec. 5)
compressed to ``--max-epochs`` (``kgen.schedules.burda_learning_rate``), or,
with ``constant``, stays at ``--learning-rate``; optional KL
warm-up (Sønderby et al. 2016, arXiv:1602.02282). The final test NLL is the k=5000
importance-sampled bound on all 10,000 test images (their sec. 5.2).
A cheap progress curve (k=100 on the first 1,000 test images) is recorded
every ``--curve-every`` epochs; each epoch's entry also has the training loss,
the validation bound and the learning rate of the epoch's last step (runs of
commit 0ec57e9, such as ``nll_vae_binarized_mnist_burda_xla.json``, logged
the next step's rate). ``--run-dir`` makes a run resumable across invocations (sessions):
re-running the same command continues it (``benchmarks/resumable.py``), and
each invocation ends by evaluating the best weights so far. ``--init-from
FILE.keras`` starts from a saved model of the same architecture, e.g. IWAE
training continued from a trained VAE (Burda et al. sec. 5.2, Table 2:
"continuing to train a VAE with the IWAE objective"). ``--average-from-epoch``
adds stochastic weight averaging (``benchmarks/averaging.py``).

    python benchmarks/nll_binarized_mnist.py --model vae --minutes 60
"""

import argparse
import contextlib
import hashlib
import math
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kgen  # noqa: E402
import kgen.data  # noqa: E402
import kgen.metrics  # noqa: E402
from benchmarks.common import write_result  # noqa: E402
from benchmarks.averaging import WeightAverage  # noqa: E402
from benchmarks.resumable import RunState  # noqa: E402


def build(name, seed):
    if name == "vae":
        return kgen.models.vae.VAE(latent_dim=50, seed=seed)
    if name == "iwae":
        return kgen.models.vae.IWAE(num_samples=50, latent_dim=50, seed=seed)
    if name == "vae_iaf":
        from kgen.models.vae import IAFPosterior
        posterior = IAFPosterior(50, num_flows=2, hidden_units=(320, 320), name="posterior")
        return kgen.models.vae.VAE(latent_dim=50, posterior=posterior, analytic_kl=False,
                                   seed=seed)
    raise ValueError(f"`--model` must be vae, iwae or vae_iaf. Received: {name}")


def init_from(model, path, x):
    """Copies the weights of the model saved at ``path`` into ``model``.

    The encoder, decoder and likelihood must match in shape. A posterior of
    the same class is copied whole; otherwise only the Dense head that gives
    the Gaussian, so a VAE's posterior starts the base Gaussian of a VAE+IAF,
    whose flow steps keep their initialization. When every weight is copied
    (a VAE into an IWAE of the same networks) the copy must reproduce the
    source's k=100 bound on ``x`` exactly.

    Returns:
        ``{"file", "sha256", "fresh_weights"}`` for the result JSON:
        ``fresh_weights`` lists the paths of the model's weights not copied.

    Raises:
        ValueError: naming ``--init-from``, if the file is not a saved kgen
            VAE, if the shapes of a part differ, if the source's posterior has
            more than the head to copy, or if a full copy's bound differs.
    """
    def fail(what):
        raise ValueError(f"`--init-from` {path} does not fit the model: {what}. "
                         f"Received: --init-from={path}")

    try:
        source = keras.models.load_model(path, safe_mode=True)
    except (OSError, ValueError) as error:
        fail(f"it does not load as a .keras model ({error})")
    if not isinstance(source, kgen.models.vae.VAE):
        fail(f"it holds a {type(source).__name__}, not a kgen VAE")
    model.build(tuple(x.shape))
    theirs, ours = source.posterior, model.posterior
    if type(theirs) is type(ours):  # a VAE into an IWAE: the same posterior
        parts = [("posterior", theirs, ours)]
    else:  # both have the Dense head that gives the (base) Gaussian
        if not (hasattr(theirs, "head") and hasattr(ours, "head")):
            fail(f"its {type(theirs).__name__} and the model's {type(ours).__name__} do not "
                 f"both have a Gaussian head")
        if len(theirs.weights) != len(theirs.head.weights):
            fail(f"its {type(theirs).__name__} has weights besides its Gaussian head")
        parts = [("posterior head", theirs.head, ours.head)]
    parts += [(name, getattr(source, name), getattr(model, name))
              for name in ("encoder", "decoder", "likelihood")]
    for name, src, dst in parts:
        weights = src.get_weights()
        shapes = [w.shape for w in weights], [tuple(w.shape) for w in dst.weights]
        if shapes[0] != shapes[1]:
            fail(f"its {name} has weights of shapes {shapes[0]}, the model's {shapes[1]}")
        dst.set_weights(weights)
    copied = {id(v) for _, _, dst in parts for v in dst.weights}
    fresh = [v.path for v in model.weights if id(v) not in copied]
    if not fresh:
        a = source.iwae_bound(x, 100, seed=0).numpy()
        b = model.iwae_bound(x, 100, seed=0).numpy()
        if not np.array_equal(a, b):
            fail(f"the copy's bound differs from the source's by up to {np.max(np.abs(a - b))}")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {"file": os.path.basename(path), "sha256": digest, "fresh_weights": fresh}


@contextlib.contextmanager
def noise_position_kept(model):
    """Leaves ``model``'s noise generator where it was while weights are
    swapped in the block (``load_weights`` would also restore a saved
    position), so the evaluations after it draw as without the swap."""
    position = model.seed_generator.state.numpy()
    try:
        yield
    finally:
        model.seed_generator.state.assign(position)


def last_step_rate(optimizer):
    """The learning rate the optimizer's last step used (a schedule is read at
    the step before ``iterations``; Keras reads it before counting the step)."""
    rate = optimizer._learning_rate
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return float(rate(max(int(optimizer.iterations) - 1, 0)))
    return float(np.asarray(optimizer.learning_rate))


class Budget(keras.callbacks.Callback):
    """Stops after ``minutes``; keeps the best validation weights; records a curve.

    With a ``RunState`` (``--run-dir``) the curve, the best value and the best
    weights carry over from earlier invocations and are saved every epoch.
    """

    def __init__(self, minutes, curve_x, curve_every, log, state=None):
        super().__init__()
        self.deadline = time.time() + 60 * minutes
        self.start = time.time()
        self.curve_x, self.curve_every, self.log, self.state = curve_x, curve_every, log, state
        self.best, self.best_weights, self.best_epoch, self.epochs = math.inf, None, 0, 0
        self.minutes_before, self.resumed = 0.0, False
        if state is not None:
            self.log.extend(state.state["curve"])
            self.best, self.best_epoch = state.best, state.state["best_epoch"]
            self.epochs = self.log[-1]["epoch"] if self.log else 0
            self.minutes_before = state.total_minutes()

    def set_model(self, model):
        super().set_model(model)
        self.bound = model.monitor[0]

    def on_epoch_begin(self, epoch, logs=None):
        if not self.resumed:  # epochs after the last backup are run again
            self.resumed = True
            self.log[:] = [e for e in self.log if e["epoch"] <= epoch]

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        # The bound, not the loss: the loss includes the KL warm-up weight.
        val = -logs.get("val_" + self.bound, logs[self.bound])
        improved = val < self.best
        if improved:
            self.best, self.best_weights, self.best_epoch = val, self.model.get_weights(), epoch + 1
        minutes = (time.time() - self.start) / 60
        entry = {"epoch": epoch + 1, "minutes": round(self.minutes_before + minutes, 2),
                 "train_loss": float(logs["loss"]), "val_negative_" + self.bound: float(val),
                 "learning_rate": last_step_rate(self.model.optimizer)}
        if (epoch + 1) % self.curve_every == 0:
            entry["test_nll_k100_first1000"] = float(
                -np.mean(self.model.iwae_bound(self.curve_x, 100, seed=0).numpy()))
        self.log.append(entry)
        print(entry, flush=True)
        if self.state is not None:
            self.state.record(self.log, self.best, self.best_epoch, self.model, improved, minutes)
        if time.time() > self.deadline:
            self.model.stop_training = True

    def restore_best(self):
        """Sets the model to the best weights seen (this or an earlier invocation).

        The noise generator stays where training left it (``load_weights``
        would rewind it to the best epoch's position), so the test ELBO of a
        resumed run is drawn as an uninterrupted run's is.
        """
        with noise_position_kept(self.model):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)
            elif self.state is not None and self.state.best_weights.is_file():
                self.model.load_weights(str(self.state.best_weights))


def choose_average(model, average, valid):
    """Keeps the weight average or the best epoch's weights, whichever has the
    lower validation NLL.

    Args:
        model: the model, holding the best epoch's weights.
        average: the run's ``WeightAverage``.
        valid: the validation ``tf.data.Dataset``.

    Both are scored with k=100 importance samples and the same seed (common
    random numbers); ``model`` ends with the chosen weights and its noise
    generator where it was.

    Returns:
        ``{"from_epoch", "snapshots", "missing_epochs", "chosen",
        "val_nll_k100_best_epoch", "val_nll_k100_average"}``, the NLLs in
        nats (rounded to 3 decimals), ``chosen`` "average" or "best_epoch".
    """
    record = {"from_epoch": average.from_epoch, "snapshots": average.count,
              "missing_epochs": average.missing_epochs}
    if average.count == 0:
        return dict(record, chosen="best_epoch")
    candidates = {"best_epoch": model.get_weights(), "average": average.weights()}
    scores = {}
    with noise_position_kept(model):  # the test ELBO draws as without averaging
        for name, weights in candidates.items():
            model.set_weights(weights)
            scores[name] = kgen.metrics.nll(model, valid, num_samples=100, seed=1,
                                            verbose=0)["nll"]
        chosen = min(scores, key=scores.get)
        model.set_weights(candidates[chosen])
    print({"weight_average": scores, "chosen": chosen}, flush=True)
    return dict(record, chosen=chosen, **{f"val_nll_k100_{k}": round(v, 3)
                                          for k, v in scores.items()})


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="vae", choices=["vae", "iwae", "vae_iaf"])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--max-epochs", type=int, default=3280)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--num-samples", type=int, default=5000)
    parser.add_argument("--curve-every", type=int, default=25)
    parser.add_argument("--jit-compile", action="store_true")
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument("--kl-warmup-epochs", type=int, default=0)
    parser.add_argument("--plateau-patience", type=int, default=15)
    parser.add_argument("--lr-schedule", default="plateau",
                        choices=["plateau", "burda", "constant"])
    parser.add_argument("--adam-epsilon", type=float, default=1e-7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tag", default="")
    parser.add_argument("--init-from", default=None,
                        help="a saved .keras VAE of the same networks to start from (copy "
                             "it out of benchmarks/results/, which the next VAE run "
                             "overwrites); a resumed run refuses a changed file")
    parser.add_argument("--average-from-epoch", type=int, default=None,
                        help="keep the mean of the weights from this epoch on (SWA, "
                             "benchmarks/averaging.py; meant for --lr-schedule constant); "
                             "the end keeps the mean or the best epoch, whichever has the "
                             "better validation NLL (k=100)")
    parser.add_argument("--run-dir", default=None,
                        help="resumable run: keep its state here and continue it when the "
                             "same command runs again (benchmarks/resumable.py)")
    args = parser.parse_args()
    if args.lr_schedule == "burda" and args.max_epochs < kgen.schedules.BURDA_STAGES:
        parser.error(f"--max-epochs must be >= {kgen.schedules.BURDA_STAGES} with "
                     f"--lr-schedule burda (one epoch a stage). Received: {args.max_epochs}")
    if args.average_from_epoch is not None and not 1 <= args.average_from_epoch <= args.max_epochs:
        parser.error(f"--average-from-epoch must be in [1, --max-epochs]. "
                     f"Received: {args.average_from_epoch}")
    if not args.adam_epsilon > 0:
        parser.error(f"--adam-epsilon must be > 0. Received: {args.adam_epsilon}")
    state = RunState(args.run_dir, vars(args)) if args.run_dir else None
    keras.utils.set_random_seed(args.seed)

    train = kgen.data.load("binarized_mnist", "train", batch_size=args.batch_size,
                           shuffle=True, seed=args.seed)
    valid = kgen.data.load("binarized_mnist", "validation", batch_size=1000)
    test = kgen.data.load("binarized_mnist", "test", batch_size=100)
    curve_x = next(iter(kgen.data.load("binarized_mnist", "test", batch_size=1000)))

    model = build(args.model, args.seed)
    initialized_from = init_from(model, args.init_from, curve_x) if args.init_from else None
    if state is not None and initialized_from is not None:
        state.pin_init(initialized_from)
    learning_rate = args.learning_rate
    if args.lr_schedule == "burda":
        learning_rate = kgen.schedules.burda_learning_rate(
            steps_per_epoch=int(train.cardinality()), epochs=args.max_epochs,
            initial_learning_rate=args.learning_rate)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, epsilon=args.adam_epsilon),
                  jit_compile=args.jit_compile, steps_per_execution=args.steps_per_execution)
    log = []
    budget = Budget(args.minutes, curve_x, args.curve_every, log, state)
    bound = model.monitor[0]
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_" + bound, mode="max", factor=0.5,
                                                patience=args.plateau_patience, min_lr=1e-5,
                                                verbose=1)
    callbacks = [budget, plateau] if args.lr_schedule == "plateau" else [budget]  # or constant
    if state is not None:  # first: it restores the model before the others start
        callbacks.insert(0, state.backup())
    if args.kl_warmup_epochs:
        callbacks.append(kgen.callbacks.KLWarmup(args.kl_warmup_epochs))
    average = None
    if args.average_from_epoch:
        average = WeightAverage(args.average_from_epoch,
                                state.path / "average.npz" if state is not None else None)
        callbacks.insert(0, average)  # saved before the backup (see WeightAverage)
    start = time.time()
    model.fit(train, validation_data=valid, epochs=args.max_epochs,
              callbacks=callbacks, verbose=2)
    train_minutes = (time.time() - start) / 60 + budget.minutes_before
    budget.restore_best()  # kl_weight is not a weight: KLWarmup left it 1
    averaged = choose_average(model, average, valid) if average is not None else None

    test_elbo = float(model.evaluate(test, verbose=0, return_dict=True)["elbo"])
    result = kgen.metrics.nll(model, test, num_samples=args.num_samples, seed=args.seed)
    print(result, flush=True)
    name = f"nll_{args.model}_binarized_mnist{args.tag}"
    model.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                            f"{name}.keras"))
    write_result(name, {
        "model": args.model,
        "architecture": "784-200-200-50 tanh, Bernoulli (Burda et al. 2016)",
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "kl_warmup_epochs": args.kl_warmup_epochs,
        "jit_compile": args.jit_compile,
        "init_from": initialized_from,
        "weight_average": averaged,
        "evaluated_weights": averaged["chosen"] if averaged else "best_epoch",
        "steps_per_execution": args.steps_per_execution,
        "selected_on": "val_" + bound,
        "lr_schedule": args.lr_schedule,
        "stage_epochs": (kgen.schedules.burda_stage_epochs(args.max_epochs)
                         if args.lr_schedule == "burda" else None),
        "adam_epsilon": args.adam_epsilon,
        "plateau_patience": args.plateau_patience if args.lr_schedule == "plateau" else None,
        "epochs_run": budget.epochs,
        "best_epoch": budget.best_epoch,
        "train_minutes": round(train_minutes, 2),
        "max_epochs": args.max_epochs,
        "complete": budget.epochs >= args.max_epochs,
        "invocations": state.state["invocations"] if state is not None else None,
        "test_nll_nats": round(result["nll"], 3),
        "test_nll_std_error": round(result["nll_std_error"], 3),
        "test_nll_num_samples": args.num_samples,
        "test_nll_eval_minutes": round(result["seconds"] / 60, 2),
        "test_negative_elbo_nats": round(-test_elbo, 3),
        "curve": log,
    })


if __name__ == "__main__":
    main()
