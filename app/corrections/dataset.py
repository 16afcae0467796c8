"""An exported ``corrections.npz`` read back, for ``digits train`` and ``digits evaluate``.

``load_corrections`` checks the file (the arrays it needs, their shapes and the
label range) and returns ``Corrections``: float images in the network's
convention, labels, and the held-out mask that ``app.corrections.export`` wrote.
``training_part`` holds the rows that may be learnt from (outside the held-out
split; "not a digit" rows only for a network with that 11th output), repeated
``weight`` times so that a few hundred corrections count beside sixty thousand
MNIST digits. ``held_out_part`` is what scores a
weights file.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.corrections.table import NOT_A_DIGIT

SIZE = 28
REQUIRED = ("images", "labels", "held_out")


class CorrectionsFileError(ValueError):
    """A corrections file that cannot be used (names the file and the problem)."""


@dataclass(frozen=True)
class Corrections:
    images: np.ndarray  # (n, 28, 28) float32 in [0, 1], ink high
    labels: np.ndarray  # (n,) int64, 0-9 digits, 10 not a digit
    held_out: np.ndarray  # (n,) bool

    def __len__(self) -> int:
        return len(self.labels)

    def part(self, mask: np.ndarray) -> Corrections:
        return Corrections(self.images[mask], self.labels[mask], self.held_out[mask])

    def digits_only(self) -> Corrections:
        return self.part(self.labels < NOT_A_DIGIT)


def load_corrections(path: Path) -> Corrections:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [name for name in REQUIRED if name not in archive.files]
            if missing:
                raise CorrectionsFileError(f"{path}: no {', '.join(missing)} array")
            images, labels, held_out = (archive[name] for name in REQUIRED)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, CorrectionsFileError):
            raise
        raise CorrectionsFileError(f"{path}: not a corrections .npz file ({exc})") from exc
    n = len(labels)
    if images.shape != (n, SIZE, SIZE) or held_out.shape != (n,):
        raise CorrectionsFileError(
            f"{path}: images {images.shape}, labels {labels.shape} and held_out "
            f"{held_out.shape} do not fit together (expected (n, 28, 28), (n,), (n,))"
        )
    if n and (labels.min() < 0 or labels.max() > NOT_A_DIGIT):
        raise CorrectionsFileError(f"{path}: labels must be 0-9 or {NOT_A_DIGIT} (not a digit)")
    return Corrections(
        images.astype(np.float32) / np.float32(255.0),
        labels.astype(np.int64),
        held_out.astype(bool),
    )


def training_part(
    corrections: Corrections, weight: int, not_a_digit: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, as MNIST's) and labels to add to training, each row ``weight`` times;
    "not a digit" rows only for a network with that output (``not_a_digit``)."""
    usable = corrections.part(~corrections.held_out)
    usable = usable if not_a_digit else usable.digits_only()
    images = np.round(usable.images * 255).astype(np.uint8)
    return np.repeat(images, weight, axis=0), np.repeat(usable.labels.astype(np.uint8), weight)


def held_out_part(corrections: Corrections) -> Corrections:
    return corrections.part(corrections.held_out)
