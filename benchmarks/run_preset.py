"""Reproduces a results row: runs a preset through ``kgen train`` and records it.

A row of the results table comes from a preset of ``kgen/configs/`` run by the
product's own command line, so a user who types the recorded command runs
what was measured. This program is no trainer: it calls ``kgen.cli.main``
(the console script's entry point) in this process with ``kgen train``'s
public flags only (``--output-dir``, ``--epochs``, ``--set``, ``--overwrite``,
``--verbose``), then writes ``benchmarks/results/<preset><tag>.json``:

- ``metrics``: the run's ``metrics.json``, unchanged (history, validation and
  test figures, the resolved config);
- ``command``: the ``kgen train`` command that ran, and ``benchmark_command``,
  this program's command line;
- ``machine`` (CPU model from ``/proc/cpuinfo``, cores, RAM, Python /
  TensorFlow / Keras / TFP versions), ``wall_time_seconds`` of the whole
  ``kgen train`` call (data, training, final evaluation), ``date`` (UTC, at
  the start), ``commit`` (at the start) and ``kgen_modified`` (whether
  ``kgen/`` had uncommitted changes then);
- ``run_dir``: the run directory relative to the working directory, or
  ``None`` if it lies outside it. The JSON holds no machine paths: such a
  directory appears in ``command`` as ``OUTPUT_DIR``.

The run directory defaults to ``runs/<preset><tag>``. Re-running the command
resumes an interrupted run, as ``kgen train`` does; a directory whose
``metrics.json`` the call did not rewrite (a finished run) writes no JSON.

    python benchmarks/run_preset.py vae_binarized_mnist_burda
    python benchmarks/run_preset.py vae_binarized_mnist_burda --tag _short_check \\
        --set train.max_minutes=6 evaluate.num_samples=100
"""

import argparse
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import machine  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
_TAG = re.compile(r"[A-Za-z0-9_.-]*")


def build_parser():
    """The parser of ``run_preset.py``: a preset and ``kgen train``'s public flags."""
    parser = argparse.ArgumentParser(
        description="Run `kgen train MODEL --preset NAME` and write "
                    "benchmarks/results/<preset><tag>.json.")
    parser.add_argument("preset", help="a preset of kgen/configs/, e.g. vae_binarized_mnist")
    parser.add_argument("--model", help="MODEL of `kgen train` (default: the preset's model)")
    parser.add_argument("--tag", default="", help="suffix of the JSON name, e.g. _short_check")
    parser.add_argument("--output-dir", help="run directory (default: runs/<preset><tag>)")
    parser.add_argument("--epochs", type=int, help="kgen train --epochs")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="kgen train --set, e.g. train.max_minutes=6")
    parser.add_argument("--overwrite", action="store_true", help="kgen train --overwrite")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                        help="kgen train --verbose")
    parser.add_argument("--results-dir", help="where the JSON goes (default: benchmarks/results)")
    return parser


def main(argv=None):
    """Runs the preset and writes its result JSON.

    Args:
        argv: list of str arguments; ``None`` reads ``sys.argv[1:]`` and turns
            a ``ValueError`` into an error message and exit status 2.

    Returns:
        The path of the JSON written (a ``pathlib.Path``).

    Raises:
        ValueError: naming the flag, for a bad ``--tag``, for every error of
            ``kgen train`` (unknown preset, bad ``--set``, ...), all raised
            before anything is written, and naming ``--output-dir`` if the
            call did not rewrite its ``metrics.json`` (then no JSON is written).
    """
    console = argv is None
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if console else [str(a) for a in argv])
    try:
        return run(args)
    except ValueError as e:
        if not console:
            raise
        parser.exit(2, f"run_preset: error: {e}\n")


def run(args):
    """Runs ``kgen train`` for parsed ``args`` and writes the JSON; returns its path."""
    if not _TAG.fullmatch(args.tag):
        raise ValueError("`--tag` must hold only letters, digits, `_`, `.` and `-`. "
                         f"Received: --tag={args.tag!r}")
    from kgen.cli import main as kgen_main
    from kgen.cli import presets

    model = args.model or presets.load_preset(args.preset).get("model")
    output_dir = pathlib.Path(args.output_dir or f"runs/{args.preset}{args.tag}")
    shown_dir = portable(output_dir)
    flags = (["--epochs", str(args.epochs)] if args.epochs is not None else []) + (
        ["--set", *args.set] if args.set else []) + (
        ["--overwrite"] if args.overwrite else []) + (
        ["--verbose", str(args.verbose)] if args.verbose != 2 else [])  # 2: kgen's default
    argv = ["train", str(model), "--preset", args.preset, "--output-dir", str(output_dir),
            *flags]
    shown = ["train", str(model), "--preset", args.preset,
             "--output-dir", shown_dir or "OUTPUT_DIR", *flags]
    benchmark = ["python", "benchmarks/run_preset.py", args.preset] + (
        ["--model", args.model] if args.model else []) + (
        ["--tag", args.tag] if args.tag else []) + (
        ["--output-dir", shown_dir or "OUTPUT_DIR"] if args.output_dir else []) + flags

    metrics_file = output_dir / "metrics.json"
    before = metrics_file.read_text() if metrics_file.is_file() else None
    record = {"preset": args.preset, "tag": args.tag,
              "command": shlex.join(["kgen", *shown]),
              "benchmark_command": shlex.join(benchmark),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "commit": _git("rev-parse", "--short", "HEAD"),
              "kgen_modified": _kgen_modified()}
    start = time.time()
    kgen_main(argv)
    record["wall_time_seconds"] = round(time.time() - start, 1)
    after = metrics_file.read_text() if metrics_file.is_file() else None
    if after is None or after == before:
        raise ValueError(
            f"`--output-dir` {shown_dir or 'OUTPUT_DIR'}: `kgen train` wrote no new "
            "metrics.json (a finished run?); pass --overwrite or another --output-dir. "
            f"Received: --output-dir={shown_dir or 'OUTPUT_DIR'}")
    record["machine"] = machine()
    record["run_dir"] = shown_dir
    record["metrics"] = json.loads(after)
    text = json.dumps(record, indent=2) + "\n"
    # Belt and braces: no machine path, should metrics.json ever hold one.
    text = text.replace(_escaped(output_dir.resolve()), shown_dir or "OUTPUT_DIR")
    for root in (pathlib.Path.cwd().resolve(), REPO):
        text = text.replace(_escaped(root) + "/", "")
    out = pathlib.Path(args.results_dir) if args.results_dir else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{args.preset}{args.tag}.json"
    path.write_text(text)
    if args.verbose:
        print(f"run_preset: wrote {portable(path) or path.name}", flush=True)
    return path


def portable(path):
    """``path`` relative to the working directory (as a POSIX string), or
    ``None`` if it lies outside it."""
    path = pathlib.Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(pathlib.Path.cwd().resolve()).as_posix()
    except ValueError:
        return None


def _escaped(path):
    """``path`` as it appears inside a JSON string."""
    return json.dumps(str(path))[1:-1]


def _git(*args):
    try:
        return subprocess.check_output(["git", "-C", str(REPO), *args], text=True,
                                       stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _kgen_modified():
    """Whether ``kgen/`` has uncommitted changes (``None`` outside a git checkout)."""
    status = _git("status", "--porcelain", "--untracked-files=no", "--", "kgen")
    return None if status is None else bool(status)


if __name__ == "__main__":
    main()
