"""Boxes: ``x0, y0, x1, y1`` in pixels, the right and bottom edges exclusive.

Components (``app.vision.components``) come with one box each, as rows of an
``(n, 4)`` array; digits, frames and the regions cut out are judged by their
boxes. These helpers are the few questions every room asks of them: the box of a
mask, the box round several boxes, whether one lies inside another, whether a
box reaches the image's border, and how far apart two boxes are.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray
Box = tuple[int, int, int, int]


def mask_box(mask: Array) -> Box | None:
    """The tightest box round the true pixels of a 2-D mask, or None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def union(boxes: Array) -> Box:
    """The box round every box of an ``(n, 4)`` array (n >= 1)."""
    return (
        int(boxes[:, 0].min()),
        int(boxes[:, 1].min()),
        int(boxes[:, 2].max()),
        int(boxes[:, 3].max()),
    )


def union_array(boxes: Array) -> Array:
    """``union`` as a float row, for arithmetic with other boxes."""
    return np.array(union(boxes), dtype=np.float64)


def strictly_inside(inner: Array, outer: Array) -> bool:
    """Whether ``inner`` lies inside ``outer`` without touching its edges."""
    return bool(
        inner[0] > outer[0] and inner[1] > outer[1] and inner[2] < outer[2] and inner[3] < outer[3]
    )


def touches_border(boxes: Array, shape: tuple[int, int]) -> Array:
    """Whether each box (one ``(4,)`` box or ``(n, 4)`` rows) reaches the border of an
    image of ``shape`` (height, width)."""
    h, w = shape
    return (boxes[..., 0] == 0) | (boxes[..., 1] == 0) | (boxes[..., 2] == w) | (boxes[..., 3] == h)


def near(box: Array, region: Box, reach: float) -> bool:
    """Whether ``box`` is within ``reach`` times the region's longer side of ``region``."""
    x0, y0, x1, y1 = region
    dx = max(0.0, x0 - float(box[2]), float(box[0]) - x1)
    dy = max(0.0, y0 - float(box[3]), float(box[1]) - y1)
    return max(dx, dy) <= reach * max(x1 - x0, y1 - y0)
