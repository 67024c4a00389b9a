"""`kgen --help` and `kgen list` answer without importing TensorFlow; the CLI quiets it."""

import os
import pathlib
import subprocess
import sys

import kgen.data
import kgen.models
from kgen.cli import catalog

REPO = pathlib.Path(__file__).resolve().parents[2]


def _launch(*argv):
    code = ("import sys; sys.argv = ['kgen', *sys.argv[1:]]; import kgen_main\n"
            "try:\n    kgen_main.main()\nexcept SystemExit:\n    pass\n"
            "print('TF_IMPORTED' if 'tensorflow' in sys.modules else 'TF_NOT_IMPORTED')")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_static_catalog_names_every_model_and_data_set():
    assert list(catalog.MODELS) == kgen.models.available()
    assert list(catalog.DATA_SETS) == kgen.data.available()


def test_help_and_list_do_not_import_tensorflow():
    for argv in (["--help"], ["train", "--help"], ["list"]):
        proc = _launch(*argv)
        assert proc.stdout.strip().endswith("TF_NOT_IMPORTED"), (argv, proc.stderr[-2000:])
    listed = _launch("list").stdout
    for name in catalog.MODELS + catalog.DATA_SETS + ("vae_binarized_mnist",):
        assert f"  {name}" in listed


def test_other_commands_run_with_tensorflow_quieted():
    proc = _launch("export", "--model-path", "no/such/model.keras", "--base-dir", "x",
                   "--name", "m")
    assert "TF_IMPORTED" in proc.stdout
    assert "cuInit" not in proc.stderr and "oneDNN" not in proc.stderr, proc.stderr[-2000:]


def test_the_preprocess_help_and_the_preset_template_name_every_step():
    # Both lists are written by hand; a step added to kgen.data.steps must appear.
    import re

    from kgen.cli import parser, presets
    from kgen.data import steps

    evaluate = parser.build_parser()._subparsers._group_actions[0].choices["evaluate"]
    help_text = next(a.help for a in evaluate._actions if "--preprocess" in a.option_strings)
    template = presets.__doc__
    for name in steps.preprocessing_steps():
        assert re.search(rf"\b{name}\b", help_text), name
        assert re.search(rf"\b{name}\b", template), name
