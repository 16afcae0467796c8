"""Real pen trajectories: pendigits (digits, 30 writers) and uji-letters (letters, 11 writers).

Both data sets are JSON lines, gzip-compressed, one handwritten character per
line: ``{"id", "writer", "label" | "char", "strokes": [[[x, y], ...], ...]}``,
each stroke one pen-down movement in drawing order, y growing downward. Like
MNIST (``model/mnist.py``), their folders are settings and the *decompressed*
bytes are verified against a published SHA-256:

- ``DIGITS_PENDIGITS_DIR``, default ``../shared/data/pendigits-train`` next to
  a checkout, else ``~/.cache/digits/pendigits-train``;
- ``DIGITS_UJI_DIR``, default ``../shared/data/uji-letters``, else
  ``~/.cache/digits/uji-letters``.

Writers, never samples, are held out: ``HELDOUT_PENDIGITS_WRITERS`` (10 of the
30) and ``HELDOUT_UJI_WRITERS`` (3 of the 11) are never trained on, so a figure
measured on them says how the model reads people it has not seen.
``DIGIT_LIKE_LETTERS`` are the letters many people write exactly like a digit
(o like 0, l like 1, Z like 2, S like 5, b like 6, g and q like 9): they are
neither taught as "not a digit" nor counted against the model when it reads
them as digits; the not-a-digit benchmark reports them on their own line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.mnist import DataError, read_file_bytes, verify_sha256

FILE = "strokes.jsonl"
#: each data set's setting (an environment variable) and its folder's name
PENDIGITS_SETTING, PENDIGITS_FOLDER = "DIGITS_PENDIGITS_DIR", "pendigits-train"
UJI_SETTING, UJI_FOLDER = "DIGITS_UJI_DIR", "uji-letters"

PENDIGITS_SHA256 = "896c63c6776b11a766ffc3db0c0f6b9b3a38d85388d7667073314d6e099a83d4"
UJI_SHA256 = "a5c0a70451752701a92529c9cbb4379f8bc724f8ad105ea871983f05ce90a04c"

#: pendigits writers kept for measuring only: every third of w01..w30, fixed once
HELDOUT_PENDIGITS_WRITERS = tuple(f"w{i:02d}" for i in range(3, 31, 3))
#: uji-letters writers kept for measuring only
HELDOUT_UJI_WRITERS = ("w03", "w07", "w11")
#: letters written like a digit in many hands: never used as negatives
DIGIT_LIKE_LETTERS = frozenset("oOlIiJzZsSbgqG")

_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StrokeSample:
    """One handwritten character: who wrote it, what it is, and its pen strokes."""

    id: str
    writer: str
    label: str  # "0".."9" for digits, the letter for uji-letters
    strokes: tuple[np.ndarray, ...]  # each (points, 2) float32, x and y, y down


def _default_dir(env: str, name: str) -> Path:
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser()
    candidates = [_REPO_ROOT.parent / "shared" / "data" / name, Path(f"~/.cache/digits/{name}")]
    candidates = [c.expanduser() for c in candidates]
    return next((c for c in candidates if c.is_dir()), candidates[-1])


def default_pendigits_dir() -> Path:
    return _default_dir(PENDIGITS_SETTING, PENDIGITS_FOLDER)


def default_uji_dir() -> Path:
    return _default_dir(UJI_SETTING, UJI_FOLDER)


def stroke_file(folder: Path) -> Path | None:
    """The data set's file in ``folder``, gzip-compressed or not; None if neither is there."""
    return next((p for p in (folder / f"{FILE}.gz", folder / FILE) if p.is_file()), None)


def parse_lines(data: bytes, name: str, label_key: str) -> list[StrokeSample]:
    """Parse JSON lines into samples; a malformed line is a ``DataError`` naming it."""
    out = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            strokes = tuple(np.asarray(s, np.float32).reshape(-1, 2) for s in row["strokes"])
            if not strokes or any(len(s) == 0 for s in strokes):
                raise ValueError("empty stroke")
            out.append(
                StrokeSample(str(row["id"]), str(row["writer"]), str(row[label_key]), strokes)
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{name}, line {number}: not a stroke record ({exc})") from None
    return out


def _load(folder: Path, sha256: str, label_key: str, verify: bool) -> list[StrokeSample]:
    path = stroke_file(folder)
    if path is None:
        raise DataError(
            f"{FILE}(.gz) not found in {folder}; set the folder or run `digits data download`"
        )
    data = read_file_bytes(path)
    if verify:
        verify_sha256(data, str(path), sha256)
    return parse_lines(data, str(path), label_key)


def load_pendigits(folder: Path | None = None, verify: bool = True) -> list[StrokeSample]:
    return _load(folder or default_pendigits_dir(), PENDIGITS_SHA256, "label", verify)


def load_uji_letters(folder: Path | None = None, verify: bool = True) -> list[StrokeSample]:
    return _load(folder or default_uji_dir(), UJI_SHA256, "char", verify)


def split_writers(
    samples: Sequence[StrokeSample], heldout: Sequence[str]
) -> tuple[list[StrokeSample], list[StrokeSample]]:
    """``(training writers' samples, held-out writers' samples)``."""
    held = set(heldout)
    return [s for s in samples if s.writer not in held], [s for s in samples if s.writer in held]


def negative_letters(samples: Sequence[StrokeSample]) -> list[StrokeSample]:
    """The letters that are never written like a digit."""
    return [s for s in samples if s.label not in DIGIT_LIKE_LETTERS]
