"""Closing the loop: learn from the corrections people sent, and score on them.

``digits train --extra-data corrections.npz --extra-weight 10`` adds the
exported corrections (``digits feedback export``) to the training split: the
rows outside the held-out split whose label is a digit, each repeated
``--extra-weight`` times so that a few hundred real drawings count beside
55,000 MNIST digits. They are shuffled in by the run's one seeded generator, so
the same seed and the same file give the same weights; the weights file's record
names the file, its SHA-256, the rows used and the weight.

``digits evaluate WEIGHTS --data corrections.npz`` scores a weights file on the
held-out corrections: the real-world test set that grows with use, which no
``--extra-data`` run has learnt from (``--all`` scores every digit row instead,
for a file trained before the corrections existed). Rows labelled "not a digit"
are counted but not scored: the networks have ten outputs, all digits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from app.corrections.dataset import (
    CorrectionsFileError,
    held_out_part,
    load_corrections,
    training_part,
)
from app.corrections.table import NOT_A_DIGIT

DEFAULT_EXTRA_WEIGHT = 10
MAX_EXTRA_WEIGHT = 1000


def add_train_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--extra-data",
        type=Path,
        metavar="NPZ",
        help="also learn from exported corrections (digits feedback export)",
    )
    parser.add_argument(
        "--extra-weight",
        type=int,
        default=DEFAULT_EXTRA_WEIGHT,
        help=f"times each correction is repeated in an epoch (default {DEFAULT_EXTRA_WEIGHT})",
    )


def add_evaluate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="NPZ",
        help="score on exported corrections (their held-out split) instead of MNIST's test set",
    )
    parser.add_argument(
        "--all", action="store_true", help="with --data: score every row, not only the held-out"
    )


def extra_training_data(
    args: argparse.Namespace,
) -> tuple[tuple[np.ndarray, np.ndarray] | None, dict[str, Any]]:
    """The rows to add to training and their record; ``CorrectionsFileError`` if unusable."""
    if args.extra_data is None:
        return None, {}
    if not 1 <= args.extra_weight <= MAX_EXTRA_WEIGHT:
        raise CorrectionsFileError(f"--extra-weight must be from 1 to {MAX_EXTRA_WEIGHT}")
    images, labels = training_part(load_corrections(args.extra_data), args.extra_weight)
    if len(labels) == 0:
        raise CorrectionsFileError(
            f"{args.extra_data}: no corrections outside the held-out split to learn from"
        )
    record = {
        "extra_data": {
            "file": args.extra_data.name,
            "sha256": hashlib.sha256(args.extra_data.read_bytes()).hexdigest(),
            "corrections": len(labels) // args.extra_weight,
            "weight": args.extra_weight,
        }
    }
    return (images, labels), record


def evaluate_on_corrections(args: argparse.Namespace) -> int:
    from model.evaluation import evaluate
    from model.weights import WeightsError, load

    try:
        network, _doc = load(args.weights)
        loaded = load_corrections(args.data)
    except (WeightsError, CorrectionsFileError) as exc:
        print(f"digits evaluate: {exc}", file=sys.stderr)
        return 1
    chosen = loaded if args.all else held_out_part(loaded)
    digits = chosen.digits_only()
    split = "all" if args.all else "held-out"
    if len(digits) == 0:
        print(
            f"digits evaluate: {args.data} has no {split} digit corrections to score "
            f"({len(loaded)} rows; --all scores every row)",
            file=sys.stderr,
        )
        return 1
    result = evaluate(network, digits.images, digits.labels)
    not_digits = int((chosen.labels == NOT_A_DIGIT).sum())
    if args.json:
        summary = {"weights": str(args.weights), "data": str(args.data), "split": split}
        print(json.dumps({**summary, "not_a_digit": not_digits, **result.to_dict()}))
        return 0
    print(
        f"{args.weights}: accuracy {result.accuracy:.4f} on {result.count} {split} corrections "
        f"of {args.data} ({not_digits} 'not a digit' rows not scored)"
    )
    print("per class: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(result.per_class)))
    return 0
