"""Fixtures shared by the number-cutting tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.vision import guided
from model.weights import load

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reader() -> guided.Reader:
    """The shipped CNN as the guided cut's reader, on the served forward pass."""
    network, _ = load(REPO / "weights" / "cnn.json")
    return lambda images: network.read(images, fast=True)
