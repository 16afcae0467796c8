"""Corrections as files: NumPy NPZ, MNIST's IDX pair, or a folder of PNGs with a CSV.

Every format carries the 28x28 image the network saw (white ink on black, as
MNIST) and the label the person gave (``0``-``9``, ``10`` for not a digit).
The NPZ and the CSV also carry what the model answered, its confidence, which
model and weights file answered, the input kind, the time, and whether the row
belongs to the **held-out split**.

The held-out split keeps evaluation honest: a correction used to train the next
weights file must not also score it. Which side a correction falls on is decided
by a hash of its id alone (``is_held_out``), so it never changes between
exports, does not depend on the order or the filter of an export, and needs no
column in the database. ``digits train --extra-data`` learns from the other
rows; ``digits evaluate --data`` reports on the held-out ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import struct
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from app.corrections.store import Correction
from app.corrections.table import label_name

SIZE = 28
#: Share of corrections (in percent) kept out of training for evaluation.
HELD_OUT_PERCENT = 20
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (MNIST's images)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (MNIST's labels)
IDX_IMAGES = "corrections-images-idx3-ubyte"
IDX_LABELS = "corrections-labels-idx1-ubyte"
CSV_NAME = "corrections.csv"
CSV_COLUMNS = [
    "id",
    "file",
    "original",
    "label",
    "predicted",
    "confidence",
    "model",
    "weights_sha256",
    "kind",
    "created_at",
    "held_out",
]
FORMATS = ("npz", "idx", "png")


def is_held_out(correction_id: int) -> bool:
    """Whether a correction belongs to the evaluation split (a fixed function of its id)."""
    digest = hashlib.sha256(f"correction:{correction_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HELD_OUT_PERCENT


def input_pixels(png: bytes) -> np.ndarray:
    """The stored 28x28 PNG as ``uint8`` (ink high)."""
    with Image.open(io.BytesIO(png)) as image:
        pixels = np.asarray(image.convert("L"), dtype=np.uint8)
    if pixels.shape != (SIZE, SIZE):
        raise ValueError(f"a stored network input is {pixels.shape}, not 28x28")
    return pixels


def write_npz(path: Path, rows: Iterable[Correction]) -> int:
    """One ``.npz`` with ``images``, ``labels``, ``held_out`` and the record of each row."""
    rows = list(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = np.zeros((len(rows), SIZE, SIZE), np.uint8)
    for index, row in enumerate(rows):
        images[index] = input_pixels(row.network_input)
    with open(path, "wb") as handle:
        np.savez_compressed(
            handle,
            images=images,
            labels=np.array([r.label for r in rows], np.uint8),
            predicted=np.array([r.predicted for r in rows], np.uint8),
            confidence=np.array([r.confidence for r in rows], np.float32),
            ids=np.array([r.id for r in rows], np.int64),
            held_out=np.array([is_held_out(r.id) for r in rows], bool),
            model=np.array([r.model_name for r in rows], dtype=str),
            weights_sha256=np.array([r.weights_sha256 for r in rows], dtype=str),
            kind=np.array([r.kind for r in rows], dtype=str),
            created_at=np.array([_iso(r) for r in rows], dtype=str),
        )
    return len(rows)


def write_idx(folder: Path, rows: Iterable[Correction]) -> int:
    """MNIST's two files (images and labels), readable by any MNIST loader."""
    rows = list(rows)
    folder.mkdir(parents=True, exist_ok=True)
    images = b"".join(input_pixels(r.network_input).tobytes() for r in rows)
    labels = bytes(r.label for r in rows)
    header = struct.pack(">IIII", IMAGES_MAGIC, len(rows), SIZE, SIZE)
    (folder / IDX_IMAGES).write_bytes(header + images)
    (folder / IDX_LABELS).write_bytes(struct.pack(">II", LABELS_MAGIC, len(rows)) + labels)
    return len(rows)


def write_pngs(folder: Path, rows: Iterable[Correction]) -> int:
    """``<id>.png`` (what the network saw), ``<id>-original.<ext>`` and ``corrections.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(folder / CSV_NAME, "w", newline="", encoding="utf-8") as handle:
        table = csv.writer(handle)
        table.writerow(CSV_COLUMNS)
        for row in rows:
            name = f"{row.id}.png"
            (folder / name).write_bytes(row.network_input)
            original = ""
            if row.original is not None:
                original = f"{row.id}-original.{_extension(row.original)}"
                (folder / original).write_bytes(row.original)
            table.writerow(
                [
                    row.id,
                    name,
                    original,
                    label_name(row.label),
                    label_name(row.predicted),
                    f"{row.confidence:.6f}",
                    row.model_name,
                    row.weights_sha256,
                    row.kind,
                    _iso(row),
                    int(is_held_out(row.id)),
                ]
            )
            count += 1
    return count


def _iso(row: Correction) -> str:
    return row.created_at.isoformat(timespec="seconds") if row.created_at else ""


def _extension(data: bytes) -> str:
    """The file type of an original upload, from its first bytes (``bin`` if unknown)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return (image.format or "bin").lower().replace("jpeg", "jpg")
    except (OSError, ValueError, Image.DecompressionBombError):
        return "bin"
