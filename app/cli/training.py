"""``digits train`` and ``digits evaluate``: the model's life cycle from the shell.

``train`` starts from a named preset (``--preset``; the shipped files are
``mlp`` and ``cnn``), lets any hyperparameter be overridden by an option, shows
a progress bar per epoch, and saves the weights file with the full training
record: hyperparameters, seed, data checksums, per-epoch history, validation and
test accuracy, calibration, date and code version. Ctrl-C stops training and
still saves the best weights so far.

``evaluate`` measures a weights file on the MNIST test set, prints a table or
JSON, and with ``--report DIR`` draws the plots.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from app.cli import corrections
from app.corrections.dataset import CorrectionsFileError
from app.version import package_version
from model.architectures import PRESETS, TrainConfig
from model.mnist import SHA256, DataError, default_data_dir, load_mnist, to_float
from model.weights import WeightsError

_OVERRIDES: list[tuple[str, type, str]] = [
    ("arch", str, "mlp or cnn"),
    ("activation", str, "hidden activation: relu or sigmoid"),
    ("init", str, "he_normal, glorot_uniform, scaled_normal or standard_normal"),
    ("loss", str, "softmax_cross_entropy, sigmoid_cross_entropy or quadratic"),
    ("dropout", float, "dropout rate after each hidden layer"),
    ("conv", str, "training's convolution products: winograd (fewer) or direct (im2col)"),
    ("optimizer", str, "sgd, nesterov or adam"),
    ("lr", float, "base learning rate"),
    ("momentum", float, "momentum for sgd/nesterov"),
    ("weight_decay", float, "L2 weight decay (weights only, never biases)"),
    ("schedule", str, "constant, step or cosine"),
    ("warmup", float, "epochs of linear learning-rate warm-up"),
    ("epochs", int, "number of epochs"),
    ("batch_size", int, "minibatch size"),
    ("seed", int, "seed of the one random generator"),
    ("val_size", int, "validation images held out of the training set"),
    ("clean_fraction", float, "share of each batch left un-augmented (with --augment)"),
    ("pen_redraw", float, "share of digits redrawn with a uniform pen (drawing-app strokes)"),
    ("train_subset", int, "train on only the first N training images (0: all)"),
    ("teacher", str, "distil from this weights file (e.g. weights/cnn.json)"),
    ("init_from", str, "start from this weights file's parameters (fine-tuning)"),
    ("real_writers", float, "share of each batch: pendigits training writers, rendered"),
    ("not_digit", float, "share of each batch: non-digits (adds a not-a-digit output)"),
    ("slashed_zeros", float, "share of zeros given a slash (with --styles)"),
    ("long_flags", float, "share of flagged ones given a long, shallow flag (with --styles)"),
    ("doodles", float, "share of generated non-digits drawn as random doodles"),
    ("turned_digits", float, "share of non-digits that are real digits mirrored or turned"),
    ("letter_shapes", float, "share of non-digits that are letters drawn from templates"),
    ("digit_pairs", float, "share of non-digits that are two real digits side by side"),
    ("new_hands", float, "share of real writers' digits and letters redrawn in another hand"),
    ("distill_weight", float, "share of the teacher's soft loss (the rest: the labels)"),
    ("distill_temperature", float, "softmax temperature of the teacher's soft targets"),
]


def register(subparsers: argparse._SubParsersAction) -> None:
    add_train_parser(subparsers)
    add_evaluate_parser(subparsers)


def add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a network on MNIST and save its weights file")
    p.add_argument("--preset", choices=sorted(PRESETS), default="mlp", help="starting recipe")
    p.add_argument("--out", type=Path, help="weights file to write (default weights/PRESET.json)")
    p.add_argument("--data-dir", type=Path, help="MNIST folder (default: DIGITS_DATA_DIR)")
    p.add_argument("--hidden", type=int, nargs="+", help="hidden layer sizes, e.g. 800")
    p.add_argument("--conv-filters", type=int, nargs="+", help="filters per conv block (cnn)")
    p.add_argument("--conv-kernels", type=int, nargs="+", help="kernel size per conv block (cnn)")
    for name, kind, text in _OVERRIDES:
        p.add_argument("--" + name.replace("_", "-"), type=kind, help=text)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, help="augment on the fly")
    p.add_argument(
        "--styles",
        action=argparse.BooleanOptionalAction,
        help="add flagged ones and crossed sevens to the training batches",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars, one line per epoch")
    corrections.add_train_options(p)
    p.set_defaults(handler=run_train)


def add_evaluate_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="measure a weights file on the MNIST test set")
    p.add_argument("weights", type=Path, help="weights file, e.g. weights/mlp.json")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", type=Path, metavar="DIR", help="write PNG plots into DIR")
    p.add_argument("--data-dir", type=Path, help="MNIST folder (default: DIGITS_DATA_DIR)")
    corrections.add_evaluate_options(p)
    p.set_defaults(handler=run_evaluate)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    config = PRESETS[args.preset]
    changes: dict[str, Any] = {
        name: getattr(args, name) for name, _, _ in _OVERRIDES if getattr(args, name) is not None
    }
    if args.hidden is not None:
        changes["hidden"] = args.hidden
    if args.conv_filters is not None:
        changes["conv_filters"] = args.conv_filters
    if args.conv_kernels is not None:
        changes["conv_kernels"] = args.conv_kernels
    if args.augment is not None:
        changes["augment"] = args.augment
    if args.styles is not None:
        changes["styles"] = args.styles
    return replace(config, **changes)


def run_train(args: argparse.Namespace) -> int:
    from model.training import train, training_record
    from model.weights import save

    config = config_from_args(args)
    out = args.out or Path("weights") / f"{args.preset}.json"
    try:
        data = load_mnist(args.data_dir or default_data_dir())
        extra_data, extra_record = corrections.extra_training_data(args, config.not_digit > 0)
    except (DataError, CorrectionsFileError) as exc:
        print(f"digits train: {exc}", file=sys.stderr)
        return 1
    print(f"training {describe(config)}", file=sys.stderr)
    try:
        result = train(config, data, make_progress(args.quiet), extra=extra_data)
    except (WeightsError, ValueError) as exc:  # the teacher: its file, its outputs
        print(f"digits train: {exc}", file=sys.stderr)
        return 1
    extra = finish_record(result, data) | extra_record
    save(result.network, out, training_record(config, result, extra))
    summary = {k: extra[k] for k in ("test_accuracy", "temperature")}
    state = "interrupted, best weights so far" if result.interrupted else "done"
    print(f"{state}: saved {out} {json.dumps(summary)}", file=sys.stderr)
    return 130 if result.interrupted else 0


def describe(config: TrainConfig) -> str:
    shape = "-".join(str(h) for h in [784, *config.hidden, 10])
    if config.arch == "cnn":
        shape = f"conv{config.conv_filters} + dense {config.hidden}"
    return (
        f"{config.arch} {shape} ({config.activation}, {config.loss}), {config.optimizer} "
        f"lr {config.lr}, batch {config.batch_size}, {config.epochs} epochs, seed {config.seed}"
        + (", augmented" if config.augment else "")
    )


def finish_record(result: Any, data: Any) -> dict[str, Any]:
    """Calibrate, measure the test set once (``model.finishing``), and say where the
    data and the code came from."""
    from model.finishing import finish

    return finish(result, to_float(data.test_images), data.test_labels) | {
        "data_sha256": dict(SHA256),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code_version": package_version(),
        "numpy_version": np.__version__,
    }


def make_progress(quiet: bool) -> Any:
    from app.cli.progress import BarProgress, LineProgress

    return LineProgress() if quiet else BarProgress()


def run_evaluate(args: argparse.Namespace) -> int:
    from model.evaluation import evaluate
    from model.weights import load

    if args.data is not None:
        return corrections.evaluate_on_corrections(args)
    try:
        network, doc = load(args.weights)
        data = load_mnist(args.data_dir or default_data_dir())
    except (WeightsError, DataError) as exc:
        print(f"digits evaluate: {exc}", file=sys.stderr)
        return 1
    images = to_float(data.test_images)
    result = evaluate(network, images, data.test_labels)
    if args.report:
        from model.report import write_report

        paths = write_report(args.report, doc, result, data.test_images, data.test_labels)
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    if args.json:
        print(json.dumps({"weights": str(args.weights), **result.to_dict()}))
    else:
        print(format_evaluation(args.weights, result))
    return 0


def format_evaluation(weights: Path, result: Any) -> str:
    lines = [f"{weights}: test accuracy {result.accuracy:.4f} on {result.count} images"]
    lines.append(f"expected calibration error {result.ece:.4f}")
    lines.append("per class: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(result.per_class)))
    lines.append("confusion (rows true, columns predicted):")
    lines.append("      " + "".join(f"{d:>6}" for d in range(10)))
    for digit, row in enumerate(result.confusion):
        lines.append(f"{digit:>6}" + "".join(f"{c:>6}" for c in row))
    return "\n".join(lines)
