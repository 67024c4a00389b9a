"""The argument parser of the ``kgen`` command."""

import argparse


def build_parser():
    """Returns the ``argparse`` parser of ``kgen`` with its five subcommands."""
    parser = argparse.ArgumentParser(
        prog="kgen",
        description="Train, sample, evaluate and export kgen's deep generative models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser("list", help="list models, presets and data sets")

    train = sub.add_parser("train", help="train a model from a preset (resumable)")
    train.add_argument("model", metavar="MODEL", help="a registered model name, e.g. vae")
    train.add_argument("--preset", required=True, help="a preset of kgen/configs/, e.g. vae_digits")
    train.add_argument("--output-dir", help="run directory (default: runs/<preset>)")
    train.add_argument("--epochs", type=int, help="override train.epochs")
    train.add_argument("--batch-size", type=int, help="override data.batch_size")
    train.add_argument("--seed", type=int, help="override the preset's seed")
    train.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                       help="override any preset key, e.g. --set train.learning_rate=3.0e-4 "
                            "model_args.latent_dim=20 (values are YAML)")
    train.add_argument("--no-eval", action="store_true", help="skip the test NLL")
    train.add_argument("--overwrite", action="store_true",
                       help="retrain even if --output-dir holds a finished or interrupted run")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                       help="Keras fit verbosity: 0 silent, 1 progress bar, 2 a line per epoch")

    sample = sub.add_parser("sample", help="draw samples into a PNG grid")
    sample.add_argument("--model-path", required=True, help="a .keras file or a run directory")
    sample.add_argument("--num-samples", type=int, default=64)
    sample.add_argument("--output", required=True, help="the image file, e.g. samples.png")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--mean", action="store_true",
                        help="show the likelihood mean (e.g. pixel probabilities) instead of a sample")
    sample.add_argument("--labels", help="a class-conditional model's label(s): one int, or "
                        "--num-samples comma-separated ints (default: one class a row)")
    sample.add_argument("--sampler", choices=("auto", "naive", "cached"), default="auto",
                        help="auto: the exact cached sampler where the model has one "
                             "(PixelCNN, Gated PixelCNN), else model.sample")

    evaluate = sub.add_parser("evaluate", help="importance-sampled test NLL (kgen.metrics.nll)")
    evaluate.add_argument("--model-path", required=True, help="a .keras file or a run directory")
    evaluate.add_argument("--data", help="a data set name (default: the run's config.yaml)")
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--num-samples", type=int, default=None,
                          help="importance samples per example (k, default 5000); for an "
                               "implicit model, samples behind each sample metric (default: "
                               "the run's evaluate.sample_metrics.num_samples, 10000)")
    evaluate.add_argument("--batch-size", type=int, default=100)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--preprocess", help="a preprocessing step (dynamic_binarize, "
                          "dequantize, logit, scale, levels, flatten), a YAML list of "
                          "them, or none "
                          "(default: the run's data.preprocess)")
    evaluate.add_argument("--output", help="also write the JSON to this file")
    evaluate.add_argument("--verbose", type=int, choices=(0, 1), default=1,
                          help="1 shows a progress bar on standard error, 0 is silent")

    export = sub.add_parser("export", help="write a TF Serving SavedModel (kgen.export)")
    export.add_argument("--model-path", required=True, help="a .keras file or a run directory")
    export.add_argument("--base-dir", required=True, help="the directory of all served models")
    export.add_argument("--name", required=True, help="the served model's name")
    export.add_argument("--version", type=int, default=None,
                        help="the version directory (default: the next free one, 1 if none)")
    export.add_argument("--overwrite", action="store_true", help="replace an existing version")
    return parser
