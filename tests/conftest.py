"""Shared fixtures: the MNIST location, loaded data, and the shipped weights."""

from __future__ import annotations

from pathlib import Path

import pytest

import app  # noqa: F401  (first: one BLAS thread per process, as the service runs)
from model.mnist import MNIST, default_data_dir, load_mnist

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO / "weights"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    folder = default_data_dir()
    if not folder.is_dir():
        pytest.fail(
            f"MNIST not found at {folder}: set DIGITS_DATA_DIR (CI uses ../shared/data/mnist)"
        )
    return folder


@pytest.fixture(scope="session")
def mnist(data_dir: Path) -> MNIST:
    return load_mnist(data_dir)
