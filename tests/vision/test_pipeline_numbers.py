"""Numbers: split left to right, touching digits cut, dashed and wide digits kept whole,
and a number written where one digit was asked for counted."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pipeline_helpers import difference, drawn, only_piece
from strokes import (
    all_styles,
    centred_box,
    layout_number,
    place,
    render,
    slant,
    strokes_for,
)

from app.vision.components import label_components
from app.vision.pipeline import (
    prepare_digit,
    prepare_number,
)


@pytest.mark.parametrize("text", ["42", "1905", "735", "860214"])
def test_number_is_split_left_to_right(text: str) -> None:
    size = (140 * len(text) + 80, 200)
    image = render(layout_number(text, size), size=size, width=12, placed=True)
    prepared = prepare_number(image)
    assert len(prepared.pieces) == len(text)
    lefts = [piece.box[0] for piece in prepared.pieces]
    assert lefts == sorted(lefts)
    pen = 12 * centred_box((280, 280))[2] / (0.7 * size[1])  # the same pen for the digit size
    singles = [only_piece(drawn(d, width=pen)) for d in text]
    for piece, single in zip(prepared.pieces, singles, strict=True):
        assert difference(piece.image, single) < 0.05


@pytest.mark.parametrize(
    "text,advance", [("00", 0.7), ("57", 0.6), ("23", 0.7), ("17", 0.4), ("14", 0.45)]
)
def test_touching_digits_are_cut(text: str, advance: float) -> None:
    size = (400, 200)
    image = render(layout_number(text, size, advance=advance), size=size, width=14, placed=True)
    assert label_components(np.asarray(image.convert("L")) < 128).count == 1  # they do touch
    assert len(prepare_number(image).pieces) == 2


#: A 4 whose upright arm comes down most of the way (to 80% of its height): the arm and
#: the end of the bar look like a 1 touching the rest.
LONG_ARM_FOUR = [
    [(0.22, 0.04), (0.2, 0.8), (0.86, 0.8)],
    [(0.66, 0.04), (0.66, 0.97)],
]


@pytest.mark.parametrize("width", [0.6, 0.8])
def test_a_four_with_a_long_arm_is_not_cut(width: float) -> None:
    """Only a 1 about as tall as the digit it touches is cut off a narrow group: a
    stroke of the digit itself beside a shorter part (a 4's arm, a 9's loop) is not."""
    size = (560, 200)
    side = 0.7 * size[1]
    strokes = place(strokes_for("2"), (40, 30, side, side))
    strokes += place(LONG_ARM_FOUR, (200, 30, side * width, side))
    strokes += place(strokes_for("5"), (360, 30, side, side))
    image = render(strokes, size=size, width=12, placed=True)
    assert len(prepare_number(image).pieces) == 3


@pytest.mark.parametrize("stretch", [1.0, 1.3, 1.6])
def test_wide_single_digits_are_not_cut(stretch: float) -> None:
    for digit in "0234578":
        box = (40, 40, 150 * stretch, 150)
        image = render(strokes_for(digit), size=(int(150 * stretch) + 80, 230), width=14, box=box)
        assert len(prepare_number(image).pieces) == 1, digit


def test_number_boxes_are_in_image_pixels() -> None:
    size = (620, 200)
    strokes = layout_number("371", size)
    prepared = prepare_number(render(strokes, size=size, width=12, placed=True))
    for piece, digit_strokes in zip(prepared.pieces, strokes_per_digit("371", size), strict=True):
        xs = [x for stroke in digit_strokes for x, _ in stroke]
        ys = [y for stroke in digit_strokes for _, y in stroke]
        x, y, w, h = piece.box
        assert abs(x - min(xs)) < 12 and abs(x + w - max(xs)) < 12
        assert abs(y - min(ys)) < 12 and abs(y + h - max(ys)) < 12


def strokes_per_digit(text: str, size: tuple[int, int]) -> list[list[list[tuple[float, float]]]]:
    per_digit = []
    start = 0
    everything = layout_number(text, size)
    for digit in text:
        count = len(strokes_for(digit))
        per_digit.append(everything[start : start + count])
        start += count
    return per_digit


def dashed(
    image: Image.Image, box: tuple[int, int, int, int], period: int, gap: int
) -> Image.Image:
    """``image`` with its strokes inside ``box`` broken into dashes by a lattice of paper
    lines (crossing strokes of every direction)."""
    grey = np.asarray(image.convert("L")).copy()
    ys, xs = np.mgrid[0 : grey.shape[0], 0 : grey.shape[1]]
    x0, y0, x1, y1 = box
    inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    grey[inside & ((xs % period < gap) | (ys % period < gap))] = 255
    return Image.fromarray(grey, "L")


@pytest.mark.parametrize("which", [1, 2])
def test_a_dashed_digit_in_a_number_stays_one_digit(which: int) -> None:
    """A skipping pen breaks a digit into short dashes, each far smaller than a digit:
    it is neither dropped as specks, nor split, nor absorbed by its neighbours."""
    text, size = "2145", (620, 200)
    image = render(layout_number(text, size), size=size, width=10, placed=True)
    step = 0.7 * size[1] * 0.85
    left = (size[0] - (0.7 * size[1] + step * 3)) / 2 + which * step
    broken = dashed(image, (int(left), 0, int(left + 0.7 * size[1]), size[1]), period=16, gap=6)
    parts = label_components(np.asarray(broken) < 128)
    assert parts.count >= 8  # the digit really is in pieces
    prepared = prepare_number(broken)
    assert len(prepared.pieces) == len(text)
    whole = prepare_number(image)
    for piece, intact in zip(prepared.pieces, whole.pieces, strict=True):
        assert abs(piece.box[0] - intact.box[0]) < 12 and abs(piece.box[2] - intact.box[2]) < 16


def test_dots_beside_a_digit_are_not_a_digit() -> None:
    size = (400, 200)
    image = render(layout_number("47", size), size=size, width=12, placed=True)
    draw = ImageDraw.Draw(image)
    for y in (80, 120):  # a colon between the digits
        draw.ellipse((196, y, 204, y + 8), fill=0)
    assert len(prepare_number(image).pieces) == 2


def test_single_digit_mode_keeps_one_piece_for_a_number() -> None:
    size = (400, 200)
    image = render(layout_number("12", size), size=size, width=12, placed=True)
    prepared = prepare_digit(image)
    assert len(prepared.pieces) == 1
    assert prepared.digits_found == 2


@pytest.mark.parametrize(
    "text,advance,touching",
    [
        ("17", 0.85, False),
        ("42", 0.85, False),
        ("11", 0.85, False),
        ("305", 0.85, False),
        ("45", 0.65, False),  # the 5 tucked under the end of the 4's bar
        ("57", 0.75, True),
    ],
)
def test_a_number_written_for_one_digit_is_counted(
    text: str, advance: float, touching: bool
) -> None:
    """On the digit pad (a square canvas). Touching digits are looked for only in ink at
    least 1.5 times wider than tall: a touching 17 as narrow as a 7 is not found."""
    size = (280, 280)
    fill = 0.9 / (1 + advance * (len(text) - 1))
    image = render(
        layout_number(text, size, fill=fill, advance=advance), size=size, width=14, placed=True
    )
    assert (label_components(np.asarray(image.convert("L")) < 128).count == 1) == touching
    assert prepare_digit(image).digits_found == len(text)
    assert prepare_number(image).digits_found == len(text)


def test_a_number_on_a_rising_baseline_sent_as_one_digit_is_counted() -> None:
    """Each digit 25 pixels above the one before: together far taller than any digit."""
    strokes = [
        stroke
        for i, digit in enumerate("2024")
        for stroke in place(strokes_for(digit), (30 + 95 * i, 130 - 25 * i, 80, 100))
    ]
    image = render(strokes, size=(440, 280), width=12, placed=True)
    assert prepare_digit(image).digits_found == 4


@pytest.mark.parametrize("width", [8.0, 18.0, 30.0])
def test_every_style_of_one_digit_is_counted_once(width: float) -> None:
    """A 4 or a 5 of two strokes, an 8 as two circles, a crossed 7, upright or leaning."""
    for digit, style, strokes in all_styles():
        for lean in (0.0, 0.25):
            prepared = prepare_digit(render(slant(strokes, lean), width=width, background=None))
            assert prepared.digits_found == 1, (digit, style, lean)


def test_wide_single_digits_are_counted_once() -> None:
    for digit in "0234578":
        box = (40, 40, 150 * 1.5, 150)
        image = render(strokes_for(digit), size=(305, 230), width=14, box=box)
        assert prepare_digit(image).digits_found == 1, digit
