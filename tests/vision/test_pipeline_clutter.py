"""What is not the digit is left out: underlines, pens lying on the page, circles and
printed boxes round the answer, blots and specks inside it."""

from __future__ import annotations

import numpy as np
import pytest
from photos import Pen, photo_of
from PIL import ImageDraw
from pipeline_helpers import difference, drawn, only_piece
from strokes import (
    arc,
    layout_number,
    place,
    render,
    strokes_for,
)

from app.vision.clutter import holes, not_clutter, on_page_edge, pens
from app.vision.components import label_components
from app.vision.pipeline import (
    load_image,
    prepare_digit,
    prepare_number,
)


@pytest.mark.parametrize("digit", list("3478"))
def test_an_underline_is_not_part_of_the_digit(digit: str) -> None:
    """A line drawn under the digit, apart from it and wider: an underline, left out."""
    image = drawn(digit, width=14, size=(280, 280))
    ImageDraw.Draw(image).line([(40, 262), (240, 258)], fill=(0, 0, 0), width=6)
    assert difference(only_piece(image), only_piece(drawn(digit, width=14))) < 0.05


PENS = {
    "right": Pen((1000, 80), (1080, 800), 70),
    "left": Pen((150, 120), (300, 780), 75),
    "below": Pen((150, 860), (1000, 780), 80),
}


@pytest.mark.parametrize("where", list(PENS))
@pytest.mark.parametrize("digit", list("3469"))
def test_a_pen_lying_beside_the_digit_is_left_out(digit: str, where: str) -> None:
    """A pen photographed on the page, far thicker than the writing, apart from it."""
    strokes = [place(strokes_for(digit), (420, 200, 400, 500))]
    with_pen = only_piece(load_image(photo_of(strokes, pens=[PENS[where]]).data))
    assert difference(with_pen, only_piece(load_image(photo_of(strokes).data))) < 0.05


def test_a_pen_beside_a_number_is_not_a_digit() -> None:
    size = (1400, 900)
    strokes = [layout_number("2024", size, fill=0.35)]
    pieces = prepare_number(load_image(photo_of(strokes, size, pens=[PENS["below"]]).data))
    alone = prepare_number(load_image(photo_of(strokes, size).data))
    assert len(pieces.pieces) == len(alone.pieces) == 4
    for piece, single in zip(pieces.pieces, alone.pieces, strict=True):
        assert difference(piece.image, single.image) < 0.05


@pytest.mark.parametrize("pencil", [(28, 34, 78), (140, 140, 140)])
@pytest.mark.parametrize("digit", list("257"))
def test_a_digit_on_notebook_paper_is_read_as_on_plain_paper(
    digit: str, pencil: tuple[int, int, int]
) -> None:
    """Ruled lines under the writing, in ink or pencil, one along the digit's base."""
    box = (420, 160, 400, 520)
    strokes = [place(strokes_for(digit), box)]
    alone = photo_of(strokes, ink=pencil, width=10)
    bottom = alone.ink_boxes[0][1] + alone.ink_boxes[0][3]
    spacing = (bottom - 3) / 7  # the seventh line runs along the digit's base
    lined = only_piece(load_image(photo_of(strokes, ink=pencil, width=10, ruled=spacing).data))
    assert difference(lined, only_piece(load_image(alone.data))) < 0.06


@pytest.mark.parametrize("width", [6, 10])
def test_a_base_cut_off_by_a_skipping_pen_is_no_underline(width: int) -> None:
    """A 2 whose pen skipped where the base begins: the base is a flat bar under the
    rest, but too close to it for an underline (which would leave a 7)."""
    stroke = strokes_for("2")[0]
    corner = min(range(len(stroke)), key=lambda k: stroke[k][0] - (stroke[k][1] > 0.85))
    skipped = [stroke[: corner - 1], stroke[corner + 3 :]]
    prepared = prepare_digit(render(skipped, width=width))
    assert len(prepared.pieces) == 1
    whole = only_piece(render([stroke], width=width))
    assert difference(prepared.pieces[0].image, whole) < 0.05


RING = [arc((0.5, 0.5), (0.5, 0.5), -90, 280)]  # a circle drawn by hand, its ends crossing


@pytest.mark.parametrize("digit", list("03478"))
def test_a_circle_drawn_round_the_digit_is_left_out(digit: str) -> None:
    """The answer circled on a worksheet: the circle holds all the other writing."""
    strokes = place(strokes_for(digit), (420, 200, 400, 500))
    circled = photo_of([strokes, place(RING, (300, 120, 640, 680))]).data
    plain = photo_of([strokes]).data
    assert difference(only_piece(load_image(circled)), only_piece(load_image(plain))) < 0.05


@pytest.mark.parametrize("gap", [30, 80])
@pytest.mark.parametrize("digit", list("03478"))
def test_an_open_circle_round_the_digit_is_left_out(digit: str, gap: int) -> None:
    """Circled by hand, the ends ``gap`` degrees apart (80: 150 pixels here)."""
    ring = [arc((0.5, 0.5), (0.5, 0.5), -90 + gap / 2, 270 - gap / 2)]
    strokes = place(strokes_for(digit), (420, 200, 400, 500))
    circled = photo_of([strokes, place(ring, (300, 120, 640, 680))]).data
    plain = photo_of([strokes]).data
    assert difference(only_piece(load_image(circled)), only_piece(load_image(plain))) < 0.05


@pytest.mark.parametrize("digit", "068")
def test_a_blot_in_a_digits_loop_does_not_make_the_digit_a_frame(digit: str) -> None:
    """A blot inside a loop with 8% of the digit's ink, far more than a speck (a shadow's
    edge, a drop of ink): the loop holds it, but a frame holds writing with far more."""
    image = drawn(digit, width=18)
    grey = np.asarray(image.convert("L")) < 128
    loops = label_components(holes(grey))
    x0, y0, x1, y1 = (int(v) for v in loops.boxes[int(np.argmax(loops.areas))])
    cx, cy, r = (x0 + x1) // 2, (y0 + y1) // 2, round(np.sqrt(0.08 * grey.sum() / np.pi))
    assert 2 * r + 6 < min(x1 - x0, y1 - y0)  # clear of the loop: a component of its own
    ImageDraw.Draw(image).ellipse((cx - r, cy - r, cx + r, cy + r), fill=(0, 0, 0))
    prepared = prepare_digit(image)
    plain = prepare_digit(drawn(digit, width=18))
    assert np.allclose(prepared.pieces[0].box, plain.pieces[0].box, atol=3)


@pytest.mark.parametrize("digit", list("1579"))
def test_a_printed_box_round_the_digit_is_left_out(digit: str) -> None:
    """A form's box for one digit, printed thin and grey, the digit written inside."""
    image = drawn(digit, width=16, size=(360, 360))
    ImageDraw.Draw(image).rectangle((30, 25, 330, 335), outline=(110, 110, 110), width=3)
    assert difference(only_piece(image), only_piece(drawn(digit, width=16, size=(360, 360)))) < 0.05


def test_a_circled_number_keeps_its_digits() -> None:
    size = (1400, 900)
    strokes = layout_number("42", size, fill=0.35)
    ring = place(RING, (380, 200, 640, 500))
    circled = prepare_number(load_image(photo_of([strokes, ring], size).data))
    alone = prepare_number(load_image(photo_of([strokes], size).data))
    assert len(circled.pieces) == len(alone.pieces) == 2
    for piece, single in zip(circled.pieces, alone.pieces, strict=True):
        assert difference(piece.image, single.image) < 0.05


def test_a_zero_with_a_speck_inside_is_still_the_zero() -> None:
    """A digit's own loop holds nothing but specks: it is no frame."""
    image = drawn("0", width=18)
    ImageDraw.Draw(image).ellipse((137, 137, 143, 143), fill=(0, 0, 0))
    assert difference(only_piece(image), only_piece(drawn("0", width=18))) < 0.05


def bars_and_a_ring(curved: bool) -> np.ndarray:
    """A thin straight rule, a bar four times as thick (a 1 drawn with a marker, or a pen)
    and, if ``curved``, a ring drawn as thin as the rule (curved writing)."""
    mask = np.zeros((120, 240), bool)
    mask[5, 10:230] = True  # a printed rule: straight, one pixel
    mask[20:110, 40:48] = True  # a straight bar, 8 pixels wide
    if curved:
        yy, xx = np.mgrid[0:120, 0:240]
        radius = np.hypot(yy - 65, xx - 160)
        mask |= (radius >= 30) & (radius < 32)
    return mask


def test_a_bar_is_a_pen_only_beside_curved_writing_far_thinner() -> None:
    for curved, expected in ((True, 1), (False, 0)):
        parts = label_components(bars_and_a_ring(curved))
        found = pens(parts, list(range(parts.count)))
        assert len(found) == expected
        assert all(parts.boxes[i][0] == 40 for i in found)  # the bar, not the rule or the ring


def a_ring_and(extra: str) -> np.ndarray:
    """A 120x160 analysis mask: a ring (a 0) in the middle and ``extra``: a wedge of table
    along the top border (``wedge``), a shorter sliver of it (``sliver``), a digit's
    stroke leaving the photo at the bottom (``cut``), or nothing."""
    yy, xx = np.mgrid[0:120, 0:160]
    mask = (np.hypot(yy - 60, xx - 80) >= 25) & (np.hypot(yy - 60, xx - 80) < 29)
    if extra == "wedge":  # the page's edge at a slant: 0 to 5 pixels deep over 60 pixels
        mask |= (xx >= 100) & (yy < (xx - 100) / 12)
    if extra == "sliver":  # 0 to 2 pixels deep over 20 pixels: an eighth of the side
        mask |= (xx >= 125) & (xx < 145) & (yy < (xx - 125) / 8)
    if extra == "cut":  # a 1 beside the 0, running off the bottom of the photo
        mask |= (xx >= 125) & (xx < 131) & (yy >= 50)
    return mask


@pytest.mark.parametrize("extra", ["wedge", "sliver"])
def test_the_tables_wedge_along_a_photos_border_is_not_writing(extra: str) -> None:
    parts = label_components(a_ring_and(extra))
    wedge = next(i for i in range(parts.count) if parts.boxes[i][1] == 0)
    assert on_page_edge(parts, wedge)
    assert wedge not in not_clutter(parts, photo=True)
    assert wedge in not_clutter(parts, photo=False)  # a drawing has no page's edge


def test_a_stroke_leaving_the_photo_is_writing() -> None:
    parts = label_components(a_ring_and("cut"))
    assert not any(on_page_edge(parts, i) for i in range(parts.count))
    assert len(not_clutter(parts, photo=True)) == 2


def test_a_sliver_of_table_alone_is_no_writing() -> None:
    """A blank sheet on a table: what the paper analysis leaves of the table is all the ink."""
    mask = a_ring_and("wedge")
    mask[20:100, 50:110] = False  # the ring gone
    parts = label_components(mask)
    assert parts.count == 1 and on_page_edge(parts, 0)
    assert not_clutter(parts, photo=True) == []


def test_a_digit_cropped_close_along_the_border_is_kept_alone() -> None:
    """A 7 whose bar lies on the photo's top border lies along it as the page's edge does,
    but reaches deep into the image: with nothing else there, it is the digit."""
    mask = np.zeros((120, 160), dtype=bool)
    mask[0:6, 40:120] = True  # the bar, on the border
    mask[0:100, 110:118] = True  # the stem, down to near the bottom
    parts = label_components(mask)
    assert parts.count == 1 and on_page_edge(parts, 0)
    assert not_clutter(parts, photo=True) == [0]
