"""The pipeline's promises: MNIST geometry, and what comes out as pixels and PNGs.

The inputs are digits drawn with the stroke paths of ``tests/strokes.py`` (not
MNIST), in the situations users create: any polarity, transparency, a small
digit in a corner, thin or fat pens. The other promises have their own files:
``test_pipeline_photos`` (ink, not paper), ``test_pipeline_clutter`` (what is not
the digit), ``test_pipeline_empty`` (nothing there), ``test_pipeline_numbers``.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from photos import photo_of
from PIL import Image, ImageOps
from pipeline_helpers import centre_of_mass, difference, drawn, ink_extent, only_piece
from strokes import (
    layout_number,
    place,
    render,
    strokes_for,
)

from app.vision.errors import InvalidInputError
from app.vision.geometry import stroke_width
from app.vision.pipeline import (
    image_to_png_bytes,
    load_image,
    png_data_url,
    prepare_digit,
    prepare_number,
    prepare_pixels,
    save_pieces,
)


@pytest.mark.parametrize("digit", list("0123456789"))
def test_mnist_geometry(digit: str) -> None:
    image = only_piece(drawn(digit))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0 and image.max() > 0.9
    assert max(ink_extent(image)) in (19, 20, 21)
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14.0) <= 0.75 and abs(cx - 14.0) <= 0.75


def test_grey_levels_are_kept() -> None:
    image = only_piece(drawn("3"))
    ink = image[image > 0]
    assert ((ink > 0.05) & (ink < 0.95)).mean() > 0.2  # anti-aliased edges, not binary


def test_aspect_ratio_is_kept() -> None:
    height, width = ink_extent(only_piece(drawn("1")))
    assert height >= 19 and width <= 10


def test_position_and_scale_do_not_matter() -> None:
    big = only_piece(drawn("2"))
    for box in [(10, 10, 60, 60), (200, 190, 70, 70), (40, 60, 200, 200)]:
        moved = render(strokes_for("2"), width=18 * box[2] / 200, box=box)
        assert difference(only_piece(moved), big) < 0.04, box


def test_polarity_transparency_and_colour_do_not_matter() -> None:
    reference = only_piece(drawn("5"))
    variants = {
        "white on black": ImageOps.invert(drawn("5")),
        "transparent": drawn("5", background=None),
        "chalk": drawn("5", ink=(230, 230, 210), background=(40, 60, 45)),
        "blue ink on cream": drawn("5", ink=(30, 40, 140), background=(245, 238, 215)),
    }
    for name, image in variants.items():
        assert difference(only_piece(image), reference) < 0.04, name


def test_thin_and_fat_pens_reach_mnist_stroke_widths() -> None:
    widths = {}
    for pen in (2.0, 4.0, 18.0, 40.0):
        image = only_piece(drawn("4", width=pen))
        big = np.asarray(Image.fromarray(image).resize((112, 112), Image.Resampling.BILINEAR))
        widths[pen] = stroke_width(big)
    # MNIST's strokes are 4.5 to 13.5 pixels wide at this (4x) scale
    assert all(4.0 <= w <= 15.0 for w in widths.values()), widths


@pytest.mark.parametrize("digit", list("0123456789"))
def test_clean_drawings_take_the_short_path_to_the_same_image(
    digit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A canvas's background is one level everywhere: the drawing path skips the lighting
    model and must give what the general path gives (oracle: the general path itself)."""
    import app.vision.ink as ink

    canvases = [drawn(digit), drawn(digit, width=30, ink=(40, 40, 200)), drawn(digit, width=8)]
    canvases.append(ImageOps.invert(drawn(digit).convert("L")))  # white on black
    for canvas in canvases:
        assert ink.drawing_paper(np.asarray(canvas.convert("L"), np.float32) / 255) is not None
    short = [only_piece(canvas) for canvas in canvases]
    monkeypatch.setattr(ink, "drawing_paper", lambda small, counts=None: None)
    general = [only_piece(canvas) for canvas in canvases]
    for a, b in zip(short, general, strict=True):
        assert difference(a, b) < 0.01


def test_a_photo_or_a_filled_canvas_is_not_a_clean_drawing() -> None:
    from app.vision.paper import drawing_paper

    photo = load_image(photo_of([place(strokes_for("3"), (500, 250, 400, 400))]).data)
    assert drawing_paper(np.asarray(photo.convert("L"), np.float32) / 255) is None
    filled = np.ones((100, 100), np.float32)  # a fat stroke's flat colour is the commonest level
    filled[10:90, 10:90] = 0.2
    assert drawing_paper(filled) is None  # but not the border's: the general path decides


def test_prepare_pixels_scales_and_validates() -> None:
    pixels = np.zeros((28, 28))
    pixels[8:20, 12:16] = 255
    prepared = prepare_pixels(pixels)
    assert prepared.pieces[0].image.max() == 1.0 and prepared.pieces[0].image.dtype == np.float32
    assert prepared.pieces[0].box == (12, 8, 4, 12)
    assert np.array_equal(prepare_pixels(pixels / 255).pieces[0].image, prepared.pieces[0].image)
    assert prepare_pixels(pixels.ravel()).pieces[0].image.shape == (28, 28)
    assert prepare_pixels(np.zeros((28, 28))).empty


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((28, 27)),
        np.full((28, 28), np.nan),
        np.full((28, 28), 300.0),
        -np.ones((28, 28)),
        [["a"]],
    ],
    ids=["shape", "nan", "above-255", "negative", "not-numbers"],
)
def test_prepare_pixels_rejects_bad_arrays(pixels: object) -> None:
    with pytest.raises(InvalidInputError) as raised:
        prepare_pixels(pixels)  # type: ignore[arg-type]
    assert raised.value.status_code == 422


def test_png_of_what_the_network_saw() -> None:
    image = only_piece(drawn("6"))
    png = image_to_png_bytes(image)
    decoded = np.asarray(Image.open(io.BytesIO(png)), dtype=np.float32) / 255
    assert decoded.shape == (28, 28) and np.abs(decoded - image).max() <= 0.5 / 255 + 1e-6
    url = png_data_url(image)
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == png


def test_save_pieces_writes_what_the_network_saw(tmp_path: Path) -> None:
    size = (500, 200)
    number = prepare_number(render(layout_number("47", size), size=size, width=12, placed=True))
    paths = save_pieces(number, tmp_path / "out", "drawing")
    assert [p.name for p in paths] == ["drawing-1.png", "drawing-2.png"]
    saved = np.asarray(Image.open(paths[1]), dtype=np.float32) / 255
    assert np.abs(saved - number.pieces[1].image).max() < 0.01
    assert [p.name for p in save_pieces(prepare_digit(drawn("3")), tmp_path, "three")] == [
        "three.png"
    ]
