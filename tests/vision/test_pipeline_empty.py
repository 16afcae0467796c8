"""Nothing there: blank canvases and photos, noise, a photo's dark corner are empty with
a reason; a digit, however drawn, is not."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps
from pipeline_helpers import difference, drawn, only_piece
from strokes import (
    centred_box,
    render,
    strokes_for,
)

from app.vision.pipeline import (
    prepare_digit,
    prepare_number,
)


def blank_photo(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    light = 230 - 60 * (xx / 640) - 30 * (yy / 480) ** 2
    noisy = light[..., None] * np.array([1.0, 0.97, 0.9]) + rng.normal(0, 4, (480, 640, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=80)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (280, 280), 255),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("RGB", (280, 280), (20, 20, 20)),
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (280, 280), dtype=np.uint8)),
        Image.fromarray(
            np.random.default_rng(1).normal(128, 40, (300, 400)).clip(0, 255).astype(np.uint8)
        ),
        blank_photo(0),
        blank_photo(1),
    ],
    ids=["white", "transparent", "black", "uniform-noise", "gaussian-noise", "photo-0", "photo-1"],
)
def test_nothing_there_is_empty_with_a_reason(image: Image.Image) -> None:
    for prepared in (prepare_digit(image), prepare_number(image)):
        assert prepared.empty and prepared.pieces == []
        assert prepared.reason and prepared.reason.startswith("No digit found")
        assert (prepared.width, prepared.height) == image.size


def test_a_dark_photo_corner_is_not_a_digit() -> None:
    pixels = np.asarray(blank_photo(2)).copy()
    pixels[:40, :50] = 15  # the table beyond the paper's corner
    assert prepare_digit(Image.fromarray(pixels)).empty


def test_a_digit_drawn_into_a_corner_is_read() -> None:
    image = render(strokes_for("7"), width=10, box=(-6, -4, 70, 70))  # strokes meet both edges
    reference = only_piece(drawn("7", width=10 * centred_box((280, 280))[2] / 70))
    assert difference(only_piece(image), reference) < 0.06


@pytest.mark.parametrize("size", [56, 112, 280])
@pytest.mark.parametrize("digit", list("0147"))
def test_drawings_without_anti_aliasing_are_read(size: int, digit: str) -> None:
    """Pure black on white (a paint program's pencil, a 1-bit file): the strokes are one
    grey level, which gives Otsu nothing to split; the digit must still be found."""
    smooth = drawn(digit, width=size / 14, size=(size, size)).convert("L")
    binary = smooth.point(lambda v: 0 if v < 128 else 255)
    assert len(set(np.asarray(binary).ravel().tolist())) == 2
    assert difference(only_piece(binary), only_piece(smooth)) < 0.08
    inverted = ImageOps.invert(binary)
    assert difference(only_piece(inverted), only_piece(smooth)) < 0.08


def test_a_digit_is_not_empty() -> None:
    prepared = prepare_digit(drawn("0"))
    assert not prepared.empty and prepared.reason is None
    assert prepared.timing_ms["preprocess"] > 0
