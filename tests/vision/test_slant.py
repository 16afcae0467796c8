"""Cuts along the lean of the hand (``app.vision.slant`` and its use in ``guided``)."""

from __future__ import annotations

import numpy as np
import pytest
from strokes import layout_number, render

from app.vision import guided
from app.vision.pipeline import prepare_number
from app.vision.slant import shear_upright

SIZE = (400, 200)


@pytest.mark.parametrize("slant", [0.2, 0.4, -0.3])
def test_shearing_back_restores_the_mask_exactly(slant: float) -> None:
    rng = np.random.default_rng(3)
    mask = np.zeros((60, 90), bool)
    mask[10:50, 20:70] = rng.random((40, 50)) < 0.3
    shear = shear_upright(60, (20, 10, 70, 50), slant)
    upright = shear.upright(mask)
    assert upright.shape == (60, 90 + 2 * shear.pad)
    assert upright.sum() == mask.sum()  # no ink falls off the frame
    assert np.array_equal(shear.back(upright), mask)


def test_a_leaning_stroke_stands_upright() -> None:
    mask = np.zeros((100, 120), bool)
    for y in range(10, 90):  # leaning right by 0.4 of its height: the top is further right
        x = round(60 + 0.4 * (50 - y))
        mask[y, x - 2 : x + 3] = True
    assert np.ptp(np.flatnonzero(mask.any(axis=0))) > 30
    upright = shear_upright(100, (30, 10, 90, 90), 0.4).upright(mask)
    assert np.ptp(np.flatnonzero(upright.any(axis=0))) <= 6  # the stroke's width, and a pixel


def leaning(text: str, advance: float, lean: float) -> list:
    """``text`` drawn ``advance`` of a digit box apart, every stroke leaning ``lean``."""
    middle = SIZE[1] / 2
    strokes = layout_number(text, SIZE, advance=advance)
    return [[(x + lean * (middle - y), y) for x, y in stroke] for stroke in strokes]


def digits_read(image, reader) -> str:
    pieces = prepare_number(image, reader=reader).pieces
    images = np.stack([p.image.reshape(28, 28) for p in pieces]).astype(np.float32)
    return "".join(str(d) for d in reader(images)[0].argmax(axis=1))


@pytest.mark.parametrize(("text", "advance"), [("17", 0.35), ("27", 0.45), ("47", 0.45)])
def test_leaning_digits_that_overlap_are_cut_along_their_lean(
    text: str, advance: float, reader, monkeypatch
) -> None:
    """Leaning at 0.4 and close, the top of one digit reaches over the foot of the next:
    every column between them crosses both, and only a cut along the lean parts them."""
    image = render(leaning(text, advance, 0.4), size=SIZE, width=14, placed=True)
    assert digits_read(image, reader) == text
    monkeypatch.setattr(guided, "CUT_SLANTS", ())
    assert digits_read(image, reader) != text  # straight down alone: one digit, or wrong
