"""What on the page is not writing: specks, ruled lines, photo corners, pens and frames.

Works on the analysis-resolution ink mask's connected components
(``app.vision.components``) and answers, component by component, whether it is
clutter:

- **specks**: components far smaller than the largest (``speck_limit``);
- **ruled or squared-paper lines**: spanning the image from border to border
  while thin, or a lattice covering little of its box (``is_line``);
- **a photo's corner**: a blob in a corner lying along both borders;
- **the page's edge in a photo**: what the paper analysis left of the table beside
  the sheet, lying along a border of the image over a long run or as a shallow
  sliver (``on_page_edge``, ``is_sliver``);
- **a pen, pencil or marker lying on the page**: a straight, solid band far wider
  than the curved writing's strokes (``pens``);
- **a frame round the writing**: a circled answer or a form's box, closed or not,
  that holds the other ink (``frames``).

``meaningful(parts)`` is what is left: the components that may be writing.
"""

from __future__ import annotations

import numpy as np

from app.vision.boxes import strictly_inside, touches_border
from app.vision.components import Components, label_components
from app.vision.geometry import mask_stroke_width

Array = np.ndarray


#: A component smaller than this fraction of the largest one is a speck ...
SPECK_FRACTION = 0.03
#: ... and so is one of fewer pixels than this.
SPECK_PIXELS = 3
#: A line runs from border to border (ending this fraction of the size from each) ...
LINE_END = 0.03
#: ... and is at most this thick for its length; a lattice (a grid) covers at most
#: ``LINE_FILL`` of its bounding box.
LINE_THICKNESS = 0.12
LINE_FILL = 0.15
#: A blob in a corner of the image, at most this fraction of its width and height, lying
#: along this fraction of both borders, is the photo's corner, not writing.
CORNER_SIZE = 0.25
CORNER_CONTACT = 0.5
#: In a photo, a component touching a border of the image over at least this share of
#: that side, and along at least ``EDGE_CONTACT`` of its own extent there, without
#: reaching the opposite border, is the table beside the sheet: where the page's edge
#: runs at a slant, the paper analysis leaves wedges of table in the blocks it shares
#: with the page. A stroke that leaves the photo crosses the border only for its width.
EDGE_RUN = 0.15
EDGE_CONTACT = 0.6
#: So is a shorter sliver, over at least this share of the side, reaching no deeper into
#: the image than it runs along the border ...
SLIVER_RUN = 0.05
#: ... nor than this share of the image (a digit merged with a dark band of light along
#: the border reaches deeper). A sliver is no writing even when nothing else is there.
SLIVER_DEPTH = 0.25
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


def _border_runs(parts: Components, i: int) -> list[tuple[int, int, int, int]]:
    """For each border component ``i`` touches but does not reach across the image from
    (a stroke of a digit cropped close does): its pixels on the border, its extent
    along the border, its depth across it, and the border's length."""
    h, w = parts.shape
    x0, y0, x1, y1 = (int(v) for v in parts.boxes[i])
    along_rows, along_columns = (y0 == 0) != (y1 == h), (x0 == 0) != (x1 == w)
    if not (along_rows or along_columns):
        return []
    own = parts.crop(i)  # over its box: the box's edge on the border is the border
    runs = []
    if along_rows:
        runs.append((int(own[0 if y0 == 0 else -1].sum()), x1 - x0, y1 - y0, w))
    if along_columns:
        runs.append((int(own[:, 0 if x0 == 0 else -1].sum()), y1 - y0, x1 - x0, h))
    return runs


def on_page_edge(parts: Components, i: int) -> bool:
    """Component ``i`` lies along a border of the image: touching it along ``EDGE_CONTACT``
    of its extent there, over ``EDGE_RUN`` of the side, or a sliver (``is_sliver``)."""
    runs = _border_runs(parts, i)
    return _sliver(runs, parts.shape) or any(
        run >= EDGE_CONTACT * extent and run >= EDGE_RUN * side for run, extent, _, side in runs
    )


def is_sliver(parts: Components, i: int) -> bool:
    """Component ``i`` lies along a border of the image over ``SLIVER_RUN`` of the side,
    reaching no deeper into the image than that run, nor than ``SLIVER_DEPTH`` of it: a
    sliver of table."""
    return _sliver(_border_runs(parts, i), parts.shape)


def _sliver(runs: list[tuple[int, int, int, int]], shape: tuple[int, int]) -> bool:
    across = sum(shape)  # minus a border's length: the image's size across that border
    return any(
        run >= EDGE_CONTACT * extent
        and run >= SLIVER_RUN * side
        and depth <= min(run, SLIVER_DEPTH * (across - side))
        for run, extent, depth, side in runs
    )


def not_clutter(parts: Components, photo: bool = False) -> list[int]:
    """Components that are neither lines, corners, pens nor frames, nor in a ``photo`` the
    page's edge (a lone line is kept: it is then the digit, a 1 drawn from top to bottom;
    so is ink along the photo's border that reaches deep into it when there is nothing
    else: a digit cropped close, its bar on the border)."""
    lines = {
        i for i in range(parts.count) if is_line(parts.boxes[i], int(parts.areas[i]), parts.shape)
    }
    corners = {i for i in range(parts.count) if in_corner(parts, i)}
    rest = [i for i in range(parts.count) if i not in lines | corners]
    if photo and rest:
        on_page = [i for i in rest if not on_page_edge(parts, i)]
        if on_page and parts.areas[on_page].max() >= speck_limit(parts, rest):
            rest = on_page
        else:  # no writing but the page's edge: a digit cropped close is deep, a sliver not
            rest = [i for i in rest if not is_sliver(parts, i)]
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


def meaningful(parts: Components, photo: bool = False) -> list[int]:
    """Components that are neither specks nor clutter, largest first."""
    ids = not_clutter(parts, photo)
    if not ids:
        return []
    return sorted(not_specks(parts, ids), key=lambda i: -int(parts.areas[i]))
