"""Which ink is a digit: specks and ruled lines out, strokes grouped into digits.

Works on the analysis-resolution ink mask and its connected components:

- **Clutter.** Specks (components far smaller than the largest), ruled or
  squared-paper lines (components spanning most of the image while covering
  little of their bounding box), a pen lying on the page (a straight band far
  wider than the curved writing's strokes) and a frame round the writing (a
  circled answer, a form's box) are dropped.
- **One digit** (``digit_region``): the largest component and everything of
  some size near it: a 5 or a 4 drawn in two strokes, the dot of a badly closed 0.
  Ink wide enough to hold a number written in its place is counted too
  (``digits_within``), so the caller can say so.
- **A number** (``number_regions``): components whose columns overlap are one
  digit (stacked strokes); small leftovers join their nearest digit; a group
  much wider than the typical digit holds touching digits and is cut at the
  columns with the least ink near the expected places; the digits are ordered
  left to right.

A region is a boolean mask over the analysis image plus its bounding box.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.vision.boxes import (
    mask_box,
    near,
    strictly_inside,
    touches_border,
    union,
    union_array,
)
from app.vision.components import Components, label_components
from app.vision.geometry import mask_stroke_width
from app.vision.morphology import dilate

Array = np.ndarray

#: A component smaller than this fraction of the largest one is a speck ...
SPECK_FRACTION = 0.03
#: ... and so is one of fewer pixels than this.
SPECK_PIXELS = 3
#: Components at least this fraction of the largest one count wherever they are.
MAJOR_FRACTION = 0.35
#: Other components count when at most this far (over the digit's size) from it.
NEAR = 0.4
#: A line runs from border to border (ending this fraction of the size from each) ...
LINE_END = 0.03
#: ... and is at most this thick for its length; a lattice (a grid) covers at most
#: ``LINE_FILL`` of its bounding box.
LINE_THICKNESS = 0.12
LINE_FILL = 0.15
#: How curved (middle against ends, over the height) the two halves of an unclosed 0 are.
ARC_BULGE = 0.06
#: ... and how narrow (over their height).
ARC_WIDTH = 0.6
#: A blob in a corner of the image, at most this fraction of its width and height, lying
#: along this fraction of both borders, is the photo's corner, not writing.
CORNER_SIZE = 0.25
CORNER_CONTACT = 0.5
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
#: Typical width of a digit as a fraction of its height (MNIST's digits other than 1: 0.8).
DIGIT_ASPECT = 0.8
#: A straight, solid band (at least ``BAR_LENGTH`` times as long as wide, covering at least
#: ``BAR_FILL`` of that rectangle: no curve, no second stroke) at least ``PEN_WIDTH`` times
#: as wide as the strokes of the curved writing beside it is a pen, a pencil or a marker
#: lying on the page.
BAR_LENGTH = 5.0
BAR_FILL = 0.8
PEN_WIDTH = 3.5
#: A stroke round the other writing that is not closed (a circle drawn round the answer,
#: its ends apart) is a frame when it lies in this share of the directions seen from the
#: writing's centre, counted in ``RING_SECTORS`` sectors (a gap of up to 90 degrees).
RING_COVER = 0.75
RING_SECTORS = 36
#: Closed or not, a frame holds writing with at least this share of its own ink.
RING_INSIDE = 0.15
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


@dataclass
class Region:
    """The ink of one digit on the analysis grid."""

    mask: Array  # boolean, analysis-image shape
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    digits: int = 1  # how many digits it seems to hold (a number written for one digit)


def _border_to_border(lo: float, hi: float, size: int) -> bool:
    return lo <= LINE_END * size and hi >= (1.0 - LINE_END) * size


def is_line(box: Array, area: int, shape: tuple[int, int]) -> bool:
    """A ruled line, a grid or a page edge: from border to border and thin, or a sparse lattice."""
    w, h = int(box[2] - box[0]), int(box[3] - box[1])
    across = _border_to_border(box[0], box[2], shape[1])
    down = _border_to_border(box[1], box[3], shape[0])
    if across and down:
        return area <= LINE_FILL * w * h
    return (across and h <= LINE_THICKNESS * w) or (down and w <= LINE_THICKNESS * h)


def in_corner(parts: Components, i: int) -> bool:
    """A blob filling a corner of the photo (the table, the dark edge of a lens), not writing.

    It lies along both borders of the corner, where a digit drawn into a corner
    only touches them with the ends of its strokes.
    """
    h, w = parts.shape
    x0, y0, x1, y1 = (int(v) for v in parts.boxes[i])
    if not ((x0 == 0 or x1 == w) and (y0 == 0 or y1 == h)):
        return False
    if x1 - x0 > CORNER_SIZE * w or y1 - y0 > CORNER_SIZE * h:
        return False
    blob = parts.mask([i])
    row = blob[0 if y0 == 0 else h - 1, x0:x1]
    column = blob[y0:y1, 0 if x0 == 0 else w - 1]
    return bool(row.mean() >= CORNER_CONTACT and column.mean() >= CORNER_CONTACT)


def not_clutter(parts: Components) -> list[int]:
    """Components that are neither lines, corners, pens nor frames (a lone line is kept:
    it is then the digit, a 1 drawn from top to bottom)."""
    lines = {
        i for i in range(parts.count) if is_line(parts.boxes[i], int(parts.areas[i]), parts.shape)
    }
    corners = {i for i in range(parts.count) if in_corner(parts, i)}
    rest = [i for i in range(parts.count) if i not in lines | corners]
    sizable = not_specks(parts, rest) if rest else []
    around = pens(parts, sizable) | frames(parts, sizable)
    return [i for i in rest if i not in around] or list(lines)


def pens(parts: Components, sizable: list[int]) -> set[int]:
    """Among components above the speck limit, straight bars far thicker than the thinnest
    writing beside them: a pen or a pencil photographed on the page. Only curved ink
    counts as writing here, so a bar is kept when there is none (a 1 drawn with a
    marker, beside a thin printed rule)."""
    if len(sizable) < 2:
        return set()
    bars = {i: width for i in sizable if (width := bar_width(parts, i)) is not None}
    if not bars:
        return set()
    writing = [mask_stroke_width(parts.crop(i)) for i in sizable if i not in bars]
    if not writing:
        return set()
    return {i for i, width in bars.items() if width >= PEN_WIDTH * min(writing)}


def frames(parts: Components, sizable: list[int]) -> set[int]:
    """Among components above the speck limit, a stroke round all the others: a circle
    drawn round the answer (closed, or open where the pen started and stopped), a form's
    box. What a frame holds is writing, with at least ``RING_INSIDE`` of the frame's
    ink: a digit's own loop holds at most a speck or a blot."""
    if len(sizable) < 2:
        return set()
    for i in sizable:
        inside = [j for j in sizable if j != i]
        within = all(strictly_inside(parts.boxes[j], parts.boxes[i]) for j in inside)
        held = sum(int(parts.areas[j]) for j in inside) >= RING_INSIDE * int(parts.areas[i])
        if (
            inside
            and within
            and held
            and (encloses(parts, i, inside) or surrounds(parts, i, inside))
        ):
            return {i}
    return set()


def surrounds(parts: Components, i: int, inside: list[int]) -> bool:
    """Seen from the centre of the components ``inside``, component ``i`` lies in at least
    ``RING_COVER`` of the directions (a piece of a broken stroke, on the edge of the
    rest, sees it in about half)."""
    ys, xs = np.nonzero(parts.mask(inside))
    ry, rx = np.nonzero(parts.crop(i))
    x0, y0 = int(parts.boxes[i][0]), int(parts.boxes[i][1])
    angles = np.arctan2(ry + y0 - ys.mean(), rx + x0 - xs.mean())
    sectors = np.floor((angles + np.pi) * (RING_SECTORS / (2 * np.pi))).astype(np.int64)
    return np.unique(sectors % RING_SECTORS).size >= RING_COVER * RING_SECTORS


def encloses(parts: Components, i: int, inside: list[int]) -> bool:
    """Every pixel of the components ``inside`` lies in a hole of component ``i``."""
    enclosed = holes(parts.crop(i))
    x0, y0 = int(parts.boxes[i][0]), int(parts.boxes[i][1])
    for j in inside:
        jx0, jy0, jx1, jy1 = (int(v) for v in parts.boxes[j])
        if not enclosed[jy0 - y0 : jy1 - y0, jx0 - x0 : jx1 - x0][parts.crop(j)].all():
            return False
    return True


def bar_width(parts: Components, i: int) -> float | None:
    """The width of component ``i`` when its outline (holes filled: the highlight along a
    pen) is one straight solid band, long for its width; else None. A shape not even
    half that long for its width as it stands (every digit but a 1) is not looked at
    further."""
    length, width = parts.band(i)
    if length < BAR_LENGTH / 2 * width:
        return None
    own = parts.crop(i)
    outline = label_components(own | holes(own))
    length, width = outline.band(int(np.argmax(outline.areas)))
    solid = int(outline.areas.max()) >= BAR_FILL * length * width
    return width if length >= BAR_LENGTH * width and solid else None


def holes(mask: Array, min_area: int = 1) -> Array:
    """The background ``mask`` encloses (not reaching its border), in pieces of at least
    ``min_area`` pixels: the insides of its loops."""
    background = label_components(~mask)
    inside = [
        j
        for j in range(background.count)
        if background.areas[j] >= min_area and not touches_border(background.boxes[j], mask.shape)
    ]
    return background.mask(inside)


def speck_limit(parts: Components, ids: list[int]) -> float:
    """Less ink than this (pixels) is a speck."""
    largest = max(int(parts.areas[i]) for i in ids)
    return max(SPECK_PIXELS, SPECK_FRACTION * largest)


def not_specks(parts: Components, ids: list[int]) -> list[int]:
    """The components of ``ids`` with at least the speck limit of ink."""
    limit = speck_limit(parts, ids)
    return [i for i in ids if parts.areas[i] >= limit]


def meaningful(parts: Components) -> list[int]:
    """Components that are neither specks nor clutter, largest first."""
    ids = not_clutter(parts)
    if not ids:
        return []
    return sorted(not_specks(parts, ids), key=lambda i: -int(parts.areas[i]))


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
    limit = speck_limit(parts, list(range(parts.count)))
    clear = not any(
        touches_border(parts.boxes[i], parts.shape) and not _cut_digit(parts, i, regions)
        for i in range(parts.count)
        if parts.areas[i] >= limit
    )
    held = sum(int(np.count_nonzero(r.mask & mask)) for r in regions)
    x0, y0, x1, y1 = union(np.array([r.box for r in regions]))
    h, w = parts.shape
    page = x1 - x0 > FAINT_SPAN * w and y1 - y0 > FAINT_SPAN * h
    tall = y1 - y0 >= FAINT_HEIGHT * min(h, w)
    return clear and not page and tall and held >= FAINT_SHARE * int(np.count_nonzero(mask))


def _cut_digit(parts: Components, i: int, regions: list[Region]) -> bool:
    """Component ``i`` is part of a digit found, made of strokes in a digit's shape, and
    runs off one side of the image only (a pencil digit the photo's frame cut)."""
    x0, y0, x1, y1 = (int(v) for v in parts.boxes[i])
    h, w = parts.shape
    sides = (x0 == 0) + (y0 == 0) + (x1 == w) + (y1 == h)
    long, short = max(x1 - x0, y1 - y0), min(x1 - x0, y1 - y0)
    filled = int(parts.areas[i]) > CUT_DIGIT_FILL * long * short
    if sides != 1 or long > CUT_DIGIT_ASPECT * short or filled:
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
    ids = meaningful(parts)
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


# -- numbers ---------------------------------------------------------------------------
#: A group wider than this many typical digit widths holds several digits, whatever its cut.
SURELY_SEVERAL = 1.8
#: A group wider than this many typical digit widths is cut where one stroke joins two digits.
MAYBE_SEVERAL = 1.3
#: Groups shorter than this fraction of the typical digit height are fragments of a digit.
FRAGMENT_HEIGHT = 0.6
#: ... or with less ink than this fraction of the typical digit's.
FRAGMENT_AREA = 0.2
#: ... when they are at most this far (over the typical height) from it.
FRAGMENT_REACH = 0.3
#: Pieces of a broken stroke are at most this far apart (over the typical height).
FRAGMENT_LINK = 0.3
#: A group with less ink than this fraction of the typical digit's is a fragment, however
#: tall (a column of dots), never a digit of its own ...
SPECKLE_AREA = 0.15
#: ... unless its ink covers at least this share of its rows (a faint dashed 1 does).
DASHED_ROWS = 0.55
#: Each piece of a cut group must be at least this fraction of the group's height.
PIECE_HEIGHT = 0.8
#: ... and, when a 1 is freed from a group about one digit wide, this fraction: a 1 and
#: the digit it touches are both about as tall as the pair; a stroke a tenth shorter
#: than its full-height neighbour is a part of one digit (a 9's loop, a 4's arm).
ONE_PIECE_HEIGHT = 0.9
#: A 1 is at most this wide for its height.
ONE_WIDTH = 0.35


def _span_overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """Shared length of two intervals over the shorter one."""
    return max(0.0, min(a1, b1) - max(a0, b0)) / max(1.0, min(a1 - a0, b1 - b0))


def stacked(a: Array, b: Array) -> bool:
    """Two boxes one above the other (sharing columns, not rows): parts of one digit."""
    columns = _span_overlap(a[0], a[2], b[0], b[2])
    rows = _span_overlap(a[1], a[3], b[1], b[3])
    return columns >= 0.5 and rows <= 0.5


def _merge(
    groups: list[list[int]], boxes: Array, joined: Callable[[Array, Array], bool]
) -> list[list[int]]:
    merged = True
    while merged:
        merged = False
        for i, j in itertools.combinations(range(len(groups)), 2):
            if joined(union_array(boxes[groups[i]]), union_array(boxes[groups[j]])):
                groups[i] = groups[i] + groups.pop(j)
                merged = True
                break
    return groups


def stacked_groups(parts: Components, ids: list[int]) -> list[list[int]]:
    """Components grouped when stacked over the same columns (a 5's bar, a dot)."""
    return _merge([[i] for i in ids], parts.boxes, stacked)


def reference_height(boxes: list[Array]) -> float:
    """The height of a whole digit: the median over groups at least half the tallest.

    Not over every group: a dashed digit falls apart into many short pieces,
    which would make the typical digit look short.
    """
    heights = [float(b[3] - b[1]) for b in boxes]
    tall = [h for h in heights if h >= 0.5 * max(heights)]
    return float(np.median(tall))


def link_fragments(parts: Components, groups: list[list[int]]) -> list[list[int]]:
    """Short pieces lying close together become one group: a digit drawn with a
    broken or dashed stroke (a faint pen, a skipping marker) is one digit.

    Pieces are linked pairwise by their own boxes (a chain of dashes links end
    to end), only pieces shorter than a digit and only across gaps of a small
    fraction of the digit's height, so whole digits never join here.
    """
    if len(groups) < 2:
        return groups
    boxes = [union_array(parts.boxes[g]) for g in groups]
    height = reference_height(boxes)
    short = [k for k, b in enumerate(boxes) if b[3] - b[1] < FRAGMENT_HEIGHT * height]
    chain = list(range(len(groups)))  # union-find parents

    def root(k: int) -> int:
        while chain[k] != k:
            k = chain[k]
        return k

    for a, b in itertools.combinations(short, 2):
        if _gap(boxes[a], boxes[b]) <= FRAGMENT_LINK * height:
            chain[root(a)] = root(b)
    linked: dict[int, list[int]] = {}
    for k, group in enumerate(groups):
        linked.setdefault(root(k), []).extend(group)
    return list(linked.values())


def absorb_fragments(parts: Components, groups: list[list[int]]) -> list[list[int]]:
    """Groups much shorter or smaller than the typical digit join a digit next to them.

    A fragment far from every digit is a speck, a smudge or a shadow: dropped.
    So is a digit-sized group off the line the digits are written on.
    """
    if len(groups) < 2:
        return groups
    boxes = [union_array(parts.boxes[g]) for g in groups]
    areas = [int(parts.areas[g].sum()) for g in groups]
    height = reference_height(boxes)
    area = float(
        np.median([a for a, b in zip(areas, boxes, strict=True) if b[3] - b[1] >= 0.5 * height])
    )
    short = {
        k
        for k, b in enumerate(boxes)
        if b[3] - b[1] < FRAGMENT_HEIGHT * height
        or (areas[k] < FRAGMENT_AREA * area and b[3] - b[1] < 0.8 * height)
        or (areas[k] < SPECKLE_AREA * area and not _covers_rows(parts, groups[k]))
    }
    full = [k for k in range(len(groups)) if k not in short]
    if not full:
        return groups
    line = float(np.median([(boxes[k][1] + boxes[k][3]) / 2 for k in full]))
    on_line = [
        k for k in full if boxes[k][1] - 0.25 * height <= line <= boxes[k][3] + 0.25 * height
    ]
    full = on_line or full  # digits far apart up and down: no line to be off
    for k in sorted(short):
        nearest = min(full, key=lambda m: _gap(boxes[k], boxes[m]))
        if _gap(boxes[k], boxes[nearest]) <= FRAGMENT_REACH * height:
            groups[nearest] = groups[nearest] + groups[k]
    return [groups[k] for k in full]


def _covers_rows(parts: Components, group: list[int]) -> bool:
    """Whether the group's ink reaches most rows of its box: a dashed stroke, not dots."""
    box = union(parts.boxes[group])
    rows = parts.mask(group)[box[1] : box[3], box[0] : box[2]].any(axis=1)
    return float(rows.mean()) >= DASHED_ROWS


def _gap(a: Array, b: Array) -> float:
    dx = max(0.0, a[0] - b[2], b[0] - a[2])
    dy = max(0.0, a[1] - b[3], b[1] - a[3])
    return float(np.hypot(dx, dy))


def bulge(mask: Array) -> float:
    """How far the middle third of a shape lies right of its top and bottom thirds.

    Negative for a "(" (ends to the right of the middle), positive for a ")",
    as a fraction of the shape's height; 0 for a straight or slanted stroke.
    """
    box = mask_box(mask)
    if box is None:
        return 0.0
    x0, y0, x1, y1 = box
    rows = mask[y0:y1, x0:x1]
    counts = rows.sum(axis=1)
    centres = (rows @ np.arange(x1 - x0)) / np.maximum(counts, 1)
    third = max(1, (y1 - y0) // 3)
    ends = (centres[:third].mean() + centres[-third:].mean()) / 2
    return float(centres[third:-third].mean() - ends) / max(1, y1 - y0) if y1 - y0 >= 3 else 0.0


def facing_arcs(
    left: Array, right: Array, left_box: Array, right_box: Array, loose: bool = False
) -> bool:
    """A "(" and a ")" close together: the halves of a 0.

    Strictly (joining separate strokes): narrow halves, side by side, making a
    shape no wider than tall. Loosely (refusing a cut): only the facing curves.
    """
    if bulge(left) >= -ARC_BULGE or bulge(right) <= ARC_BULGE:
        return False
    if loose:
        return True
    height = max(left_box[3] - left_box[1], right_box[3] - right_box[1])
    rows = _span_overlap(left_box[1], left_box[3], right_box[1], right_box[3])
    gap = right_box[0] - left_box[2]
    width = max(right_box[2], left_box[2]) - min(left_box[0], right_box[0])
    narrow = max(left_box[2] - left_box[0], right_box[2] - right_box[0]) <= ARC_WIDTH * height
    return rows >= 0.8 and gap <= 0.15 * height and width <= height and narrow


def join_arcs(parts: Components, groups: list[list[int]]) -> list[list[int]]:
    """Neighbouring groups that are the two halves of an unclosed 0 become one."""
    groups = sorted(groups, key=lambda g: int(parts.boxes[g][:, 0].min()))
    out: list[list[int]] = []
    for group in groups:
        if out:
            last = out[-1]
            boxes = union_array(parts.boxes[last]), union_array(parts.boxes[group])
            if facing_arcs(parts.mask(last), parts.mask(group), *boxes):
                out[-1] = last + group
                continue
        out.append(group)
    return out


def typical_width(boxes: list[tuple[int, int, int, int]]) -> float:
    """The width of one digit: a typical digit's aspect ratio times the typical height.

    Not the groups' widths: a number full of 1s would make every 0 look like two digits.
    """
    return DIGIT_ASPECT * float(np.median([b[3] - b[1] for b in boxes]))


def runs_in(column: Array) -> int:
    """Separate stretches of ink in one column."""
    padded = np.concatenate(([False], column, [False]))
    return int(np.count_nonzero(np.diff(padded.astype(np.int8)) == 1))


def best_cut(
    mask: Array, box: tuple[int, int, int, int], ideal: float, reach: float
) -> tuple[int, int, int]:
    """The column near ``ideal`` crossing the least ink: (column, runs, ink pixels)."""
    x0, y0, x1, y1 = box
    lo, hi = max(x0 + 1, int(ideal - reach)), min(x1 - 1, int(ideal + reach) + 1)
    if hi <= lo:
        return int(ideal), 0, 0
    block = mask[y0:y1, lo:hi]
    ink = block.sum(axis=0)
    column = lo + int(np.argmin(ink + 1e-3 * np.abs(np.arange(lo, hi) - ideal)))
    return column, runs_in(mask[y0:y1, column]), int(mask[y0:y1, column].sum())


def pieces_tall(
    mask: Array, box: tuple[int, int, int, int], cuts: list[int], share: float = PIECE_HEIGHT
) -> bool:
    """Whether every piece between the cuts holds one stroke nearly as tall as the group
    (``share`` of its height).

    A digit cut off its touching neighbour is still one connected stroke; the
    two ends of a wide 2's top and base, cut off together, are not.
    """
    x0, y0, x1, y1 = box
    for a, b in itertools.pairwise([x0, *cuts, x1]):
        parts = label_components(mask[y0:y1, a:b])
        tallest = int((parts.boxes[:, 3] - parts.boxes[:, 1]).max()) if parts.count else 0
        if tallest < share * (y1 - y0):
            return False
    return True


def _halves(mask: Array, cut: int) -> tuple[Array, Array, Array, Array]:
    left, right = mask.copy(), mask.copy()
    left[:, cut:] = False
    right[:, :cut] = False
    boxes = [np.array(mask_box(m) or (0, 0, 1, 1), dtype=np.float64) for m in (left, right)]
    return left, right, boxes[0], boxes[1]


def one_like(mask: Array, box: Array) -> bool:
    """A 1: a narrow, straight stroke."""
    w, h = box[2] - box[0], box[3] - box[1]
    return w <= ONE_WIDTH * h and abs(bulge(mask)) < ARC_BULGE


def pieces_in(
    mask: Array, box: tuple[int, int, int, int], width: float, stroke: float
) -> list[int]:
    """Cut columns splitting a group into digits (none for a single digit).

    A cut must leave pieces nearly as tall as the group, must not cut a loop in
    two facing halves (a wide 0 or 8), and, unless the group is clearly several
    digits wide, must cross little ink: where two digits touch.
    """
    x0, _, x1, _ = box
    ratio = (x1 - x0) / max(width, 1.0)
    if ratio >= SURELY_SEVERAL:
        for k in range(max(2, round(ratio)), 1, -1):
            reach = 0.35 * (x1 - x0) / k
            cuts = [best_cut(mask, box, x0 + (x1 - x0) * j / k, reach)[0] for j in range(1, k)]
            if pieces_tall(mask, box, cuts) and not (k == 2 and _halves_of_loop(mask, cuts[0])):
                return cuts
    if ratio >= MAYBE_SEVERAL:
        cut, runs, ink = best_cut(mask, box, (x0 + x1) / 2, 0.22 * (x1 - x0))
        touching = runs == 1 or (runs == 2 and ink <= 1.2 * stroke)
        if touching and pieces_tall(mask, box, [cut]) and not _halves_of_loop(mask, cut):
            return [cut]
        return []
    return split_off_one(mask, box, stroke)


def _halves_of_loop(mask: Array, cut: int) -> bool:
    return facing_arcs(*_halves(mask, cut), loose=True)


def split_off_one(mask: Array, box: tuple[int, int, int, int], stroke: float) -> list[int]:
    """A cut separating a 1 that touches its neighbour (the only pair narrow enough)."""
    x0, _, x1, _ = box
    for ideal in (x0 + 0.3 * (x1 - x0), x0 + 0.5 * (x1 - x0), x0 + 0.7 * (x1 - x0)):
        cut, runs, ink = best_cut(mask, box, ideal, 0.12 * (x1 - x0))
        if runs != 1 or ink > 1.5 * stroke or not pieces_tall(mask, box, [cut], ONE_PIECE_HEIGHT):
            continue
        left, right, left_box, right_box = _halves(mask, cut)
        if one_like(left, left_box) or one_like(right, right_box):
            return [cut]
    return []


def regions_between(mask: Array, box: tuple[int, int, int, int], cuts: list[int]) -> list[Region]:
    """The pieces of a group's mask between cut columns."""
    if not cuts:
        return [Region(mask, box)]
    regions = []
    for a, b in itertools.pairwise([box[0], *cuts, box[2]]):
        part = np.zeros_like(mask)
        part[:, a:b] = mask[:, a:b]
        found = mask_box(part)
        if found is not None:
            regions.append(Region(part, found))
    return regions


def split_group(
    mask: Array, box: tuple[int, int, int, int], width: float, stroke: float
) -> list[Region]:
    """One region per digit of a group that may hold several touching digits."""
    return regions_between(mask, box, pieces_in(mask, box, width, stroke))


def digit_groups(parts: Components) -> list[list[int]]:
    """Components grouped into digits: stacked strokes, then broken strokes linked
    (specks included, so the dashes of a dashed digit count), then leftovers absorbed."""
    ids = not_clutter(parts)
    if not ids:
        return []
    limit = speck_limit(parts, ids)
    big = [i for i in ids if parts.areas[i] >= limit]
    small = [[i] for i in ids if SPECK_PIXELS <= parts.areas[i] < limit]
    groups = link_fragments(parts, stacked_groups(parts, big) + small)
    groups = [g for g in groups if int(parts.areas[g].sum()) >= limit]
    return join_arcs(parts, absorb_fragments(parts, groups))


def number_regions(mask: Array, photo: bool = False) -> list[Region]:
    """The digits of a number, left to right.

    In a photo, groups touching the image's border are dropped when others do not.
    """
    parts = label_components(mask)
    groups = digit_groups(parts)
    if not groups:
        return []
    boxes = [union(parts.boxes[g]) for g in groups]
    if photo:
        inner = [k for k, b in enumerate(boxes) if not touches_border(np.array(b), parts.shape)]
        if inner:
            groups, boxes = [groups[k] for k in inner], [boxes[k] for k in inner]
    width, stroke = typical_width(boxes), mask_stroke_width(mask)
    regions: list[Region] = []
    for group, box in zip(groups, boxes, strict=True):
        regions.extend(split_group(parts.mask(group), box, width, stroke))
    return sorted(regions, key=lambda r: (r.box[0] + r.box[2]) / 2)
