"""Touching digits cut where the network reads them best (``app.vision.guided``).

The geometry (valleys, the dynamic programme, when the network is asked) is tested
with plain-function readers; the cuts themselves with the shipped CNN, on digits
drawn by ``tests/strokes.py`` whose true extents are known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from strokes import layout_number, place, render, strokes_for

from app.vision import guided
from app.vision.components import label_components
from app.vision.pipeline import prepare_number
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
SIZE = (400, 200)


def touching(text: str, advance: float) -> tuple[Image.Image, float]:
    """Two digits drawn ``advance`` of a digit box apart, and the column between them
    (halfway between the first one's right edge and the second one's left edge)."""
    strokes = layout_number(text, SIZE, advance=advance)
    first = len(strokes_for(text[0]))
    right = max(x for stroke in strokes[:first] for x, _ in stroke)
    left = min(x for stroke in strokes[first:] for x, _ in stroke)
    image = render(strokes, size=SIZE, width=14, placed=True)
    assert label_components(np.asarray(image.convert("L")) < 128).count == 1  # they touch
    return image, (left + right) / 2


def test_a_deepest_valley_is_where_two_rings_touch() -> None:
    image, joint = touching("00", 0.7)
    mask = np.asarray(image.convert("L")) < 128
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    valleys = guided.valley_columns(mask, box, stroke=14)
    # as deep: the joint and the middles of the two rings (each column crosses two strokes)
    assert any(abs(v - joint) <= 14 for v in valleys[:3]), (valleys[:3], joint)
    cuts = guided.candidate_cuts(mask, box, width=0.8 * (box[3] - box[1]), stroke=14, known=[])
    assert any(abs(c - joint) <= 14 for c in cuts)
    assert all(c - box[0] >= 0.1 * (box[3] - box[1]) for c in cuts)  # no sliver at the ends


def test_the_programme_picks_the_pieces_that_read_best() -> None:
    scores = {(0, 10): -0.01, (10, 30): -0.01, (0, 20): -3.0, (20, 30): -3.0, (10, 20): -3.0}
    assert guided.best_cuts([0, 10, 20, 30], scores, width=15)[0] == [10]
    scores[(0, 20)] = scores[(20, 30)] = -0.001  # now 0-20 and 20-30 read better
    assert guided.best_cuts([0, 10, 20, 30], scores, width=15)[0] == [20]


def test_a_piece_wider_than_two_digits_pays_for_it() -> None:
    scores = {(0, 30): -0.05, (0, 10): -0.1, (10, 30): -0.1}
    assert guided.best_cuts([0, 10, 30], scores, width=12)[0] == [10]  # 30 is 2.5 digits
    assert guided.best_cuts([0, 10, 30], scores, width=30)[0] == []  # 30 is one digit


def test_only_a_group_surely_several_digits_wide_is_cut_through_three_strokes() -> None:
    """Digits that overlap (a 0 leaning into the 5 beside it) leave no column crossing
    fewer than three strokes between them; a group that must hold several digits may
    be cut there, and the reading decides; a narrower one never is."""
    mask = np.zeros((100, 200), bool)
    for y in (10, 48, 86):  # every column between the two posts crosses three bars
        mask[y : y + 4, :] = True
    mask[:, :6] = mask[:, 194:] = True
    box = (0, 0, 200, 100)
    assert guided.runs_in(mask[:, 100]) == 3
    surely_several = 200 / guided.SURELY_SEVERAL
    cuts = guided.candidate_cuts(mask, box, width=surely_several, stroke=4, known=[])
    assert cuts and all(20 <= c <= 180 for c in cuts)
    assert guided.candidate_cuts(mask, box, width=surely_several + 1, stroke=4, known=[]) == []


def test_digits_standing_apart_are_not_sent_to_the_network() -> None:
    calls: list[int] = []

    def counting(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(len(images))
        return np.full((len(images), 10), 0.1, np.float32), np.zeros(len(images), np.float32)

    size = (620, 200)
    image = render(layout_number("2580", size, fill=0.6), size=size, width=12, placed=True)
    assert len(prepare_number(image, reader=counting).pieces) == 4
    assert calls == []


@pytest.mark.parametrize(
    "text,advance", [("00", 0.7), ("57", 0.6), ("23", 0.7), ("17", 0.45), ("66", 0.6)]
)
def test_a_touching_pair_is_cut_between_the_digits(text: str, advance: float, reader) -> None:
    image, joint = touching(text, advance)
    pieces = prepare_number(image, reader=reader).pieces
    assert len(pieces) == 2, text
    cut = (pieces[0].box[0] + pieces[0].box[2] + pieces[1].box[0]) / 2
    assert abs(cut - joint) <= 0.12 * SIZE[1], (text, cut, joint)


@pytest.mark.parametrize("stretch", [1.0, 1.3, 1.6])
def test_wide_single_digits_are_not_cut(stretch: float, reader) -> None:
    for digit in "0234578":
        box = (40, 40, 150 * stretch, 150)
        image = render(strokes_for(digit), size=(int(150 * stretch) + 80, 230), width=14, box=box)
        assert len(prepare_number(image, reader=reader).pieces) == 1, digit


@pytest.mark.parametrize("text,advance", [("735", 0.65), ("5739", 0.6), ("2580", 0.65)])
def test_touching_digits_the_shape_alone_misses_are_found(
    text: str, advance: float, reader
) -> None:
    """Numbers where a cut at the expected places fails (a piece of a digit on each side,
    or no cut at all) and the network's reading finds every digit."""
    size = (140 * len(text) + 100, 200)
    image = render(layout_number(text, size, advance=advance), size=size, width=14, placed=True)
    assert len(prepare_number(image, reader=reader).pieces) == len(text)
    assert len(prepare_number(image).pieces) != len(text)  # shape alone does not


def test_a_two_stroke_four_between_digits_stays_whole(reader) -> None:
    size, side = (560, 200), 140
    strokes = place(strokes_for("2"), (40, 30, side, side))
    strokes += place(strokes_for("4"), (190, 30, side * 0.8, side))
    strokes += place(strokes_for("5"), (330, 30, side, side))
    image = render(strokes, size=size, width=12, placed=True)
    assert len(prepare_number(image, reader=reader).pieces) == 3


#: A 4 of two strokes drawn apart: its upright stands a little right of where the bar ends,
#: so the shape rules take the upright for a 1 of its own.
APART_FOUR = [[(0.2, 0.0), (0.12, 0.7), (0.75, 0.7)], [(0.9, 0.0), (0.9, 1.0)]]


def test_a_four_whose_strokes_stand_apart_is_one_digit(reader) -> None:
    size, side = (560, 200), 140
    strokes = place(strokes_for("2"), (40, 30, side, side))
    strokes += place(APART_FOUR, (200, 30, side * 0.75, side))
    strokes += place(strokes_for("5"), (340, 30, side, side))
    image = render(strokes, size=size, width=12, placed=True)
    assert len(prepare_number(image).pieces) == 4  # by shape alone: the upright is a 1
    assert len(prepare_number(image, reader=reader).pieces) == 3


@pytest.mark.parametrize("text", ["14", "17", "41", "71", "11"])
def test_a_one_beside_a_digit_is_not_joined_to_it(text: str, reader) -> None:
    image = render(layout_number(text, SIZE, advance=0.55), size=SIZE, width=14, placed=True)
    assert len(prepare_number(image, reader=reader).pieces) == 2


@pytest.mark.parametrize("text,advance", [("735", 0.65), ("5739", 0.6)])
def test_a_network_with_a_not_a_digit_output_guides_the_cuts_too(text: str, advance: float) -> None:
    """Its eleventh output is left out of the digits' probabilities and counts against a
    piece: half a digit is not a digit."""
    network, _ = load(REPO / "weights" / "mlp-refuse.json")
    assert network.outputs == 11
    size = (140 * len(text) + 100, 200)
    image = render(layout_number(text, size, advance=advance), size=size, width=14, placed=True)
    pieces = prepare_number(image, reader=lambda images: network.read(images, fast=True)).pieces
    assert len(pieces) == len(text)


def test_the_score_counts_the_not_a_digit_probability() -> None:
    probabilities = np.array([[0.9, 0.1] + [0.0] * 8, [0.9, 0.1] + [0.0] * 8], np.float32)
    scores = guided.piece_score(probabilities, np.array([0.0, 0.5], np.float32))
    assert scores[0] == pytest.approx(np.log(0.9))
    assert scores[1] == pytest.approx(np.log(0.45))
