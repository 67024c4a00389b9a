"""The ``kgen`` console script.

It quiets TensorFlow's C++ start-up lines unless the user set ``TF_CPP_MIN_LOG_LEVEL``:
TensorFlow 2.21 writes them (oneDNN, "Could not find cuda drivers", and at its first op
``E0000 ... failed call to cuInit``, which reads like a failure) before its own log level
applies, so the script sets the level to 2 and sends file descriptor 2 to the null
device while it imports TensorFlow and lists the GPUs (the call that runs cuInit; it
fixes no device configuration, so ``kgen.distribute.split_cpu`` still works). A
failed import restores standard error before the traceback prints. It also answers ``kgen --help``, ``kgen
COMMAND --help`` and ``kgen list`` without importing it: importing the ``kgen``
package loads TensorFlow (it registers every model class for ``.keras`` files), so
those answers load ``kgen/cli/parser.py`` and ``kgen/cli/catalog.py`` by file path.
Everything else runs ``kgen.cli.main``.
"""

import importlib.util
import os
import pathlib
import sys


def _load(name):
    """A module of ``kgen/cli`` by file path, without importing the ``kgen`` package."""
    spec = importlib.util.find_spec("kgen")  # finds the package without running it
    path = pathlib.Path(spec.submodule_search_locations[0]) / "cli" / f"{name}.py"
    module_spec = importlib.util.spec_from_file_location(f"_kgen_cli_{name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _import_tensorflow_quietly():
    """Imports TensorFlow (and runs cuInit) with standard error silenced."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def main():
    quiet = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = sys.argv[1:]
    if argv[:1] == ["list"] or any(a in ("-h", "--help") for a in argv) or not argv:
        args = _load("parser").build_parser().parse_args(argv)  # exits on --help
        if args.command == "list":
            print("\n".join(_load("catalog").lines()))
            return 0
    if quiet:
        _import_tensorflow_quietly()
    from kgen.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
