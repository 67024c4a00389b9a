"""``benchmarks/results/sample_quality_reference.json`` (written by
``benchmarks/sample_quality_reference.py``) is coherent, and its section of
``benchmarks/results/README.md`` quotes it: reads files only, no network run."""

import json
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
RECORD = json.loads((RESULTS / "sample_quality_reference.json").read_text())


def test_each_floor_lies_below_its_ceiling():
    fashion, digits = (RECORD["reference"][k] for k in ("fashion_mnist_features",
                                                         "mnist_features"))
    floor, ceiling = fashion["floor_train_10k_vs_test"], fashion["ceiling_mnist_vs_fashion_test"]
    assert floor["fid_10k"] < ceiling["fid_10k"] / 10
    assert floor["kid_10k"] < ceiling["kid_10k"] / 10
    assert min(floor["precision_10k"], floor["recall_10k"]) > max(
        ceiling["precision_10k"], ceiling["recall_10k"])
    halves = digits["floor_random_halves_5k"]
    assert halves["fid_5k"] < digits["ceiling_fashion_test_vs_mnist"]["fid_10k"] / 10


def test_kgen_and_plain_fid_agree_and_the_command_reproduces_it():
    speed = RECORD["speed"]["fid_10k_fashion_mnist_classifier"]
    assert speed["relative_difference"] < 1e-3
    assert abs(speed["kgen_fid_10k"] - RECORD["reference"]["fashion_mnist_features"][
        "floor_train_10k_vs_test"]["fid_10k"]) < 1e-3 * speed["kgen_fid_10k"]
    assert RECORD["command"] == "python benchmarks/sample_quality_reference.py"


def test_results_page_quotes_the_figures():
    text = (RESULTS / "README.md").read_text()
    section = text[text.index("## Sample-quality reference figures"):]
    floor = RECORD["reference"]["fashion_mnist_features"]["floor_train_10k_vs_test"]
    speed = RECORD["speed"]["fid_10k_fashion_mnist_classifier"]
    for value, decimals in ((floor["fid_10k"], 2), (speed["kgen_seconds_median"], 1),
                            (speed["plain_seconds_median"], 1)):
        assert f"{value:.{decimals}f}" in section, value
    assert re.search(r"sample_quality_reference\.json", section)
