"""Handwriting from around the world, drawn on a canvas, read by both shipped networks.

Each style in ``tests/strokes.py`` (a 1 with a flag or a base, a crossed 7, an
open 4, hooked and curled 9s, a looped 2, ...) is rendered as a person would draw
it on the page's canvas, at three pen widths and three slants, then goes through
the same pipeline as ``POST /predict``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from strokes import all_styles, render, slant

from app.vision.pipeline import prepare_digit
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
WIDTHS = (14, 20, 28)
SLANTS = (-0.15, 0.0, 0.15)
STYLES = list(all_styles())


@pytest.fixture(scope="module", params=["cnn", "mlp"])
def network(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Each shipped network (the MLP trained on MNIST alone read flagged 1s as 7)."""
    loaded, _ = load(REPO / "weights" / f"{request.param}.json")
    return loaded


def read(network, strokes, width: float, lean: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    prepared = prepare_digit(render(slant(strokes, lean), width=width))
    assert not prepared.empty and len(prepared.pieces) == 1
    return network.predict_proba(prepared.pieces[0].image[None])[0]


@pytest.mark.parametrize(
    "digit,style,strokes", STYLES, ids=[f"{digit}-{style}" for digit, style, _ in STYLES]
)
def test_every_style_is_read(network, digit: str, style: str, strokes) -> None:  # type: ignore[no-untyped-def]
    answers = [read(network, strokes, w, s).argmax() for w in WIDTHS for s in SLANTS]
    correct = sum(int(a) == int(digit) for a in answers)
    assert correct >= 8, f"{digit} ({style}) read as {answers}"
