"""The paper's light under the ink: a coarse grid of blocks, shadows and the table beyond.

The paper's brightness is estimated on a grid of blocks (a bright percentile of
each block), then a grey closing over the grid fills blocks covered by fat
strokes while keeping the edges of shadows, and near a sharp step of the light
(a cast shadow's edge) the paper is made exact. In a photo, wide dark regions
beyond a sharp edge, lying along the border, are off the page (a table) and hold no
ink, unless writing shows inside them. A clean drawing needs none of this: its
paper is its one flat background level (``drawing_paper``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.vision.boxes import touches_border
from app.vision.components import label_components
from app.vision.grey_levels import quantile
from app.vision.morphology import EDGE, closing, dilate, erode, reconstruct_dark
from app.vision.polarity import darker_than, flat_level

Array = np.ndarray


#: Blocks of the paper grid per shorter side of the analysis copy (at least).
PAPER_BLOCKS = 12
#: Bright percentile of a block taken as its paper level.
PAPER_PERCENTILE = 80
#: A clean drawing's background level covers at least this share of the image's border.
DRAWING_BORDER = 0.5
#: In a photo, blocks darker than this fraction of the page, reaching the border, are off it.
OFF_PAGE = 0.6
#: ... over at least this share of the region.
SHADOWED_INK_SHARE = 0.002
#: A table lies between the page and the photo's border: its blocks on the border are at
#: least this share of its blocks along the page. A digit cropped close, its fat strokes
#: dark blocks reaching the border, touches it only where its strokes end.
TABLE_CONTACT = 0.5
#: A block darker than this fraction of its brightest neighbour is at a sharp step of the
#: paper's light (a cast shadow's edge; vignetting changes far more slowly). Not for light
#: ink: on a dark board, fat chalk strokes lower blocks that much.
SHARP_STEP = 0.8
#: The paper is made exact this many blocks around such steps (one left the ends of a
#: shadow's edge, where it leaves the image, to the smooth grid).
STEP_REACH = 2
#: A block darker than this fraction of the paper around it is covered by ink.
INK_BLOCK_RATIO = 0.7


def _blocks(values: Array, block: int) -> Array:
    """``(rows, cols, block * block)`` view of an edge-padded 2-D array."""
    h, w = values.shape
    ph, pw = -(-h // block) * block, -(-w // block) * block
    padded = np.pad(values, ((0, ph - h), (0, pw - w)), mode="edge")
    tiles = padded.reshape(ph // block, block, pw // block, block).swapaxes(1, 2)
    return tiles.reshape(ph // block, pw // block, block * block)


def cover(grid: Array, block: int, shape: tuple[int, int]) -> Array:
    """A boolean block grid spread over the analysis pixels its blocks cover."""
    return np.repeat(np.repeat(grid > 0, block, axis=0), block, axis=1)[: shape[0], : shape[1]]


def upsample(grid: Array, block: int, shape: tuple[int, int]) -> Array:
    """Bilinear upsampling of a block grid onto the analysis pixels it covers."""
    image = Image.fromarray(grid.astype(np.float32), "F")
    box = (0.0, 0.0, shape[1] / block, shape[0] / block)
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR, box=box))


def block_size(shape: tuple[int, int]) -> int:
    return max(2, min(shape) // PAPER_BLOCKS)


def paper_grid(small: Array, block: int, photo: bool) -> tuple[Array, Array]:
    """Paper brightness per block, and the blocks that are not paper at all.

    A block's paper level is a bright percentile of its pixels. A block covered
    by a fat stroke is far darker than the paper a couple of blocks away (a
    grey closing over the grid); such blocks take the closed value. Blocks only
    somewhat darker are shadow or vignetting and keep theirs.

    In a photo, far darker blocks reaching the image's border are off the page
    (a table, a wall): not filled in, and reported so their ink is ignored.
    """
    tiles = _blocks(small, block)
    k = int(PAPER_PERCENTILE / 100 * (tiles.shape[2] - 1))
    level = np.partition(tiles, k, axis=2)[:, :, k]
    closed = closing(level, 2)
    off = off_page(level, small, block) if photo else np.zeros(level.shape, dtype=bool)
    covered = (level < INK_BLOCK_RATIO * closed) & ~off
    return np.where(covered, closed, level), off


def sharpen_steps(
    paper: Array, small: Array, grid: Array, block: int, ratio: float = OFF_PAGE
) -> Array:
    """The paper, exact along sharp steps of its brightness (the edge of a cast shadow):
    blocks darker than ``ratio`` times their brightest neighbour.

    The block grid is smooth: next to a sharp step, the bright side's level spills
    into the dark side, whose paper then reads as ink, in a band of saw teeth along
    the edge. Within ``STEP_REACH`` blocks of such steps the paper is at most the
    image's grey closing (a maximum then a minimum over a block-sized square), which
    keeps a step where it is while filling in strokes narrower than a block. Wider
    strokes stay dark in the closing; the paper is never taken darker than the
    shadow, the darkest block level around. Near the image's border the closing is
    reconstructed down towards the image: a shadow leaving the image at a slant ends
    in a tip narrower than the square, which the closing would fill in as lit paper,
    a wedge of false ink. (Not inside the page, where a stroke touching the shadow
    would be taken for shadow.)
    """
    steps = grid < ratio * dilate(grid, border=EDGE)
    if not steps.any():
        return paper
    near = cover(dilate(steps.astype(np.uint8), STEP_REACH, EDGE), block, small.shape)
    closed = closing(small, max(1, block // 2))
    rim = near.copy()  # the border's band of the zone where ``closed`` is used
    rim[block:-block, block:-block] = False
    if rim.any():
        closed = np.where(rim, reconstruct_dark(closed, small, 2 * block), closed)
    shadow = upsample(erode(grid, border=EDGE), block, small.shape)
    return np.where(near, np.minimum(paper, np.maximum(closed, shadow)), paper)


def off_page(level: Array, small: Array, block: int) -> Array:
    """Blocks beyond a sharp edge, as dark as the far side of it, reaching the image's border.

    A table or a wall meets the page at an edge: some blocks there are far
    darker than their brightest neighbour, and the table beyond is as dark as
    they are. A shadow or vignetting darkens gradually: not off the page. A
    shadow with a sharp edge (a phone or a hand over the page) looks like a
    table, but writing inside it is still far darker than the region itself.
    """
    dark = level < OFF_PAGE * quantile(level, 0.9)
    sharp = dark & (level < OFF_PAGE * dilate(level, border=EDGE))
    if not sharp.any():
        return sharp
    beyond = dark & (level <= float(level[sharp].max()) + 0.1)
    parts = label_components(beyond)
    edge = touches_border(parts.boxes, dark.shape)
    regions = {int(i): parts.mask([int(i)]) for i in np.flatnonzero(edge)}
    keep = [
        i
        for i, region in regions.items()
        if _table_like(region, sharp)
        and _along_border(region)
        and not _holds_writing(region, level, small, block)
    ]
    return parts.mask(keep)


def _table_like(region: Array, sharp: Array) -> bool:
    """Behind a sharp edge, and wide: some block with all its neighbours in the region
    (a stroke touching the border, however fat, is only one or two blocks wide)."""
    return bool((region & sharp).any() and erode(region.astype(np.uint8), border=EDGE).any())


def _along_border(region: Array) -> bool:
    """The region's blocks on the grid's border are at least ``TABLE_CONTACT`` of its
    blocks beside the rest of the grid (its edge along the page)."""
    ring = np.ones(region.shape, dtype=bool)
    ring[1:-1, 1:-1] = False
    inner_edge = region & ~erode(region.astype(np.uint8), border=EDGE).astype(bool) & ~ring
    return int((region & ring).sum()) >= TABLE_CONTACT * int(inner_edge.sum())


def _holds_writing(region: Array, level: Array, small: Array, block: int) -> bool:
    """Whether a dark region (blocks) holds strokes far darker than its own level."""
    pixels = small[cover(region.astype(np.uint8), block, small.shape)]
    own = max(float(np.median(level[region])), 1 / 255)
    return darker_than(pixels, own) >= max(12, SHADOWED_INK_SHARE * pixels.size)


def drawing_paper(small: Array, counts: Array | None = None) -> float | None:
    """The background level of a clean drawing (a canvas, a digital sketch), or None.

    Clean means flat (``flat_level``: much of the image at exactly one level, no
    noise around it) with that level all along most of the border, so it is the
    background and not the colour of a fat stroke. Such an image needs no
    lighting model: its paper is that one level everywhere. ``counts``: the pixels at
    each grey level, when they are known already (``polarity.level_counts``).
    """
    mode = flat_level(small, counts)
    if mode is None:
        return None
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    at_mode = (border * 255.0 + 0.5).astype(np.int64) == mode
    return mode / 255.0 if float(at_mode.mean()) >= DRAWING_BORDER else None
