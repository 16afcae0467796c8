"""The one digit in an image: which ink is it, and does it look like several?

``digit_region(mask)`` takes the components that may be writing
(``app.vision.clutter``), keeps the largest and everything of some size near it (a
5 or a 4 drawn in two strokes, the dot of a badly closed 0), drops an underline
beneath it, and returns it as a ``Region``. Ink wide enough to hold a number
written in its place is counted too (``digits_within``, with the number splitter
of ``app.vision.numbers``), so the caller can say so.

``faint_writing`` decides whether faint (pencil-grey) ink is writing at all: the
digits found hold nearly all of it, are tall enough and clear of the borders.
"""

from __future__ import annotations

import itertools

import numpy as np

from app.vision.boxes import near, touches_border, union
from app.vision.clutter import meaningful, speck_limit
from app.vision.components import Components, Region, label_components
from app.vision.morphology import dilate
from app.vision.numbers import number_regions

Array = np.ndarray


#: Components at least this fraction of the largest one count wherever they are.
MAJOR_FRACTION = 0.35
#: Other components count when at most this far (over the digit's size) from it.
NEAR = 0.4
#: Faint (pencil-grey) ink is writing only when the digits found are at least this tall,
#: over the image's shorter side, hold at least this share of all the ink, and span at
#: most this share of the image's width or of its height.
FAINT_HEIGHT = 0.05
FAINT_SHARE = 0.8
FAINT_SPAN = 0.7
#: A digit running off one side of the image is at most this much longer than wide (or
#: wider than long; a printed line running into a border is far longer), and its strokes
#: cover at most this share of its box (a wedge of shade covers about half).
CUT_DIGIT_ASPECT = 3.0
CUT_DIGIT_FILL = 0.4
#: A separate bar at most this high for its width, at least this wide for the rest of the
#: digit, under it (overlapping at most this share of its height) and further from it than
#: ``UNDERLINE_GAP`` of its height (at least 2 pixels) is an underline.
UNDERLINE_FLAT = 0.2
UNDERLINE_WIDTH = 0.8
UNDERLINE_OVERLAP = 0.1
UNDERLINE_GAP = 0.04
#: One digit's ink may hold a number written in its place when it is this much wider than
#: tall, or has two strokes this tall (over its height) side by side; the number's split
#: then counts as digits the parts at least this tall over the tallest (a rising baseline
#: makes the whole taller than any digit). Of 2,200 single digits of the robustness
#: benchmark's families (200 each), 5 were counted as two (wide 4s); of 600 numbers of 2
#: to 4 digits sent as one digit, 594 were counted right, and 248 of 250 4-digit photos.
WIDE_INK = 1.5
DIGIT_COUNT_HEIGHT = 0.6
#: Two strokes are side by side when their columns overlap by at most this share of the
#: narrower one (close handwriting tucks one digit under the next's edge).
SIDE_BY_SIDE = 0.5


def faint_writing(mask: Array, regions: list[Region]) -> bool:
    """Whether faint ink is writing: the digits found hold nearly all of it, clear of
    the borders, and are more than a speck.

    Printed grid lines and the shading of a page can be as dark as pencil. They run
    into the borders (no ink but specks may, and a digit the photo's frame cuts
    off); once the lines are dropped, what is left of them as "digits" is a small
    part of the ink, or, when the lines break into fragments, a lattice over most
    of the page. Pencil on squared paper is then not told from the grid, as before.
    """
    parts = label_components(mask)
    if not regions or not parts.count:
        return False
    clear = not any(not _in_regions(parts, i, regions) for i in _cut_at_border(parts))
    held = sum(int(np.count_nonzero(r.mask & mask)) for r in regions)
    x0, y0, x1, y1 = union(np.array([r.box for r in regions]))
    h, w = parts.shape
    page = x1 - x0 > FAINT_SPAN * w and y1 - y0 > FAINT_SPAN * h
    tall = y1 - y0 >= FAINT_HEIGHT * min(h, w)
    return clear and not page and tall and held >= FAINT_SHARE * int(np.count_nonzero(mask))


def faint_lines(mask: Array) -> bool:
    """Whether faint ink runs into the image's borders in pieces no digit is made of
    (printed lines, a wedge of shade): then it is no writing, whatever digits are found.

    ``faint_writing`` would say so too, after the ink is split into digits; this asks
    first, because a faint printed grid breaks into hundreds of fragments whose
    grouping into digits costs seconds for nothing.
    """
    parts = label_components(mask)
    return bool(parts.count) and any(not _cut_shape(parts, i) for i in _cut_at_border(parts))


def _cut_at_border(parts: Components) -> list[int]:
    """The components, specks aside, that touch the image's border."""
    limit = speck_limit(parts, list(range(parts.count)))
    return [
        i
        for i in range(parts.count)
        if parts.areas[i] >= limit and touches_border(parts.boxes[i], parts.shape)
    ]


def _cut_shape(parts: Components, i: int) -> bool:
    """Component ``i`` has the shape of a digit's strokes the photo's frame cut: it runs
    off one side of the image only, is not long like a line, nor solid like shade."""
    x0, y0, x1, y1 = (int(v) for v in parts.boxes[i])
    h, w = parts.shape
    sides = (x0 == 0) + (y0 == 0) + (x1 == w) + (y1 == h)
    long, short = max(x1 - x0, y1 - y0), min(x1 - x0, y1 - y0)
    filled = int(parts.areas[i]) > CUT_DIGIT_FILL * long * short
    return sides == 1 and long <= CUT_DIGIT_ASPECT * short and not filled


def _in_regions(parts: Components, i: int, regions: list[Region]) -> bool:
    """Component ``i`` is a cut digit's strokes (``_cut_shape``) and part of a digit found."""
    if not _cut_shape(parts, i):
        return False
    own = parts.mask([i])
    return any(bool((r.mask & own).any()) for r in regions)


def digit_region(mask: Array, photo: bool = False) -> Region | None:
    """The one digit: the largest component and the sizeable ink close to it.

    In a photo, ink touching the image's border (the edge of the page, a
    table, a neighbouring line of text) comes last: it joins the digit only
    when it is close to it and no bigger than it.
    """
    parts = label_components(mask)
    ids = meaningful(parts, photo)
    if not ids:
        return None
    edge = {i for i in ids if photo and touches_border(parts.boxes[i], parts.shape)}
    order = [i for i in ids if i not in edge] + [i for i in ids if i in edge]
    chosen = [order[0]]
    largest = int(parts.areas[order[0]])
    for i in order[1:]:
        if i in edge and parts.areas[i] > largest:
            continue  # a strip of table or page edge, bigger than the digit itself
        region = union(parts.boxes[chosen])
        major = i not in edge and parts.areas[i] >= MAJOR_FRACTION * largest
        if major or near(parts.boxes[i], region, NEAR):
            chosen.append(i)
    chosen = [i for i in chosen if not underline(parts, i, chosen)] or chosen
    found = Region(parts.mask(chosen), union(parts.boxes[chosen]))
    found.digits = digits_within(parts, chosen, found, photo)
    return found


def digits_within(parts: Components, chosen: list[int], ink: Region, photo: bool) -> int:
    """How many digits the ink read as one digit holds: more than one when a number was
    written where one digit was asked for. Only wide ink, or ink with two tall strokes
    side by side, is split as a number; its parts nearly as tall as the tallest count
    (``WIDE_INK``, ``DIGIT_COUNT_HEIGHT``)."""
    x0, y0, x1, y1 = ink.box
    least = DIGIT_COUNT_HEIGHT * (y1 - y0)
    tall = [parts.boxes[i] for i in chosen if parts.boxes[i][3] - parts.boxes[i][1] >= least]
    apart = any(_side_by_side(a, b) for a, b in itertools.combinations(tall, 2))
    if x1 - x0 <= WIDE_INK * (y1 - y0) and not apart:
        return 1
    heights = [r.box[3] - r.box[1] for r in number_regions(ink.mask, photo)]
    return sum(h >= DIGIT_COUNT_HEIGHT * max(heights) for h in heights) if heights else 1


def _side_by_side(a: Array, b: Array) -> bool:
    """Two boxes whose columns overlap by at most ``SIDE_BY_SIDE`` of the narrower one."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    return bool(overlap <= SIDE_BY_SIDE * min(a[2] - a[0], b[2] - b[0]))


def underline(parts: Components, i: int, chosen: list[int]) -> bool:
    """A flat bar under the rest of the digit and about as wide, and clear of it: the
    digit underlined (an answer on a worksheet), not one of its strokes. A stroke a
    skipping pen cut off (the base of a 2) lies closer to the rest."""
    rest = [j for j in chosen if j != i]
    if not rest:
        return False
    x0, y0, x1, y1 = (int(v) for v in parts.boxes[i])
    rx0, ry0, rx1, ry1 = union(parts.boxes[rest])
    flat = y1 - y0 <= UNDERLINE_FLAT * (x1 - x0)
    wide = x1 - x0 >= UNDERLINE_WIDTH * (rx1 - rx0)
    under = y0 >= ry1 - UNDERLINE_OVERLAP * (ry1 - ry0)
    gap = max(2, round(UNDERLINE_GAP * (ry1 - ry0)))
    return flat and wide and under and not _within(parts, i, rest, gap)


def _within(parts: Components, i: int, others: list[int], gap: int) -> bool:
    """Whether component ``i`` comes within ``gap`` pixels (8-neighbour steps) of ``others``."""
    grown = dilate(parts.mask([i]).astype(np.uint8), gap).astype(bool)
    return bool((grown & parts.mask(others)).any())
