"""MNIST in its original IDX files: read, check, verify, split.

An IDX file is a big-endian header (two zero bytes, a type code, the number of
dimensions, then each dimension as a uint32) followed by the raw array. The reader
checks the magic number, the dimensions and the length, and says what is wrong
with a truncated or foreign file. Every file's *decompressed* bytes are verified
against the published SHA-256 digests, so any mirror's or any gzip's copy passes.

The data directory comes from ``DIGITS_DATA_DIR``; without it, the first of
``../shared/data/mnist`` (next to a checkout of this project) and
``~/.cache/digits/mnist`` that exists is used (the latter is also where
``digits data download`` puts the files by default).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

#: SHA-256 of each file's decompressed bytes.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

_REPO_ROOT = Path(__file__).resolve().parent.parent


class DataError(Exception):
    """A data file is missing, malformed or fails its checksum."""


def default_data_dir() -> Path:
    env = os.environ.get("DIGITS_DATA_DIR")
    if env:
        return Path(env).expanduser()
    candidates = [_REPO_ROOT.parent / "shared" / "data" / "mnist", user_data_dir()]
    return next((c for c in candidates if c.is_dir()), candidates[-1])


def user_data_dir() -> Path:
    return Path("~/.cache/digits/mnist").expanduser()


def parse_idx(data: bytes, name: str = "IDX data", expected_magic: int | None = None) -> np.ndarray:
    """Parse the bytes of an unsigned-byte IDX file into a ``uint8`` array."""
    if len(data) < 4:
        raise DataError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    magic = struct.unpack(">I", data[:4])[0]
    if zero != 0 or dtype_code != 0x08:
        raise DataError(
            f"{name}: not an unsigned-byte IDX file (magic number {magic}, "
            f"expected {expected_magic or 'an 0x08 type code'})"
        )
    if expected_magic is not None and magic != expected_magic:
        raise DataError(f"{name}: magic number {magic}, expected {expected_magic}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated header ({len(data)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise DataError(
            f"{name}: {what}: {len(data)} bytes, expected {expected} for dimensions {dims}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_file_bytes(path: Path) -> bytes:
    """The decompressed bytes of ``path`` (gzip is recognised by its magic bytes)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: corrupt gzip data ({exc})") from None
    return raw


def verify_sha256(data: bytes, name: str, expected: str) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise DataError(f"{name}: SHA-256 {digest} does not match the published {expected}")


def find_file(data_dir: Path, stem: str) -> Path:
    for candidate in (data_dir / f"{stem}.gz", data_dir / stem):
        if candidate.is_file():
            return candidate
    raise DataError(
        f"{stem}(.gz) not found in {data_dir}; set DIGITS_DATA_DIR or run `digits data download`"
    )


def load_array(data_dir: Path, key: str, verify: bool = True) -> np.ndarray:
    stem = FILES[key]
    path = find_file(data_dir, stem)
    data = read_file_bytes(path)
    if verify:
        verify_sha256(data, str(path), SHA256[stem])
    magic = IMAGES_MAGIC if key.endswith("images") else LABELS_MAGIC
    return parse_idx(data, str(path), magic)


@dataclass
class MNIST:
    """The four arrays: uint8 images ``(n, 28, 28)`` and labels ``(n,)``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def split_validation(
        self, size: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A seeded random ``(train_x, train_y, val_x, val_y)`` split of the training set."""
        order = rng.permutation(len(self.train_labels))
        val, train = order[:size], order[size:]
        return (
            self.train_images[train],
            self.train_labels[train],
            self.train_images[val],
            self.train_labels[val],
        )


def load_mnist(data_dir: Path | None = None, verify: bool = True) -> MNIST:
    data_dir = data_dir or default_data_dir()
    arrays = {key: load_array(data_dir, key, verify) for key in FILES}
    for part in ("train", "test"):
        n_img, n_lab = len(arrays[f"{part}_images"]), len(arrays[f"{part}_labels"])
        if n_img != n_lab:
            raise DataError(f"{part}: {n_img} images but {n_lab} labels")
    return MNIST(**arrays)


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 ``(n, 28, 28)`` -> float32 in [0, 1], ink = 1 (MNIST is already white on black)."""
    return images.astype(np.float32) / np.float32(255.0)
