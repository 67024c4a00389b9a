"""The ``kgen`` command line: ``kgen train | sample | evaluate | export | list``.

Examples::

    kgen list
    kgen train vae --preset vae_binarized_mnist --output-dir runs/vae
    kgen train vae --preset vae_digits --epochs 1 --set train.learning_rate=3.0e-3
    kgen sample --model-path runs/vae --num-samples 64 --output samples.png
    kgen evaluate --model-path runs/vae --split test --num-samples 5000
    kgen export --model-path runs/vae --base-dir savedmodels --name vae --version 1

Killing ``kgen train`` and re-running the same command resumes from the last
finished epoch (``keras.callbacks.BackupAndRestore`` in ``<output-dir>/backup``).

Errors: malformed flags are argparse errors (usage message, exit status 2).
Semantic errors (an unknown preset, ``--epochs 0``, a bad ``--set``...) are
``ValueError``s that name the flag or preset key, raised before anything is
written. ``main(argv)`` called from Python with an argument list lets them
propagate; the console script (``main()`` with ``argv=None``, also
``python -m kgen.cli``) prints ``kgen: error: <message>`` and exits with
status 2, as argparse does.
"""

import sys

from kgen.cli.parser import build_parser


def main(argv=None):
    """Runs the ``kgen`` command.

    Args:
        argv: list of str arguments (without the program name); ``None``
            reads ``sys.argv[1:]`` and turns ``ValueError`` into an error
            message and exit status 2.

    Returns:
        0 on success.

    Raises:
        ValueError: on a semantic error, when ``argv`` is given.
        SystemExit: on malformed flags (status 2), and for ``argv=None`` on
            a ``ValueError`` (status 2).
    """
    console = argv is None
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if console else list(argv))
    try:
        _dispatch(args)
    except ValueError as e:
        if not console:
            raise
        parser.exit(2, f"kgen: error: {e}\n")
    return 0


def _dispatch(args):
    if args.command == "train":
        from kgen.cli import train

        return train.run(args)
    from kgen.cli import commands

    return {"list": commands.run_list, "sample": commands.run_sample,
            "evaluate": commands.run_evaluate, "export": commands.run_export}[args.command](args)


__all__ = ["main", "build_parser"]
