"""The speed benchmarks' shared timing (``benchmarks.common``): the round-robin order,
the rates and ratios written to their JSON results, and the lines they print."""

from benchmarks import common


def test_round_robin_warms_up_then_starts_one_later_each_round(capsys):
    calls = []
    fns = {name: (lambda arg, name=name: calls.append((name, arg))) for name in "abc"}
    seconds = common.round_robin(fns, 7, rounds=2)
    assert [name for name, _ in calls] == list("abc" + "abc" + "bca")
    assert all(arg == 7 for _, arg in calls)
    assert list(seconds) == list("abc") and all(len(s) == 2 for s in seconds.values())
    assert capsys.readouterr().out.splitlines()[1].startswith("round 2: a ")


def test_round_robin_without_warm_up_or_printing(capsys):
    calls = []
    common.round_robin({"a": calls.append}, None, rounds=3, warm_up=False, print_rounds=False)
    assert len(calls) == 3 and capsys.readouterr().out == ""


def test_rates_are_count_over_median_and_best():
    runs = common.rates({"a": [4.0, 1.0, 2.0]}, 10, flops=1e9)
    assert runs == {"a": {"examples_per_second": 5.0, "best_examples_per_second": 10.0,
                          "gflops": 5.0, "epoch_seconds": [4.0, 1.0, 2.0]}}
    assert list(runs["a"]) == ["examples_per_second", "best_examples_per_second", "gflops",
                               "epoch_seconds"]
    images = common.rates({"s": [0.5]}, 3, "images", times_key="seconds")
    assert images == {"s": {"images_per_second": 6.0, "best_images_per_second": 6.0,
                            "seconds": [0.5]}}


def test_add_ratios_divides_by_the_reference_run_and_prints_a_line(capsys):
    runs = {"plain": {"examples_per_second": 4.0, "best_examples_per_second": 8.0},
            "fit": {"examples_per_second": 3.0, "best_examples_per_second": 2.0}}
    common.add_ratios(runs, lambda name: "plain", "plain", line="{name} {rate} {best} x{ratio}")
    assert runs["fit"]["ratio_to_plain"] == 0.75 and runs["fit"]["best_ratio_to_plain"] == 0.25
    assert runs["plain"]["ratio_to_plain"] == 1.0
    assert capsys.readouterr().out.splitlines() == ["plain 4.0 8.0 x1.0", "fit 3.0 2.0 x0.75"]
    assert [common.same_jit_plain(n) for n in ("kgen_fit_xla_spe10", "kgen_fit")] == [
        "plain_xla", "plain"]


def test_results_are_written_as_standard_json():
    import json

    record = {"kl": float("inf"), "runs": [1.5, float("nan"), {"x": -float("inf")}], "n": 3}
    assert common.finite_or_null(record) == {"kl": None, "runs": [1.5, None, {"x": None}],
                                             "n": 3}
    json.dumps(common.finite_or_null(record), allow_nan=False)  # raises on Infinity / NaN
