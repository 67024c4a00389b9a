"""The results pages (README.md's "## Results" and benchmarks/results/README.md)
quote their JSONs faithfully, name every JSON, keep README rows short, give
runnable preset commands and hold no machine paths."""

import json
import pathlib
import re

import pytest

from kgen.cli import presets

REPO = pathlib.Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
README = REPO / "README.md"
RESULTS_README = RESULTS / "README.md"
MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:work|home|tmp|root|mnt|Users|var)/")


def results_section():
    text = README.read_text()
    start = text.index("## Results\n")
    return text[start:text.index("\n## ", start + 1)]


def table_rows(text):
    """The cells of every Markdown table row that is not a header or rule."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.fullmatch(r"[|\s:-]+", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return [r for r in rows if r and r[0] not in ("model", "run", "", "epoch")]


def figures_of(name):
    """(test NLL, its standard error, test -ELBO) of a results JSON, either kind."""
    record = json.loads((RESULTS / name).read_text())
    if "metrics" in record:  # benchmarks/run_preset.py
        nll, elbo = record["metrics"]["nll"], record["metrics"]["eval"].get("elbo")
        return nll["nll"], nll["nll_std_error"], None if elbo is None else -elbo
    return (record["test_nll_nats"], record["test_nll_std_error"],
            record["test_negative_elbo_nats"])


def close(text, value):
    """Whether the figure ``text`` is ``value`` rounded to its decimals."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10 ** -decimals + 1e-9


@pytest.mark.parametrize("page", [README, RESULTS_README], ids=lambda p: p.name)
def test_pages_hold_no_machine_paths(page):
    text = page.read_text() if page is RESULTS_README else results_section()
    assert not MACHINE_PATH.findall(text)


def test_readme_results_rows_are_short():
    rows = [line for line in results_section().splitlines() if line.startswith("|")]
    assert rows and max(len(row) for row in rows) <= 300


def test_readme_figures_are_those_of_their_jsons():
    checked = 0
    for cells in table_rows(results_section()):
        match = re.search(r"\[\*\*([\d.]+) ± ([\d.]+)\*\*\]\(benchmarks/results/([\w.-]+)\)",
                          cells[1])
        if match is None:
            continue
        nll, error, _ = figures_of(match.group(3))
        assert close(match.group(1), nll) and close(match.group(2), error), cells[0]
        checked += 1
    assert checked >= 4


def test_results_page_figures_are_those_of_their_jsons():
    checked = 0
    for cells in table_rows(RESULTS_README.read_text()):
        if len(cells) != 6 or not cells[5].strip("`").endswith(".json"):
            continue
        nll, error, negative_elbo = figures_of(cells[5].strip("`"))
        figure = re.search(r"([\d.]+) ± ([\d.]+)", cells[1])
        assert close(figure.group(1), nll) and close(figure.group(2), error), cells[5]
        assert close(cells[2], negative_elbo), cells[5]
        checked += 1
    assert checked == 11


def test_every_json_is_named_and_every_named_json_exists():
    pages = results_section() + RESULTS_README.read_text()
    named = set(re.findall(r"([\w.-]+\.json)\b", pages))
    on_disk = {p.name for p in RESULTS.glob("*.json")}
    assert named - {"metrics.json"} <= on_disk
    assert on_disk <= set(re.findall(r"([\w.-]+\.json)\b", RESULTS_README.read_text()))


def test_kgen_train_commands_name_real_presets_and_models():
    pages = results_section() + RESULTS_README.read_text()
    commands = re.findall(r"kgen train ([a-z][a-z0-9_]*)\s+--preset\s+([a-z][a-z0-9_]*)\b", pages)
    assert len(commands) >= 4
    for model, preset in commands:
        presets.resolve(preset, model=model)  # raises ValueError if either is wrong
