"""A number of several digits: strokes grouped into digits, touching digits cut apart.

``number_regions(mask)`` works on the components that may be writing
(``app.vision.clutter``):

1. components whose columns overlap are one digit (stacked strokes: a 5's bar);
2. pieces of a broken or dashed stroke are linked, small leftovers join their
   nearest digit, and the two facing arcs of an unclosed 0 become one;
3. a group much wider than the typical digit holds touching digits and is cut at
   the columns with the least ink near the expected places (a 1 leaning on its
   neighbour is freed on its own);
4. the digits are ordered left to right, each a ``Region``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.vision.boxes import mask_box, touches_border, union, union_array
from app.vision.clutter import SPECK_PIXELS, not_clutter, speck_limit
from app.vision.components import Components, Region, label_components
from app.vision.geometry import mask_stroke_width

Array = np.ndarray


#: How curved (middle against ends, over the height) the two halves of an unclosed 0 are.
ARC_BULGE = 0.06
#: ... and how narrow (over their height).
ARC_WIDTH = 0.6
#: Typical width of a digit as a fraction of its height (MNIST's digits other than 1: 0.8).
DIGIT_ASPECT = 0.8
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
            if pieces_tall(mask, box, cuts) and not (k == 2 and halves_of_loop(mask, cuts[0])):
                return cuts
    if ratio >= MAYBE_SEVERAL:
        cut, runs, ink = best_cut(mask, box, (x0 + x1) / 2, 0.22 * (x1 - x0))
        touching = runs == 1 or (runs == 2 and ink <= 1.2 * stroke)
        if touching and pieces_tall(mask, box, [cut]) and not halves_of_loop(mask, cut):
            return [cut]
        return []
    return split_off_one(mask, box, stroke)


def halves_of_loop(mask: Array, cut: int) -> bool:
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


def digit_groups(parts: Components, photo: bool = False) -> list[list[int]]:
    """Components grouped into digits: stacked strokes, then broken strokes linked
    (specks included, so the dashes of a dashed digit count), then leftovers absorbed."""
    ids = not_clutter(parts, photo)
    if not ids:
        return []
    limit = speck_limit(parts, ids)
    big = [i for i in ids if parts.areas[i] >= limit]
    small = [[i] for i in ids if SPECK_PIXELS <= parts.areas[i] < limit]
    groups = link_fragments(parts, stacked_groups(parts, big) + small)
    groups = [g for g in groups if int(parts.areas[g].sum()) >= limit]
    return join_arcs(parts, absorb_fragments(parts, groups))


@dataclass
class NumberLayout:
    """A number's groups of strokes (each one digit or several touching ones), left to
    right, with the typical digit's width and the pen's stroke width."""

    groups: list[Region]
    width: float
    stroke: float


def number_layout(mask: Array, photo: bool = False) -> NumberLayout:
    """The groups of a number before touching digits are cut apart.

    In a photo, groups touching the image's border are dropped when others do not.
    """
    parts = label_components(mask)
    groups = digit_groups(parts, photo)
    if not groups:
        return NumberLayout([], 0.0, 0.0)
    boxes = [union(parts.boxes[g]) for g in groups]
    if photo:
        inner = [k for k, b in enumerate(boxes) if not touches_border(np.array(b), parts.shape)]
        if inner:
            groups, boxes = [groups[k] for k in inner], [boxes[k] for k in inner]
    regions = [Region(parts.mask(g), b) for g, b in zip(groups, boxes, strict=True)]
    regions.sort(key=lambda r: r.box[0])
    return NumberLayout(regions, typical_width(boxes), mask_stroke_width(mask))


def number_regions(mask: Array, photo: bool = False) -> list[Region]:
    """The digits of a number, left to right (touching digits cut at ink valleys)."""
    layout = number_layout(mask, photo)
    regions: list[Region] = []
    for group in layout.groups:
        regions.extend(split_group(group.mask, group.box, layout.width, layout.stroke))
    return sorted(regions, key=lambda r: (r.box[0] + r.box[2]) / 2)
