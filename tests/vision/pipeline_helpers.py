"""What the pipeline tests share: a drawn digit, its one 28x28 piece, and how to compare
and measure 28x28 images."""

from __future__ import annotations

import numpy as np
from PIL import Image
from strokes import (
    render,
    strokes_for,
)

from app.vision.pipeline import (
    prepare_digit,
)


def drawn(digit: str, width: float = 18.0, size: tuple[int, int] = (280, 280), **kw) -> Image.Image:  # type: ignore[no-untyped-def]
    return render(strokes_for(digit), size=size, width=width, **kw)


def only_piece(image: Image.Image) -> np.ndarray:
    prepared = prepare_digit(image)
    assert not prepared.empty, prepared.reason
    assert len(prepared.pieces) == 1
    return prepared.pieces[0].image


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two 28x28 images, allowing a shift of one pixel."""
    padded = np.pad(b, 1)
    return min(
        float(np.abs(a - padded[1 + dy : 29 + dy, 1 + dx : 29 + dx]).mean())
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def ink_extent(image28: np.ndarray, level: float = 0.1) -> tuple[int, int]:
    rows = np.flatnonzero((image28 > level).any(axis=1))
    cols = np.flatnonzero((image28 > level).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def centre_of_mass(image28: np.ndarray) -> tuple[float, float]:
    total = image28.sum()
    return (
        float(image28.sum(axis=1) @ np.arange(28) / total),
        float(image28.sum(axis=0) @ np.arange(28) / total),
    )
