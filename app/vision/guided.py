"""Touching digits cut where the network reads the pieces best: recognition-guided cuts.

The geometric segmentation (``app.vision.numbers``) cuts a group of strokes wider
than a digit at the ink valleys near where evenly spaced digits would meet. Real
writers' digits are not evenly spaced: a 1 beside a 0, a 6 whose loop leans on
the next digit, three digits joined by one stroke. There the geometric cut falls
in the wrong valley, or no cut is made and two digits are read as one. So for a
group that may hold several digits the network is asked:

1. the candidate cuts are the columns at the bottom of the group's ink valleys
   (local minima of its column ink profile) and the geometric cuts; a cut crosses
   at most two strokes and leaves no loop in facing halves, unless the group is so
   wide it must hold several digits (then they may overlap, and up to four);
2. every stretch between two candidate cuts that could be one digit (not a
   sliver, not much wider than a digit, holding a stroke nearly as tall as the
   group) is cut out as the network sees it, and all are read in one batch;
3. dynamic programming over the cuts picks the pieces that read best: the sum,
   over the pieces, of the log-probability of the piece's best digit (times the
   probability that it is a digit at all, for a network that says so), less a
   cost for pieces wider than a digit and for each piece beyond the first;
4. the geometric cuts are kept unless the guided ones read clearly better
   (``MARGIN``): the network's confidence is not trusted on its own;
5. where a piece is still wider than a digit (``LEAN_FROM``), steps 1-4 are
   done again with the group stood upright at the hand's usual leans
   (``app.vision.slant``): two leaning digits overlap in every column between
   them, and only a cut along their lean parts them;
6. the other way round, a narrow piece close beside another (a 4's upright, a
   5's bar or a 7's stem drawn apart from the rest) joins it when the two read
   clearly better as one digit than apart (``JOIN_MARGIN``).

The reader (a network's ``read``) and the render (a region to its 28x28 image)
are passed in, so this module holds no network and its geometry is tested with
a reader that is a plain function.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from app.vision.boxes import mask_box
from app.vision.components import Region
from app.vision.numbers import (
    SURELY_SEVERAL,
    NumberLayout,
    halves_of_loop,
    pieces_in,
    pieces_tall,
    regions_between,
    runs_in,
)
from app.vision.slant import CUT_SLANTS, Shear, shear_upright

Array = np.ndarray
Box = tuple[int, int, int, int]
#: ``(n, 28, 28)`` images -> ``(n, 10)`` digit probabilities and ``(n,)`` not-a-digit ones.
Reader = Callable[[Array], tuple[Array, Array]]
#: A region of the analysis grid -> its 28x28 image as the network sees it (None: no ink).
Render = Callable[[Region], Array | None]

#: A group at least this many typical digit widths wide may hold several digits.
GUIDE_FROM = 1.2
#: Candidate cuts: at most this many per typical digit width of the group.
CUTS_PER_DIGIT = 3
#: A valley's bottom is the least ink within this share of the group's height either side.
VALLEY_REACH = 0.08
#: ... and its depth is measured against the most ink within this share either side.
DEPTH_REACH = 0.4
#: A cut crosses at most this many strokes: where digits touch, or one digit's stroke
#: runs into the next; more is through a digit (both sides of a 0, a 9's loop and stem).
CUT_RUNS = 2
#: A group this many typical digit widths wide holds several digits whatever its cuts; where
#: they overlap (a 0 leaning into the 5 beside it) every cut between them crosses three or
#: four strokes, so there a cut may cross this many, and the reading decides.
WIDE_CUT_RUNS = 4
#: A piece is at least this share of the group's height wide (a 1 with its slant) ...
PIECE_MIN_WIDTH = 0.1
#: ... and at most this many typical digit widths (wider: two digits, unless nothing cuts).
PIECE_MAX_WIDTH = 1.8
#: Pieces must hold one stroke at least this share of the group's height tall: real
#: writers' neighbouring digits differ in height and sit on a wavy line.
PIECE_STROKE = 0.75
#: Log-probability cost per typical digit width a piece is wider than ``WIDE_FROM``.
WIDE_COST = 2.0
WIDE_FROM = 1.0
#: Log-probability cost of each piece beyond the first: a cut must earn its keep.
PIECE_COST = 0.15
#: The guided cuts replace the geometric ones when they read this much better (log).
MARGIN = 0.5
#: A piece narrower than this many typical digit widths may be a stroke of its neighbour
#: (a 4's upright, a 5's bar, a 7's stem drawn apart) ...
PART_WIDTH = 0.5
#: ... when at most this share of the height away from it, their union no wider than
PART_GAP = 0.25
#: ... this many digit widths; they are joined when the union reads this much better
#: (log) than the two apart.
PAIR_WIDTH = 1.3
JOIN_MARGIN = 0.5
#: A piece wider than this many typical digit widths after the straight cuts is sought
#: again along the hand's lean (``app.vision.slant``): two digits leaning into each other.
LEAN_FROM = 1.25
#: ... and a lean's pieces replace the straight ones when they read this much better (log):
#: twice ``MARGIN``, for a sheared wide 0 or 8 can lose the loop that keeps it whole.
LEAN_MARGIN = 1.0
#: Probabilities are floored here before the log: one unreadable piece is not infinitely bad.
FLOOR = 1e-4


@dataclass
class Candidates:
    """A group, its cut positions (ends included) and the stretches worth reading."""

    group: Region
    positions: list[int]
    stretches: list[tuple[int, int]]
    shear: Shear | None = None  # the group is stood upright; pieces are sheared back


def valley_columns(mask: Array, box: Box, stroke: float) -> list[int]:
    """Columns at the bottom of the group's ink valleys, deepest first.

    A column is a valley's bottom when no column within ``VALLEY_REACH`` of the
    height holds less ink (along a flat bottom, the middle of the flat stretch);
    its depth is how far the ink rises on its lower side within ``DEPTH_REACH``,
    so the thin ends of a group (the sides of a 0) are shallow.
    """
    x0, y0, x1, y1 = box
    profile = mask[y0:y1, x0:x1].sum(axis=0).astype(np.float64)
    if len(profile) < 3:
        return []
    smooth = max(1, round(stroke / 2))
    profile = np.convolve(profile, np.ones(2 * smooth + 1) / (2 * smooth + 1), mode="same")
    reach = max(2, round(VALLEY_REACH * (y1 - y0)))
    padded = np.pad(profile, reach, constant_values=np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    bottoms = np.flatnonzero(profile <= windows.min(axis=1) + 1e-9)
    flats = np.split(bottoms, np.flatnonzero(np.diff(bottoms) > 1) + 1)
    middles = [int(run[len(run) // 2]) for run in flats if len(run)]
    far = max(reach, round(DEPTH_REACH * (y1 - y0)))

    def depth(c: int) -> float:
        left = profile[max(0, c - far) : c + 1].max()
        right = profile[c : c + far + 1].max()
        return float(min(left, right) - profile[c])

    return [x0 + c for c in sorted(middles, key=lambda c: -depth(c))]


def candidate_cuts(
    mask: Array, box: Box, width: float, stroke: float, known: list[int]
) -> list[int]:
    """Where the group may be cut: the ``known`` (geometric) cuts and the deepest
    valleys, none closer than a narrow piece to an end or to another cut, none
    crossing more than ``CUT_RUNS`` strokes or leaving the two halves of a loop."""
    x0, y0, x1, y1 = box
    narrow = max(2.0, PIECE_MIN_WIDTH * (y1 - y0))
    budget = max(2, round(CUTS_PER_DIGIT * (x1 - x0) / max(width, 1.0)))
    runs = WIDE_CUT_RUNS if x1 - x0 >= SURELY_SEVERAL * width else CUT_RUNS
    chosen = list(known)
    for column in valley_columns(mask, box, stroke):
        if len(chosen) >= budget + len(known):
            break
        away = column - x0 >= narrow and x1 - column >= narrow
        spaced = all(abs(column - c) >= narrow for c in chosen)
        if away and spaced and cuttable(mask, box, column, runs):
            chosen.append(column)
    return sorted(set(chosen))


def cuttable(mask: Array, box: Box, column: int, runs: int = CUT_RUNS) -> bool:
    """Whether a cut down ``column``, crossing at most ``runs`` strokes, could separate
    two digits."""
    crossed = runs_in(mask[box[1] : box[3], column])
    if runs > CUT_RUNS:
        return crossed <= runs
    return crossed <= runs and not halves_of_loop(mask, column)


def stretches_of(
    mask: Array, box: Box, positions: list[int], width: float, always: list[list[int]]
) -> list[tuple[int, int]]:
    """The stretches between two positions that could hold one digit, and those of
    the ``always`` segmentations (the geometric one and the whole group)."""
    x0, y0, x1, y1 = box
    narrow = PIECE_MIN_WIDTH * (y1 - y0)
    out = set()
    for a, b in itertools.combinations(positions, 2):
        if b - a < narrow or b - a > PIECE_MAX_WIDTH * width:
            continue
        if pieces_tall(mask, (a, y0, b, y1), [], PIECE_STROKE):
            out.add((a, b))
    for cuts in always:
        out.update(itertools.pairwise([x0, *cuts, x1]))
    return sorted(out)


def piece_score(probabilities: Array, refused: Array) -> Array:
    """Log of how surely each image is one digit: its best digit's probability times the
    probability that it is a digit at all."""
    sure = probabilities.max(axis=1) * (1.0 - refused)
    return np.log(np.maximum(sure, FLOOR))


def width_cost(span: int, width: float) -> float:
    """The prior against pieces wider than a digit."""
    return WIDE_COST * max(0.0, span / max(width, 1.0) - WIDE_FROM)


def best_cuts(
    positions: Sequence[int], scores: dict[tuple[int, int], float], width: float
) -> tuple[list[int], float]:
    """The cuts among ``positions`` (first and last are the group's ends) whose pieces
    score best in total, and that total; only the stretches in ``scores`` may be pieces."""
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for j in range(1, len(positions)):
        for i in range(j):
            if i not in best or (positions[i], positions[j]) not in scores:
                continue
            total = best[i][0] + segment_value(positions[i], positions[j], scores, width)
            if j not in best or total > best[j][0]:
                cuts = best[i][1] + ([positions[i]] if i else [])
                best[j] = (total, cuts)
    last = len(positions) - 1
    if last not in best:
        return [], float("-inf")
    total, cuts = best[last]
    return cuts, total + PIECE_COST  # the first piece is free


def segment_value(a: int, b: int, scores: dict[tuple[int, int], float], width: float) -> float:
    """What one piece adds to a segmentation's total."""
    return scores[(a, b)] - width_cost(b - a, width) - PIECE_COST


def total_of(
    cuts: list[int], box: Box, scores: dict[tuple[int, int], float], width: float
) -> float:
    """A given segmentation's total, as ``best_cuts`` counts it."""
    ends = [box[0], *cuts, box[2]]
    return PIECE_COST + sum(segment_value(a, b, scores, width) for a, b in itertools.pairwise(ends))


def guided_regions(layout: NumberLayout, render: Render, reader: Reader) -> list[Region]:
    """The digits of a number, left to right: the geometric segmentation, with the
    groups that may hold several digits cut where the network reads them best."""
    regions: list[Region] = []
    searched: list[tuple[Region, list[int]]] = []
    for group in layout.groups:
        known = pieces_in(group.mask, group.box, layout.width, layout.stroke)
        x0, _, x1, _ = group.box
        if not known and x1 - x0 < GUIDE_FROM * layout.width:
            regions.append(group)
        else:
            searched.append((group, known))
    for pieces in cut_groups(searched, layout, render, reader):
        regions.extend(pieces)
    regions.sort(key=lambda r: (r.box[0] + r.box[2]) / 2)
    return join_parts(regions, layout.width, render, reader)


def cut_groups(
    groups: list[tuple[Region, list[int]]], layout: NumberLayout, render: Render, reader: Reader
) -> list[list[Region]]:
    """Each group's pieces (given with its geometric cuts): cut straight down, and where
    that leaves a piece wider than a digit, also along the hand's leans
    (``app.vision.slant``), the best way kept. The stretches of all groups are read in one
    batch, and those of the leans in another."""
    ways = [[candidates_at(group, layout, known)] for group, known in groups]
    straight = read_stretches([candidates for ((_, candidates),) in ways], render, reader)
    scores = [[own] for own in straight]
    pieces = [best_way(w, own, layout) for w, own in zip(ways, scores, strict=True)]
    leaning = [k for k, cut in enumerate(pieces) if too_wide(cut, layout)]
    for k in leaning:  # perhaps two leaning digits, the top of one over the foot of the next
        group = groups[k][0]
        ways[k] += [leaning_candidates(group, layout, shear) for shear in leans_of(group)]
    more = iter(read_stretches([c for k in leaning for _, c in ways[k][1:]], render, reader))
    for k in leaning:
        scores[k] += [next(more) for _ in ways[k][1:]]
        pieces[k] = best_way(ways[k], scores[k], layout)
    return pieces


def best_way(
    ways: list[tuple[list[int], Candidates]],
    scores: list[dict[tuple[int, int], float]],
    layout: NumberLayout,
) -> list[Region]:
    """The pieces of one group as the best of its ways reads them: in each way (straight
    down, or along a lean) the guided cuts if they read clearly better than the geometric
    ones (``MARGIN``); a lean only if it reads clearly better still (``LEAN_MARGIN``)."""
    width = layout.width
    best_value, best_pieces = float("-inf"), [ways[0][1].group]
    for k, ((known, candidates), own) in enumerate(zip(ways, scores, strict=True)):
        group = candidates.group
        chosen, total = best_cuts(candidates.positions, own, width)
        geometric = total_of(known, group.box, own, width)
        cuts, value = (chosen, total) if total > geometric + MARGIN else (known, geometric)
        if k == 0 or value > best_value + LEAN_MARGIN:
            pieces = regions_between(group.mask, group.box, cuts)
            best_value = value
            best_pieces = [as_written(piece, candidates.shear) for piece in pieces]
    return best_pieces


def too_wide(pieces: list[Region], layout: NumberLayout) -> bool:
    """Whether a piece is wider than ``LEAN_FROM`` digits: two digits the cut missed."""
    return any(p.box[2] - p.box[0] > LEAN_FROM * layout.width for p in pieces)


def leans_of(group: Region) -> list[Shear]:
    """The shears that stand the group upright at each lean of ``CUT_SLANTS``."""
    return [shear_upright(group.mask.shape[0], group.box, slant) for slant in CUT_SLANTS]


def leaning_candidates(
    group: Region, layout: NumberLayout, shear: Shear
) -> tuple[list[int], Candidates]:
    """The group stood upright by ``shear``: its geometric cuts there and its candidates."""
    group = upright(group, shear)
    known = pieces_in(group.mask, group.box, layout.width, layout.stroke)
    return candidates_at(group, layout, known, shear)


def candidates_at(
    group: Region, layout: NumberLayout, known: list[int], shear: Shear | None = None
) -> tuple[list[int], Candidates]:
    """The group's geometric cuts ``known`` and its candidate cuts and stretches."""
    cuts = candidate_cuts(group.mask, group.box, layout.width, layout.stroke, known)
    positions = [group.box[0], *cuts, group.box[2]]
    stretches = stretches_of(group.mask, group.box, positions, layout.width, [known, []])
    return known, Candidates(group, positions, stretches, shear)


def upright(group: Region, shear: Shear) -> Region:
    """The group sheared upright, in a frame wider by the shear's pad."""
    mask = shear.upright(group.mask)
    return Region(mask, mask_box(mask) or (0, 0, mask.shape[1], mask.shape[0]))


def as_written(piece: Region, shear: Shear | None) -> Region:
    """A piece cut from an upright group, sheared back to where it was written."""
    if shear is None:
        return piece
    mask = shear.back(piece.mask)
    return Region(mask, mask_box(mask) or piece.box)


def may_be_parts(left: Region, right: Region, width: float) -> bool:
    """Two neighbouring pieces, one narrow, close together, no wider together than a digit
    or so: perhaps the strokes of one digit drawn apart."""
    narrow = min(left.box[2] - left.box[0], right.box[2] - right.box[0]) < PART_WIDTH * width
    height = max(left.box[3] - left.box[1], right.box[3] - right.box[1])
    gap = right.box[0] - left.box[2]
    span = max(left.box[2], right.box[2]) - min(left.box[0], right.box[0])
    return narrow and gap <= PART_GAP * height and span <= PAIR_WIDTH * width


def joined(left: Region, right: Region) -> Region:
    box = (
        min(left.box[0], right.box[0]),
        min(left.box[1], right.box[1]),
        max(left.box[2], right.box[2]),
        max(left.box[3], right.box[3]),
    )
    return Region(left.mask | right.mask, box)


def join_parts(regions: list[Region], width: float, render: Render, reader: Reader) -> list[Region]:
    """Neighbouring pieces that read better as one digit than as two become one: the
    strokes of a 4, 5 or 7 drawn apart, each taken for a digit of its own."""
    pairs = [k for k in range(len(regions) - 1) if may_be_parts(regions[k], regions[k + 1], width)]
    if not pairs:
        return regions
    trios = [(regions[k], regions[k + 1], joined(regions[k], regions[k + 1])) for k in pairs]
    rendered = [render(r) for trio in trios for r in trio]
    images = [image for image in rendered if image is not None]
    if len(images) < len(rendered):
        return regions
    probabilities, refused = reader(np.stack(images).astype(np.float32, copy=False))
    scores = piece_score(probabilities, refused).reshape(-1, 3)
    out: list[Region] = []
    skip = -1
    for k, region in enumerate(regions):
        if k == skip:
            continue
        if k in pairs:
            apart, together = scores[pairs.index(k)][:2].sum(), scores[pairs.index(k)][2]
            if together > apart + JOIN_MARGIN:
                out.append(trios[pairs.index(k)][2])
                skip = k + 1
                continue
        out.append(region)
    return out


def stretch_region(mask: Array, a: int, b: int) -> Region | None:
    """The group's ink between columns ``a`` and ``b``."""
    part = np.zeros_like(mask)
    part[:, a:b] = mask[:, a:b]
    box = mask_box(part)
    return Region(part, box) if box is not None else None


def read_stretches(
    searched: list[Candidates], render: Render, reader: Reader
) -> list[dict[tuple[int, int], float]]:
    """Every candidate stretch of every group read in one batch: its log score."""
    images: list[Array] = []
    keys: list[tuple[int, tuple[int, int]]] = []
    scores: list[dict[tuple[int, int], float]] = [{} for _ in searched]
    for k, candidates in enumerate(searched):
        group = candidates.group
        for a, b in candidates.stretches:
            piece = stretch_region(group.mask, a, b)
            image = render(as_written(piece, candidates.shear)) if piece is not None else None
            if image is None:
                scores[k][(a, b)] = float(np.log(FLOOR))
                continue
            images.append(image)
            keys.append((k, (a, b)))
    if images:
        probabilities, refused = reader(np.stack(images).astype(np.float32, copy=False))
        for (k, stretch), value in zip(keys, piece_score(probabilities, refused), strict=True):
            scores[k][stretch] = float(value)
    return scores
