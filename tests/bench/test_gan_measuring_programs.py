"""Issue 13's GAN measuring programs (``benchmarks/dcgan_plain_loop.py``,
``gan_conditional_accuracy.py``, ``infogan_digits.py``, ``bigan_probe.py``) run end to end
at tiny settings on the real data and write a JSON of the expected keys (into a
temporary folder: never into benchmarks/results/); their shared parts
(``benchmarks.gan_budget``) and the code-to-class matching are exact."""

import json

import numpy as np
import pytest

from benchmarks import bigan_probe, dcgan_plain_loop, gan_budget, gan_conditional_accuracy
from benchmarks import infogan_digits

TINY = ["--minutes", "0.01", "--base-filters", "4", "--chunk", "2", "--checkpoints", "2",
        "--no-jit-compile", "--seed", "0"]
RECORD_KEYS = {"command", "commit", "machine", "date", "args", "wall_time_seconds",
               "load_average_at_end"}


def run(program, tmp_path, *argv):
    out = tmp_path / "result.json"
    path = program.main([*TINY, *argv, "--output", str(out)])
    assert str(path) == str(out)
    record = json.loads(out.read_text())
    assert RECORD_KEYS <= set(record)
    assert record["command"].startswith("python") and record["machine"]["cores"] >= 1
    return record


def test_speed_runs_need_their_plain_reference():
    with pytest.raises(ValueError, match="--speed-runs"):
        dcgan_plain_loop.main([*TINY, "--speed-runs", "kgen_fit_xla", "--skip-fid"])


def test_matched_accuracy_finds_the_best_one_to_one_matching():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    codes = np.array([2, 2, 0, 1, 1, 1, 1])  # 2 -> 0, 1 -> 2, 0 -> 1: 6 of 7 hit
    accuracy, matching, confusion = infogan_digits.matched_accuracy(codes, labels, k=3)
    assert accuracy == pytest.approx(6 / 7)
    assert matching == {0: 1, 1: 2, 2: 0}
    assert confusion.sum() == 7 and confusion[1, 2] == 3
    assert infogan_digits.matched_accuracy(labels, labels, k=3)[0] == 1.0
    # A matching fitted elsewhere is applied as it is, not refitted.
    assert infogan_digits.accuracy_with({0: 1, 1: 2, 2: 0}, codes, labels) == pytest.approx(6 / 7)
    assert infogan_digits.accuracy_with({0: 0, 1: 1, 2: 2}, codes, labels) == pytest.approx(1 / 7)


def test_budget_clock_scores_its_checkpoints_and_stops_at_the_budget(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(gan_budget.time, "perf_counter", lambda: now[0])
    scored = []

    def evaluate():
        now[0] += 100.0  # scoring time is not training time
        scored.append(now[0])
        return {"fid": 1.0}

    clock = gan_budget.BudgetClock(1.0, 2, evaluate)  # checkpoints at 30 s and 60 s
    clock.begin()
    stops = []
    for t in (10.0, 20.0, 20.0, 40.0):  # training seconds of each chunk
        now[0] += t
        stops.append(clock.tick(len(stops) + 1, {"d_loss": 0.5}))
    assert stops == [False, False, False, True]
    assert [p["steps"] for p in clock.curve] == [2, 4]
    assert [p["train_seconds"] for p in clock.curve] == [30.0, 90.0]  # 100 s paused each
    assert clock.curve[0] == {"steps": 2, "train_seconds": 30.0, "d_loss": 0.5, "fid": 1.0}
    assert gan_budget.BudgetClock(60.0, 3, evaluate, max_steps=2).times == [1200.0, 2400.0,
                                                                              3600.0]


def test_dcgan_plain_loop_runs_end_to_end(tmp_path):
    # XLA's compilations would take the most time here: the runs without it.
    record = run(dcgan_plain_loop, tmp_path, "--rounds", "1", "--steps", "2",
                 "--speed-runs", "plain,kgen_fit", "--num-samples", "200",
                 "--train-examples", "512")
    runs = record["speed"]["runs"]
    assert set(runs) == {"plain", "kgen_fit"}
    assert runs["kgen_fit"]["ratio_to_plain_same_jit"] > 0
    assert runs["plain"]["ratio_to_plain_same_jit"] == 1.0
    assert runs["kgen_fit"]["examples_per_second"] > 0
    fid = record["fid_at_same_wall_time"]
    assert set(fid["final_fid"]) == {"kgen_fit", "plain"}
    for name in ("kgen_fit", "plain"):
        assert fid[name]["final"] == fid[name]["curve"][-1]
        assert fid[name]["final"]["fid_200"] > 0 and fid[name]["final"]["steps"] >= 2
    assert record["model_args"]["generator"]["base_filters"] == 4


def test_gan_conditional_accuracy_runs_end_to_end(tmp_path):
    record = run(gan_conditional_accuracy, tmp_path, "--num-samples", "200",
                 "--train-examples", "512")
    assert record["model"] == "acgan" and 0 <= record["accuracy"] <= 1
    assert set(record["per_class_accuracy"]) == {str(c) for c in range(10)}
    assert record["classifier_accuracy_on_real_test"] > 0.8  # 200 real test images
    assert record["fid_200"] > 0 and record["curve"][-1]["accuracy"] == record["accuracy"]
    assert np.mean(list(record["per_class_accuracy"].values())) == pytest.approx(
        record["accuracy"])  # 20 samples of each class


def test_infogan_digits_runs_end_to_end(tmp_path):
    record = run(infogan_digits, tmp_path, "--batch-size", "32")
    assert 0 < record["held_out_accuracy"] <= 1 and 0 < record["train_accuracy"] <= 1
    assert record["held_out_accuracy"] <= record["held_out_accuracy_own_matching"]
    assert sorted(record["matching"].values()) == list(range(10))
    assert np.sum(record["confusion_held_out"]) == 2000
    assert "mutual_information" in record["curve"][-1]


def test_bigan_probe_runs_end_to_end(tmp_path):
    record = run(bigan_probe, tmp_path, "--latent-dim", "8", "--joint-units", "16",
                 "--train-examples", "512", "--probe-train", "300", "--probe-test", "300",
                 "--probe-iterations", "10")
    assert set(record["test_accuracy"]) == {"bigan_latent", "bigan_pooled", "raw_pixels",
                                            "random_latent", "random_pooled"}
    assert record["test_accuracy"]["raw_pixels"] > 0.5  # 10 classes: chance is 0.1
    accuracy = record["test_accuracy"]
    assert record["bigan_beats_random"] == (max(accuracy["bigan_latent"], accuracy["bigan_pooled"])
                                            > max(accuracy["random_latent"],
                                                  accuracy["random_pooled"]))
