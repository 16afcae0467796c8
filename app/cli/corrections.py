"""Closing the loop: learn from the corrections people sent, and score on them.

``digits train --extra-data corrections.npz --extra-weight 10`` adds the
exported corrections (``digits feedback export``) to the training split: the
rows outside the held-out split (those labelled "not a digit" only when the
network has that 11th output, ``--not-digit``), each repeated
``--extra-weight`` times so that a few hundred real drawings count beside
55,000 MNIST digits. They are shuffled in by the run's one seeded generator, so
the same seed and the same file give the same weights; the weights file's record
names the file, its SHA-256, the rows used and the weight.

``digits evaluate WEIGHTS --data corrections.npz`` scores a weights file on the
held-out corrections: the real-world test set that grows with use, which no
``--extra-data`` run has learnt from (``--all`` scores every row instead, for a
file trained before the corrections existed). It judges as the service does: "not
a digit" when that output reaches ``DIGITS_NOT_A_DIGIT_THRESHOLD``, else the
likeliest digit. A network with ten outputs is not scored on the rows labelled
"not a digit" (it cannot say so); they are counted.
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
    Corrections,
    CorrectionsFileError,
    held_out_part,
    load_corrections,
    training_part,
)
from app.corrections.table import NOT_A_DIGIT, label_name
from app.settings import Settings, SettingsError

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
    args: argparse.Namespace, not_a_digit_output: bool = False
) -> tuple[tuple[np.ndarray, np.ndarray] | None, dict[str, Any]]:
    """The rows to add to training and their record; ``CorrectionsFileError`` if unusable.
    "Not a digit" rows are learnt only by a network with that output."""
    if args.extra_data is None:
        return None, {}
    if not 1 <= args.extra_weight <= MAX_EXTRA_WEIGHT:
        raise CorrectionsFileError(f"--extra-weight must be from 1 to {MAX_EXTRA_WEIGHT}")
    loaded = load_corrections(args.extra_data)
    images, labels = training_part(loaded, args.extra_weight, not_a_digit_output)
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
    from model.weights import WeightsError, load

    try:
        network, _doc = load(args.weights)
        loaded = load_corrections(args.data)
        threshold = Settings.from_env().not_a_digit_threshold
    except (WeightsError, CorrectionsFileError, SettingsError) as exc:
        print(f"digits evaluate: {exc}", file=sys.stderr)
        return 1
    chosen = loaded if args.all else held_out_part(loaded)
    says_not_a_digit = network.outputs > NOT_A_DIGIT  # an 11th output: it can be scored on those
    scored = chosen if says_not_a_digit else chosen.digits_only()
    split = "all" if args.all else "held-out"
    if len(scored) == 0:
        print(
            f"digits evaluate: {args.data} has no {split} corrections this network can be "
            f"scored on ({len(loaded)} rows; --all scores every row)",
            file=sys.stderr,
        )
        return 1
    score = corrections_score(network, scored, threshold)
    unscored = len(chosen) - len(scored)
    if args.json:
        summary = {"weights": str(args.weights), "data": str(args.data), "split": split}
        print(json.dumps({**summary, "not_a_digit_unscored": unscored, **score}))
        return 0
    print(
        f"{args.weights}: accuracy {score['accuracy']:.4f} on {score['count']} {split} "
        f"corrections of {args.data} ({unscored} 'not a digit' rows not scored)"
    )
    print("per class: " + "  ".join(f"{k}:{a:.3f}" for k, a in score["per_class"].items()))
    return 0


def corrections_score(network: Any, rows: Corrections, threshold: float) -> dict[str, Any]:
    """Accuracy overall and per label, judged as the service judges: "not a digit" (10)
    when that output reaches ``threshold``, else the likeliest digit."""
    digits, refused = network.read(rows.images)
    predicted = np.where(refused >= threshold, NOT_A_DIGIT, digits.argmax(axis=1))
    right = predicted == rows.labels
    per_class = {
        label_name(int(label)): float(right[rows.labels == label].mean())
        for label in np.unique(rows.labels)
    }
    return {"accuracy": float(right.mean()), "count": len(rows), "per_class": per_class}
