"""Reading UNIPEN text: segments, their strokes and comments, whatever the layout."""

from __future__ import annotations

import pytest

from model.mnist import DataError
from model.unipen import read_unipen

PENDIGITS_LIKE = """.VERSION 1.0
.X_DIM 500
.Y_DIM 500

.SEGMENT DIGIT 0 ? "8"
.COMMENT 8 12 1
.PEN_DOWN
267 333
264 336
.PEN_UP
.DT 100

.SEGMENT DIGIT 1-2 ? "4"
.COMMENT 4 3 7
.PEN_DOWN
10 20
.PEN_UP
5 5
.PEN_DOWN
30 40
31 41
.PEN_UP
"""


def test_segments_own_the_strokes_drawn_after_them() -> None:
    recording = read_unipen(PENDIGITS_LIKE.encode(), "test")
    assert recording.keywords[".Y_DIM"] == "500"
    eight, four = recording.segments
    assert (eight.level, eight.label, eight.comment) == ("DIGIT", "8", (8, 12, 1))
    assert eight.strokes == (((267, 333), (264, 336)),)
    assert four.label == "4" and four.comment == (4, 3, 7)
    assert four.strokes == (((10, 20),), ((30, 40), (31, 41)))  # "5 5" was pen-up movement


def test_a_comment_before_its_segment_line_is_read_too() -> None:
    swapped = PENDIGITS_LIKE.replace('"8"\n.COMMENT 8 12 1', '"8"').replace(
        '.SEGMENT DIGIT 0 ? "8"', '.COMMENT 8 12 1\n.SEGMENT DIGIT 0 ? "8"'
    )
    swapped = swapped.replace('"4"\n.COMMENT 4 3 7', '"4"').replace(
        ".SEGMENT DIGIT 1-2", ".COMMENT 4 3 7\n.SEGMENT DIGIT 1-2"
    )
    assert swapped != PENDIGITS_LIKE
    comments = [s.comment for s in read_unipen(swapped.encode(), "test").segments]
    assert comments == [(8, 12, 1), (4, 3, 7)]


def test_crlf_blank_lines_and_unknown_keywords_change_nothing() -> None:
    noisy = PENDIGITS_LIKE.replace(".DT 100", ".DT 100\n\n.UNKNOWN_KEYWORD a b\n").replace(
        "\n", "\r\n"
    )
    clean = read_unipen(PENDIGITS_LIKE.encode(), "test").segments
    assert read_unipen(noisy.encode(), "test").segments == clean


def test_segments_listed_apart_are_found_by_their_component_numbers() -> None:
    text = """.PEN_DOWN\n1 1\n.PEN_UP\n.PEN_DOWN\n2 2\n.PEN_UP\n.PEN_DOWN\n3 3\n.PEN_UP
.SEGMENT CHARACTER 0,2 ? "x"\n.SEGMENT CHARACTER 1 ? "y"\n"""
    x, y = read_unipen(text.encode(), "test").segments
    assert x.strokes == (((1, 1),), ((3, 3),)) and y.strokes == (((2, 2),),)
    with pytest.raises(DataError, match="names components 3, but the file draws 3"):
        read_unipen(text.replace("CHARACTER 1 ?", "CHARACTER 3 ?").encode(), "test")


def test_a_point_that_is_not_two_integers_is_named() -> None:
    with pytest.raises(DataError, match=r"test, line 9: '264 x' is not a point"):
        read_unipen(PENDIGITS_LIKE.replace("264 336", "264 x").encode(), "test")
