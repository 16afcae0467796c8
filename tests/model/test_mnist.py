"""MNIST files: the real ones load and verify; damaged ones are refused with reasons."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from model.mnist import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MNIST,
    SHA256,
    DataError,
    load_array,
    parse_idx,
    read_file_bytes,
    verify_sha256,
)


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def test_real_mnist_loads_and_verifies(mnist: MNIST) -> None:
    assert mnist.train_images.shape == (60000, 28, 28)
    assert mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_labels.shape == (60000,) and mnist.test_labels.max() == 9
    assert np.bincount(mnist.test_labels).min() > 800  # every digit is there


def test_checksums_match_the_shared_sums_file(data_dir: Path) -> None:
    sums = dict(
        reversed(line.split()) for line in (data_dir / "SHA256SUMS").read_text().splitlines()
    )
    assert sums == SHA256


def test_idx_round_trip() -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.testing.assert_array_equal(parse_idx(idx_bytes(images, IMAGES_MAGIC)), images)


def test_truncated_file_is_refused() -> None:
    data = idx_bytes(np.zeros((3, 28, 28), np.uint8), IMAGES_MAGIC)
    with pytest.raises(DataError, match="truncated"):
        parse_idx(data[:-10], "t.idx", IMAGES_MAGIC)
    with pytest.raises(DataError, match="too short"):
        parse_idx(data[:3], "t.idx")
    with pytest.raises(DataError, match="truncated header"):
        parse_idx(data[:9], "t.idx")


def test_trailing_bytes_are_refused() -> None:
    data = idx_bytes(np.zeros(5, np.uint8), LABELS_MAGIC)
    with pytest.raises(DataError, match="trailing bytes"):
        parse_idx(data + b"\0", "l.idx", LABELS_MAGIC)


def test_wrong_magic_is_refused() -> None:
    labels = idx_bytes(np.zeros(5, np.uint8), LABELS_MAGIC)
    with pytest.raises(DataError, match="magic number 2049, expected 2051"):
        parse_idx(labels, "l.idx", IMAGES_MAGIC)
    with pytest.raises(DataError, match="not an unsigned-byte IDX file"):
        parse_idx(b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "x.png", IMAGES_MAGIC)


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    fake = idx_bytes(np.zeros(10000, np.uint8), LABELS_MAGIC)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(fake))
    with pytest.raises(DataError, match="does not match the published"):
        load_array(tmp_path, "test_labels")
    with pytest.raises(DataError, match="does not match"):
        verify_sha256(b"abc", "x", SHA256["t10k-labels-idx1-ubyte"])


def test_corrupt_gzip_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(DataError, match="corrupt gzip"):
        read_file_bytes(bad)
    with pytest.raises(DataError, match="not found"):
        load_array(tmp_path, "train_images")
