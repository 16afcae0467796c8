"""Which ink is a digit: specks and ruled lines out, strokes grouped into digits.

Works on the analysis-resolution ink mask and its connected components:

- **Clutter.** Specks (components far smaller than the largest) and ruled or
  squared-paper lines (components spanning most of the image while covering
  little of their bounding box) are dropped.
- **One digit** (``digit_region``): the largest component and everything of
  some size near it: a 5 or a 4 drawn in two strokes, the dot of a badly closed 0.
- **A number** (``number_regions``): components whose columns overlap are one
  digit (stacked strokes); small leftovers join their nearest digit; a group
  much wider than the typical digit holds touching digits and is cut at the
  columns with the least ink near the expected places; the digits are ordered
  left to right.

A region is a boolean mask over the analysis image plus its bounding box.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from app.components import Components, label_components

Array = np.ndarray

#: A component smaller than this fraction of the largest one is a speck ...
SPECK_FRACTION = 0.03
#: ... and so is one of fewer pixels than this.
SPECK_PIXELS = 3
#: Components at least this fraction of the largest one count wherever they are.
MAJOR_FRACTION = 0.5
#: A line spans at least this fraction of the image width or height ...
LINE_SPAN = 0.8
#: ... while covering at most this fraction of its bounding box.
LINE_FILL = 0.12
#: Typical width of a digit as a fraction of its height (used to cut touching digits).
DIGIT_ASPECT = 0.62


@dataclass
class Region:
    """The ink of one digit on the analysis grid."""

    mask: Array  # boolean, analysis-image shape
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def _box_of(boxes: Array) -> tuple[int, int, int, int]:
    return (
        int(boxes[:, 0].min()),
        int(boxes[:, 1].min()),
        int(boxes[:, 2].max()),
        int(boxes[:, 3].max()),
    )


def is_line(box: Array, area: int, shape: tuple[int, int]) -> bool:
    """A ruled line, a grid or a page edge: long and sparse."""
    w, h = int(box[2] - box[0]), int(box[3] - box[1])
    long = w >= LINE_SPAN * shape[1] or h >= LINE_SPAN * shape[0]
    return long and area <= LINE_FILL * w * h


def meaningful(parts: Components) -> list[int]:
    """Components that are neither specks nor lines, largest first."""
    ids = [
        i
        for i in range(parts.count)
        if not is_line(parts.boxes[i], int(parts.areas[i]), parts.shape)
    ]
    if not ids:
        return []
    largest = max(int(parts.areas[i]) for i in ids)
    limit = max(SPECK_PIXELS, SPECK_FRACTION * largest)
    kept = [i for i in ids if parts.areas[i] >= limit]
    return sorted(kept, key=lambda i: -int(parts.areas[i]))


def _near(box: Array, region: tuple[int, int, int, int], reach: float) -> bool:
    x0, y0, x1, y1 = region
    dx = max(0.0, x0 - float(box[2]), float(box[0]) - x1)
    dy = max(0.0, y0 - float(box[3]), float(box[1]) - y1)
    return max(dx, dy) <= reach * max(x1 - x0, y1 - y0)


def digit_region(mask: Array) -> Region | None:
    """The one digit: the largest component and the sizeable ink close to it."""
    parts = label_components(mask)
    ids = meaningful(parts)
    if not ids:
        return None
    chosen = [ids[0]]
    largest = int(parts.areas[ids[0]])
    for i in ids[1:]:
        region = _box_of(parts.boxes[chosen])
        major = parts.areas[i] >= MAJOR_FRACTION * largest
        if major or _near(parts.boxes[i], region, 0.25):
            chosen.append(i)
    return Region(parts.mask(chosen), _box_of(parts.boxes[chosen]))


# -- numbers ---------------------------------------------------------------------------
def _overlap(a: Array, b: Array) -> float:
    """Shared columns of two boxes over the narrower width."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    return float(shared) / float(max(1, min(a[2] - a[0], b[2] - b[0])))


def column_groups(parts: Components, ids: list[int]) -> list[list[int]]:
    """Components stacked over the same columns are one digit."""
    order = sorted(ids, key=lambda i: int(parts.boxes[i, 0]))
    groups: list[list[int]] = []
    for i in order:
        for group in groups:
            if any(_overlap(parts.boxes[i], parts.boxes[j]) >= 0.5 for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def absorb_small(parts: Components, groups: list[list[int]]) -> list[list[int]]:
    """Groups far smaller than the typical digit join the nearest group."""
    if len(groups) < 2:
        return groups
    area = [int(parts.areas[g].sum()) for g in groups]
    typical = float(np.median(area))
    big = [g for g, a in zip(groups, area, strict=True) if a >= 0.2 * typical]
    for g, a in zip(groups, area, strict=True):
        if a < 0.2 * typical and big:
            centre = parts.boxes[g][:, [0, 2]].mean()
            nearest = min(big, key=lambda h: abs(parts.boxes[h][:, [0, 2]].mean() - centre))
            nearest.extend(g)
    return big


def expected_width(boxes: list[tuple[int, int, int, int]]) -> float:
    """The width of one digit, from the heights (and the narrow groups' widths)."""
    heights = np.array([b[3] - b[1] for b in boxes], dtype=np.float64)
    return DIGIT_ASPECT * float(np.median(heights))


def cut_columns(mask: Array, box: tuple[int, int, int, int], pieces: int) -> list[int]:
    """Where to cut a group of touching digits: the emptiest column near each ideal place."""
    x0, y0, x1, y1 = box
    profile = mask[y0:y1, x0:x1].sum(axis=0).astype(np.float64)
    width = x1 - x0
    cuts = []
    for k in range(1, pieces):
        ideal = width * k / pieces
        lo = max(1, int(ideal - 0.3 * width / pieces))
        hi = min(width - 1, int(ideal + 0.3 * width / pieces) + 1)
        if hi <= lo:
            continue
        window = profile[lo:hi] + 1e-3 * np.abs(np.arange(lo, hi) - ideal)
        cuts.append(x0 + lo + int(np.argmin(window)))
    return cuts


def split_group(mask: Array, box: tuple[int, int, int, int], width: float) -> list[Region]:
    """One region per digit of a group that may hold several touching digits."""
    x0, _, x1, _ = box
    pieces = max(1, round((x1 - x0) / width)) if width > 0 else 1
    if pieces == 1 or (x1 - x0) < 1.45 * width:
        return [Region(mask, box)]
    edges = [x0, *cut_columns(mask, box, pieces), x1]
    regions = []
    for a, b in itertools.pairwise(edges):
        part = np.zeros_like(mask)
        part[:, a:b] = mask[:, a:b]
        found = _tight_box(part)
        if found is not None:
            regions.append(Region(part, found))
    return regions


def _tight_box(mask: Array) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def number_regions(mask: Array) -> list[Region]:
    """The digits of a number, left to right."""
    parts = label_components(mask)
    ids = meaningful(parts)
    if not ids:
        return []
    groups = absorb_small(parts, column_groups(parts, ids))
    boxes = [_box_of(parts.boxes[g]) for g in groups]
    width = expected_width(boxes)
    regions: list[Region] = []
    for group, box in zip(groups, boxes, strict=True):
        regions.extend(split_group(parts.mask(group), box, width))
    return sorted(regions, key=lambda r: (r.box[0] + r.box[2]) / 2)
