"""CD-1 training speed of kgen's RBM `fit` against scikit-learn's `BernoulliRBM`,
and the pseudo-log-likelihood of both after the same epochs.

Same sizes (784 visible, 500 hidden), same data (statically binarized MNIST
train, 50,000 images, float32, in memory, in file order, batch 100), same
learning rate (plain SGD, 0.1: scikit-learn's default; no momentum, no weight
decay), same initialization (weights N(0, 0.01^2), biases 0), same process:

- ``kgen_cd1[_xla][_spe50]``: ``kgen.models.energy.RBM(k=1)`` trained with
  ``model.fit`` (CD-1: one Gibbs sweep from the batch), without and with XLA
  (``jit_compile``), 1 or 50 steps per execution;
- ``kgen_pcd1_xla_spe50``: the same with ``persistent=True, num_chains=100``:
  scikit-learn's algorithm (its ``BernoulliRBM`` is PCD-1, "stochastic maximum
  likelihood", with one chain per batch row);
- ``plain_cd1_xla``: the CD-1 update written out in TensorFlow ops inside a
  hand-written ``tf.function`` step (no Keras ``fit``, no metrics): what the
  arithmetic alone costs in TensorFlow here;
- ``sklearn``: ``BernoulliRBM(n_components=500, batch_size=100,
  learning_rate=0.1)``; each epoch runs the loop of its ``fit`` (one
  ``_fit(X[batch])`` per batch of ``gen_even_slices``) on the same estimator,
  so training carries on from epoch to epoch (``fit`` itself re-initializes);
- ``sklearn_1_blas_thread``: the same with NumPy's BLAS held to one thread
  (``threadpoolctl``; two threads can be far slower on this shared VM, see
  the AIS benchmark);
- ``sklearn_fit_n_iter1``: the public ``BernoulliRBM(n_iter=1).fit(X)`` of a
  fresh estimator each round: speed only, a check that the loop above costs
  what ``fit`` costs.

kgen's ``fit`` also computes its per-step metrics (reconstruction error,
one-pixel pseudo-log-likelihood, free-energy gap: about 3 more 784 x 500
matrix products per step); ``plain_cd1_xla`` shows what they and ``fit``
cost.

Timing is the house method of ``speed_vae.py``: every configuration is warmed
up with one epoch, then ``--rounds`` rounds of one epoch of each in turn,
starting one later each round. Reports epochs/s and examples/s (median and
best), and ratios to ``sklearn``.

Pseudo-log-likelihood, per example, in nats, after the same number of epochs
(the warm-up + ``--rounds``) for every model that carries on training: the
exact sum_i log p(v_i | v_-i) over all 784 pixels
(``kgen.models.energy.partition.pseudo_log_likelihood``) on the first
``--pll-examples`` test images, scikit-learn's weights loaded into a kgen RBM
(checked: both free energies agree). Beside it, scikit-learn's own
``score_samples`` (784 x log p(v_i | v_-i) for ONE random pixel per example:
an unbiased but noisy estimate of the same sum; its issue 23179).

    python benchmarks/speed_rbm.py --rounds 3
"""

import argparse
import os
import statistics
import sys

import keras
import numpy as np
import tensorflow as tf
import threadpoolctl
from sklearn.neural_network import BernoulliRBM
from sklearn.utils import gen_even_slices

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import common  # noqa: E402
from kgen.models.energy import RBM  # noqa: E402
from kgen.models.energy import partition  # noqa: E402

HIDDEN = 500


def kgen_rbm(persistent=False, batch_size=100):
    return RBM(num_visible=784, num_hidden=HIDDEN, k=1, persistent=persistent,
               num_chains=batch_size, data_init=False, seed=0)


def kgen_epoch_fn(jit, steps_per_execution, lr, persistent=False):
    model = kgen_rbm(persistent)
    model.compile(optimizer=keras.optimizers.SGD(lr), jit_compile=jit,
                  steps_per_execution=steps_per_execution)
    epoch = lambda data: model.fit(data["ds"], epochs=1, verbose=0)  # noqa: E731
    return epoch, lambda: model


def plain_epoch_fn(lr):
    """CD-1 written out: positive and negative statistics, SGD, one compiled step."""
    model = kgen_rbm()
    w, b, c = model.kernel, model.visible_bias, model.hidden_bias
    seeds = tf.random.Generator.from_seed(0)

    @tf.function(jit_compile=True)
    def step(v):
        h_pos = tf.sigmoid(tf.matmul(v, w) + c)
        h = tf.cast(seeds.uniform(tf.shape(h_pos)) < h_pos, tf.float32)
        p_neg = tf.sigmoid(tf.matmul(h, w, transpose_b=True) + b)
        v_neg = tf.cast(seeds.uniform(tf.shape(p_neg)) < p_neg, tf.float32)
        h_neg = tf.sigmoid(tf.matmul(v_neg, w) + c)
        n = tf.cast(tf.shape(v)[0], tf.float32)
        w.assign_add(lr / n * (tf.matmul(v, h_pos, transpose_a=True)
                               - tf.matmul(v_neg, h_neg, transpose_a=True)))
        b.assign_add(lr / n * tf.reduce_sum(v - v_neg, 0))
        c.assign_add(lr / n * tf.reduce_sum(h_pos - h_neg, 0))

    def epoch(data):
        for v in data["ds"]:
            step(v)
        return float(w[0, 0])

    return epoch, lambda: model


def sklearn_epoch_fn(lr, batch_size):
    """One epoch of BernoulliRBM.fit's own loop, carrying on the same estimator."""
    rbm = BernoulliRBM(n_components=HIDDEN, batch_size=batch_size, learning_rate=lr,
                       n_iter=1, random_state=0)
    state = {}

    def epoch(data):
        x = data["x"]
        if not state:  # the initialization of BernoulliRBM.fit, then its loop
            rbm.fit(x[:batch_size])  # sets every attribute (n_features_in_, ...); reset below
            rng = np.random.RandomState(0)
            rbm.components_ = np.asarray(rng.normal(0, 0.01, (HIDDEN, x.shape[1])),
                                         order="F", dtype=x.dtype)
            rbm.intercept_hidden_ = np.zeros(HIDDEN, x.dtype)
            rbm.intercept_visible_ = np.zeros(x.shape[1], x.dtype)
            rbm.h_samples_ = np.zeros((batch_size, HIDDEN), x.dtype)
            n_batches = int(np.ceil(len(x) / batch_size))
            state["slices"] = list(gen_even_slices(n_batches * batch_size, n_batches,
                                                   n_samples=len(x)))
            state["rng"] = rng
        for s in state["slices"]:
            rbm._fit(x[s], state["rng"])
        return rbm

    return epoch, lambda: rbm


def one_blas_thread(make):
    """``make()``'s epoch function, run with NumPy's BLAS limited to one thread."""
    epoch, get = make()

    def limited(data):
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            return epoch(data)

    return limited, get


def sklearn_fit_fn(lr, batch_size):
    def epoch(data):
        return BernoulliRBM(n_components=HIDDEN, batch_size=batch_size, learning_rate=lr,
                            n_iter=1, random_state=0).fit(data["x"])
    return epoch, None


def pll_of(model, x):
    """Exact per-example PLL (nats) of a kgen RBM on flat ``x``: mean, standard error."""
    v = tf.constant(x)
    values = []
    for start in range(0, len(x), 500):
        chunk = v[start:start + 500]
        values.append(partition.pseudo_log_likelihood(
            chunk, model.kernel, model.visible_bias, model._hidden_logits(chunk),
            model._free_energy(chunk)).numpy())
    values = np.concatenate(values)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def sklearn_as_kgen(rbm, x):
    """scikit-learn's weights in a kgen RBM; checks both free energies agree."""
    model = kgen_rbm()
    model.kernel.assign(rbm.components_.T.astype(np.float32))
    model.visible_bias.assign(rbm.intercept_visible_.astype(np.float32))
    model.hidden_bias.assign(rbm.intercept_hidden_.astype(np.float32))
    ours = model.free_energy(x[:100]).numpy()
    theirs = rbm._free_energy(x[:100].astype(np.float64))
    gap = float(np.max(np.abs(ours - theirs)))
    if gap > 1e-2 * max(1.0, float(np.max(np.abs(theirs)))):
        raise AssertionError(f"free energies disagree by {gap}")
    return model, gap


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=50000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", nargs="*",
                        default=["plain_cd1_xla", "kgen_cd1_xla_spe50", "kgen_cd1", "sklearn"],
                        help="configurations to run one more epoch of under cProfile")
    parser.add_argument("--pll-examples", type=int, default=2000)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)

    x = common.binarized_mnist("train", args.examples).reshape(-1, 784).astype(np.float32)
    test = common.binarized_mnist("test", args.pll_examples).reshape(-1, 784).astype(np.float32)
    ds = common.in_memory(x, args.batch_size)
    data = {"x": x, "ds": ds}
    lr, bs = args.learning_rate, args.batch_size
    makers = {
        "kgen_cd1": lambda: kgen_epoch_fn(False, 1, lr),
        "kgen_cd1_xla": lambda: kgen_epoch_fn(True, 1, lr),
        "kgen_cd1_xla_spe50": lambda: kgen_epoch_fn(True, 50, lr),
        "kgen_pcd1_xla_spe50": lambda: kgen_epoch_fn(True, 50, lr, persistent=True),
        "plain_cd1_xla": lambda: plain_epoch_fn(lr),
        "sklearn": lambda: sklearn_epoch_fn(lr, bs),
        "sklearn_1_blas_thread": lambda: one_blas_thread(lambda: sklearn_epoch_fn(lr, bs)),
        "sklearn_fit_n_iter1": lambda: sklearn_fit_fn(lr, bs),
    }
    made = {name: make() for name, make in makers.items()}
    # the warm-up epoch trains too (epochs_trained below)
    seconds = common.round_robin({n: m[0] for n, m in made.items()}, data, args.rounds)
    runs = {}
    for name, times in seconds.items():
        median, best = statistics.median(times), min(times)
        runs[name] = {"epochs_per_second": round(1 / median, 4),
                      "best_epochs_per_second": round(1 / best, 4),
                      "examples_per_second": round(len(x) / median, 1),
                      "epoch_seconds": [round(t, 3) for t in times]}
    common.add_ratios(runs, lambda name: "sklearn", "sklearn", "epochs",
                      line="{name:22s} {rate:.3f} epochs/s (best {best:.3f})  x{ratio} sklearn")
    epochs_trained = 1 + args.rounds
    for name, (_, get) in made.items():
        if get is None:
            continue
        model = get()
        if isinstance(model, BernoulliRBM):
            sk_score = model.score_samples(test)
            model, gap = sklearn_as_kgen(model, test)
            runs[name]["sklearn_score_samples_mean"] = round(float(sk_score.mean()), 2)
            runs[name]["sklearn_score_samples_std_error"] = round(
                float(sk_score.std(ddof=1) / np.sqrt(len(sk_score))), 2)
            runs[name]["free_energy_max_abs_difference_kgen_vs_sklearn"] = gap
        mean, err = pll_of(model, test)
        runs[name]["test_pll_nats"] = round(mean, 2)
        runs[name]["test_pll_std_error"] = round(err, 2)
        runs[name]["epochs_trained"] = epochs_trained
        print(f"{name:22s} exact PLL {mean:.2f} ± {err:.2f} nats after {epochs_trained} "
              f"epochs" + (f" (score_samples {runs[name]['sklearn_score_samples_mean']})"
                           if "sklearn_score_samples_mean" in runs[name] else ""), flush=True)
    # last: the profiled epochs train on
    profiles = common.profile_epochs({n: m[0] for n, m in made.items()}, args.profile, data)
    common.write_result("speed_rbm", {
        "network": f"RBM 784-{HIDDEN}, SGD lr {lr}, batch {bs}, weights N(0, 0.01^2), "
                   "biases 0; scikit-learn BernoulliRBM is PCD-1",
        "data": "binarized_mnist train (float32), file order",
        "examples_per_epoch": len(x),
        "rounds": args.rounds,
        "pll": f"exact sum over 784 pixels, per example, nats, first {len(test)} test images",
        "load_average_at_end": list(os.getloadavg()),
        "numpy_blas": [{k: i.get(k) for k in ("internal_api", "version", "num_threads")}
                       for i in threadpoolctl.threadpool_info()],
        "runs": runs,
        "profile_one_epoch": profiles,
    })


if __name__ == "__main__":
    main()
