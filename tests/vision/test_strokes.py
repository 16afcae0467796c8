"""The hand-written stroke paths: complete, inside their box, drawable."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from strokes import (
    STYLES,
    all_styles,
    layout_number,
    place,
    render,
    slant,
    strokes_for,
)

NAMED_VARIANTS = [
    ("1", "flag"),
    ("1", "flag_base"),
    ("2", "looped"),
    ("4", "open"),
    ("7", "crossed"),
    ("9", "hooked"),
    ("9", "curled"),
]


def test_every_digit_has_a_style() -> None:
    assert sorted(STYLES) == [str(d) for d in range(10)]
    assert all(STYLES[d] for d in STYLES)


@pytest.mark.parametrize(("digit", "style"), NAMED_VARIANTS)
def test_world_handwriting_variants_exist(digit: str, style: str) -> None:
    assert strokes_for(digit, style) is STYLES[digit][style]


@pytest.mark.parametrize(("digit", "style", "strokes"), list(all_styles()))
def test_strokes_stay_in_the_unit_box_and_are_smooth(digit: str, style: str, strokes) -> None:
    for stroke in strokes:
        assert len(stroke) >= 2
        for x, y in stroke:
            assert -0.02 <= x <= 1.02 and -0.02 <= y <= 1.02, (digit, style, x, y)
        gaps = [math.dist(a, b) for a, b in itertools.pairwise(stroke)]
        assert max(gaps) <= 0.08, (digit, style, max(gaps))


def test_render_puts_ink_only_inside_the_box() -> None:
    image = render(strokes_for(7), size=(100, 100), width=6, box=(20, 10, 60, 80))
    ink = np.asarray(image.convert("L")) < 128
    rows, cols = np.nonzero(ink)
    assert ink.sum() > 100
    assert rows.min() >= 10 - 4 and rows.max() <= 90 + 4
    assert cols.min() >= 20 - 4 and cols.max() <= 80 + 4


def test_render_colours_and_transparency() -> None:
    image = render(strokes_for(0), size=(64, 64), width=4, ink=(0, 0, 255), background=None)
    pixels = np.asarray(image)
    assert image.mode == "RGBA"
    assert pixels[..., 3].max() == 255 and pixels[0, 0, 3] == 0
    assert pixels[pixels[..., 3] == 255][:, 2].min() == 255


def test_wider_brush_puts_down_more_ink() -> None:
    thin = np.asarray(render(strokes_for(3), width=8).convert("L")) < 128
    thick = np.asarray(render(strokes_for(3), width=20).convert("L")) < 128
    assert thick.sum() > 1.8 * thin.sum()


def test_layout_number_writes_digits_left_to_right() -> None:
    strokes = layout_number("147", (600, 200))
    first_x = [min(x for x, _ in s) for s in strokes]
    one, four_a, four_b, seven = first_x
    assert one < min(four_a, four_b) < seven
    with pytest.raises(ValueError):
        layout_number("1234567890", (300, 200))


def test_slant_leans_the_top_right() -> None:
    (stroke,) = slant(strokes_for(1, "stroke"), 0.3)
    assert stroke[0][0] > strokes_for(1, "stroke")[0][0][0] + 0.1
    assert place([[(0.5, 0.5)]], (10, 20, 100, 200)) == [[(60.0, 120.0)]]
