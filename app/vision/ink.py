"""Ink, not paper: from a grey image to how much ink each pixel holds.

The analysis runs on a small copy of the image (its longer side at most a few
hundred pixels, box-averaged by Pillow), so its cost does not grow with the
photo:

1. **Polarity.** Paper is the majority of pixels and ink departs from it to one
   side. A lighting plane is fitted to the paper (trimmed least squares, so
   the ink, on either side, is left out); the strong departures from it are on
   the ink's side: darker for pen on paper, lighter for chalk on a board. When
   ink covers much of a drawing, the paper is what the border looks like; in a
   photo half paper, half table, the ink is with the smaller (darker) class.
   Light ink is handled by inverting the image, so everything after sees dark
   ink on light paper.
2. **Paper.** The paper's brightness is estimated on a coarse grid of blocks (a
   bright percentile of each block), then a grey closing over the grid fills
   blocks covered by fat strokes while keeping the edges of shadows. In a
   photo, wide dark regions beyond a sharp edge, reaching the border, are off
   the page (a table) and hold no ink. Ink is the fraction of light the paper
   would have reflected that is missing: ``1 - grey / paper``, which removes
   uneven lighting and soft shadows.
3. **Threshold.** The paper's noise is measured (median absolute deviation);
   Otsu's threshold is computed on the pixels that stand out of that noise, so
   it separates faint structure (printed grid lines, stroke edges, texture)
   from the strokes, whatever the pen and the light. Too little contrast over
   the noise means there is no ink: a blank canvas, a blank photo, pure noise.
4. **Soft ink.** Ink values are mapped linearly between a low level (below the
   threshold) and the strokes' typical level, so strokes keep their grey,
   anti-aliased edges while paper, specks of noise and faint grid lines go to 0.

``InkMap`` keeps what is needed to compute the same ink values again at a
higher resolution for a crop (``InkMap.ink_in``), which is how each digit is
finally cut out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from app.vision.boxes import touches_border
from app.vision.components import label_components
from app.vision.geometry import mask_stroke_width, stroke_width
from app.vision.morphology import EDGE, box_mean3, closing, dilate, erode, opening, reconstruct_dark

Array = np.ndarray

#: Longer side of the analysis copy.
ANALYSIS_SIDE = 200
#: Blocks of the paper grid per shorter side of the analysis copy (at least).
PAPER_BLOCKS = 12
#: Bright percentile of a block taken as its paper level.
PAPER_PERCENTILE = 80
#: A drawing has at least this share of its pixels at exactly one grey level.
FLAT_SHARE = 0.3
#: A clean drawing's background level covers at least this share of the image's border.
DRAWING_BORDER = 0.5
#: In a photo, blocks darker than this fraction of the page, reaching the border, are off it.
OFF_PAGE = 0.6
#: ... unless they hold writing: pixels darker than this fraction of the region's own level
#: (pen ink in a shadow cast over the page; a table's grain and stains are fainter) ...
SHADOWED_INK = 0.6
#: ... over at least this share of the region.
SHADOWED_INK_SHARE = 0.002
#: A block darker than this fraction of its brightest neighbour is at a sharp step of the
#: paper's light (a cast shadow's edge; vignetting changes far more slowly). Not for light
#: ink: on a dark board, fat chalk strokes lower blocks that much.
SHARP_STEP = 0.8
#: The paper is made exact this many blocks around such steps (one left the ends of a
#: shadow's edge, where it leaves the image, to the smooth grid).
STEP_REACH = 2
#: A photo's darker half holds writing when this share of it is that much darker.
DARK_WRITING_SHARE = 0.01
#: Light departures wider than this fraction of the shorter side ...
LIT_PATCH_WIDTH = 0.15
#: ... over this share of the image are lit paper, not chalk (synthetic chalk photos
#: leave at most 0.8% after such an erosion, a lit patch between shadows 8% or more) ...
LIT_PATCH_SHARE = 0.03
#: ... unless the thin features are chalk: thin dark ones (pen strokes) must weigh at least
#: this fraction of the thin light ones (chalk photos measure 0.1 or less, pen strokes in a
#: lit band 0.4 up: the band's own narrow tips count as thin and light) ...
THIN_DARK_RATIO = 0.3
#: ... thin meaning narrower than a square of 2 * THIN_PASSES + 1 analysis pixels.
THIN_PASSES = 4
#: Strokes are narrower than this fraction of the image's shorter side (in a photo).
BLOB_WIDTH = 0.18
#: A block darker than this fraction of the paper around it is covered by ink.
INK_BLOCK_RATIO = 0.7
#: Strongest ink needed to see anything, as a fraction of the paper's light ...
MIN_CONTRAST = 0.1
#: ... and as a multiple of the paper's noise.
MIN_SNR = 7.0
#: Strokes at least this dark (their 90th percentile) are writing ...
MIN_STROKE = 0.3
#: ... and strokes down to this one (pencil, a light pen) only when they form a compact
#: mark away from the image's borders (``InkMap.faint``, ``segment.faint_writing``);
#: fainter still is only faint marks: printed lines, shadows, stains.
FAINT_STROKE = 0.2
#: Strokes thinner than this on the analysis copy call for a larger copy (the width
#: estimate, twice the area over the boundary, reads 2 for any line 1 or 2 pixels wide).
MIN_STROKE_PIXELS = 2.5


@dataclass
class InkMap:
    """The ink analysis of one image: its small copy, threshold and ink levels."""

    grey: Image.Image  # full-resolution grey (L), inverted when the ink is light
    scale: int  # full-resolution pixels per analysis pixel
    paper: Image.Image  # F image of the paper level, one pixel per ``paper_unit`` ...
    paper_unit: int  # ... analysis pixels: a block of the grid, or 1 where steps sharpened it
    ink: Array  # analysis-resolution ink, 0 = paper (not soft-thresholded)
    threshold: float  # ink level separating strokes from paper and faint structure
    low: float  # soft ink: 0 at and below this level ...
    high: float  # ... 1 at and above this one
    noise: float  # paper noise (robust standard deviation of the ink values)
    light_ink: bool
    photo: bool  # not a drawing: the background is not one flat grey level
    reason: str | None  # why there is no ink, or None

    @property
    def empty(self) -> bool:
        return self.reason is not None

    @property
    def faint(self) -> bool:
        """Strokes only as dark as pencil: writing only if they make a compact mark."""
        strokes = self.ink[self.mask]
        return bool(strokes.size) and quantile(strokes, 0.9) < MIN_STROKE

    @property
    def mask(self) -> Array:
        """Analysis-resolution pixels that are ink."""
        return self.ink > self.threshold

    def paper_in(self, box: tuple[int, int, int, int], size: tuple[int, int]) -> Array:
        """The paper level over a full-resolution ``box``, sampled at ``size``."""
        unit = float(self.paper_unit * self.scale)
        src = tuple(v / unit for v in box)
        paper = self.paper.resize(size, Image.Resampling.BILINEAR, box=src)  # type: ignore[arg-type]
        return np.asarray(paper, dtype=np.float32)

    def ink_in(self, box: tuple[int, int, int, int], reduce: int = 1) -> Array:
        """Soft ink (0..1) of a full-resolution ``box``, box-averaged by ``reduce``."""
        crop = self.grey.crop(box)
        if reduce > 1:
            crop = crop.reduce(reduce)
        grey = np.asarray(crop, dtype=np.float32) * np.float32(1 / 255)
        paper = self.paper_in(box, crop.size)
        return self.soften(ink_from(grey, paper))

    def soften(self, ink: Array) -> Array:
        scaled = (ink - np.float32(self.low)) * np.float32(1.0 / (self.high - self.low))
        return np.clip(scaled, 0.0, 1.0, out=scaled)


def quantile(values: Array, q: float) -> float:
    """The ``q`` quantile (0..1) of an array, by partial sorting (no interpolation)."""
    flat = values.ravel()
    k = min(flat.size - 1, max(0, int(q * (flat.size - 1) + 0.5)))
    return float(np.partition(flat, k)[k])


def ink_from(grey: Array, paper: Array) -> Array:
    """Missing fraction of the paper's light: 0 on paper, near 1 for black ink."""
    return np.float32(1.0) - grey / np.maximum(paper, np.float32(1 / 255))


def analysis_scale(size: tuple[int, int], side: int = ANALYSIS_SIDE) -> int:
    return max(1, -(-max(size) // side))


def _blocks(values: Array, block: int) -> Array:
    """``(rows, cols, block * block)`` view of an edge-padded 2-D array."""
    h, w = values.shape
    ph, pw = -(-h // block) * block, -(-w // block) * block
    padded = np.pad(values, ((0, ph - h), (0, pw - w)), mode="edge")
    tiles = padded.reshape(ph // block, block, pw // block, block).swapaxes(1, 2)
    return tiles.reshape(ph // block, pw // block, block * block)


def _cover(grid: Array, block: int, shape: tuple[int, int]) -> Array:
    """A boolean block grid spread over the analysis pixels its blocks cover."""
    return np.repeat(np.repeat(grid > 0, block, axis=0), block, axis=1)[: shape[0], : shape[1]]


def upsample(grid: Array, block: int, shape: tuple[int, int]) -> Array:
    """Bilinear upsampling of a block grid onto the analysis pixels it covers."""
    image = Image.fromarray(grid.astype(np.float32), "F")
    box = (0.0, 0.0, shape[1] / block, shape[0] / block)
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR, box=box))


def block_size(shape: tuple[int, int]) -> int:
    return max(2, min(shape) // PAPER_BLOCKS)


def _plane(shape: tuple[int, int]) -> Array:
    """Plane terms (1, x, y) over a grid, coordinates in [-1, 1]."""
    y, x = np.mgrid[-1 : 1 : shape[0] * 1j, -1 : 1 : shape[1] * 1j]
    return np.stack([np.ones(x.size), x.ravel(), y.ravel()], axis=1).astype(np.float32)


def lighting_residual(small: Array, rounds: int = 3, keep: float = 0.5) -> Array:
    """The image minus a lighting plane fitted to its paper.

    A trimmed least-squares fit on a subsample: after each round the half of
    the pixels farthest from the plane (ink, on whichever side it lies) is left
    out of the next one.
    """
    step = max(1, -(-max(small.shape) // 32))
    sample = small[::step, ::step]
    design, values = _plane(sample.shape), sample.ravel()
    weight = np.ones_like(values)
    coef = np.zeros(3, np.float32)
    ridge = np.eye(3, dtype=np.float32) * 1e-4
    for _ in range(rounds):
        chosen = design * weight[:, None]
        coef = np.linalg.solve(chosen.T @ design + ridge, chosen.T @ values)
        distance = np.abs(values - design @ coef)
        weight = (distance <= quantile(distance, keep)).astype(np.float32)
    h, w = small.shape
    x = np.linspace(-1, 1, w, dtype=np.float32)
    y = np.linspace(-1, 1, h, dtype=np.float32)
    return small - (coef[0] + coef[1] * x[None, :] + coef[2] * y[:, None])


def flat_level(small: Array) -> int | None:
    """The one grey level (0..255) much of a drawing is at exactly, with no noise around
    it, or None (a photo's paper, even shrunk, spreads over the neighbouring levels)."""
    counts = np.bincount((small * 255.0 + 0.5).astype(np.int64).ravel(), minlength=258)
    mode = int(counts[:256].argmax())
    neighbours = int(counts[mode + 1]) + (int(counts[mode - 1]) if mode > 0 else 0)
    flat = int(counts[mode]) >= FLAT_SHARE * small.size and neighbours <= 0.1 * counts[mode]
    return mode if flat else None


def is_flat(small: Array) -> bool:
    """A drawing, not a photo: see ``flat_level``."""
    return flat_level(small) is not None


def blob_like(mask: Array) -> bool:
    """Regions far wider than any pen stroke (a sheet of paper, a wall), not writing."""
    return mask_stroke_width(mask) > BLOB_WIDTH * min(mask.shape)


def ink_is_light(small: Array, flat: bool | None = None) -> bool:
    """Whether the ink is lighter than the paper.

    Usually the ink is a small part of the image: the strong departures from
    the paper's lighting are then on the ink's side. When two large, clearly
    different classes share the image, the ink is the smaller one in a photo
    (a sheet on a dark table: the table and the ink are the dark class) and
    the paper is the class the border looks like in a drawing (flat
    background, a fat digit). In a photo, light "ink" in regions far wider
    than a stroke is a sheet of paper on a dark table: the ink is dark, as on
    nearly every page. So it is when the darker class holds writing far darker
    than itself (pen strokes in a shadow cast over much of the page), or when the
    image's thin features are dark (pen strokes beside a lit patch of it).
    """
    flat = is_flat(small) if flat is None else flat
    step = 2 if min(small.shape) >= 64 else 1
    sample = small[::step, ::step]
    residual = lighting_residual(sample)
    high = residual > otsu(residual)
    light = _departures_lighter(sample, residual, high, flat)
    if light and not flat:
        strongest = residual > 0.5 * quantile(residual, 0.999)
        return not blob_like(strongest) and not (lit_patch(high) and thin_features_dark(small))
    return light


def lit_patch(light: Array) -> bool:
    """Whether the light class holds a wide patch (lit paper between cast shadows): what
    is left of it after an erosion by a square ``LIT_PATCH_WIDTH`` of the shorter side
    covers ``LIT_PATCH_SHARE`` of the image. A chalk digit's strokes, however fat, do not."""
    passes = max(1, int(LIT_PATCH_WIDTH * min(light.shape) / 2))
    core = erode(light.astype(np.uint8), passes, EDGE)
    return int(np.count_nonzero(core)) >= LIT_PATCH_SHARE * light.size


def thin_features_dark(small: Array, passes: int = THIN_PASSES) -> bool:
    """Whether the image's thin features are dark enough to be pen strokes, not chalk.

    A lit patch of paper between cast shadows is as light a departure as chalk, but
    wide: only writing is thin. Thin means narrower than a square of ``2 * passes + 1``
    pixels (a grey opening or closing removes it), wide enough for a fat chalk stroke,
    whose grain would otherwise look like dark specks. The features' squared contrast
    is summed on each side; the dark side must reach ``THIN_DARK_RATIO`` of the light.
    """
    dark = float(np.square(closing(small, passes) - small).sum())
    light = float(np.square(small - opening(small, passes)).sum())
    return dark > THIN_DARK_RATIO * light


def _departures_lighter(small: Array, residual: Array, high: Array, flat: bool) -> bool:
    share = float(high.mean())
    if min(share, 1.0 - share) >= 0.2:
        light_mean, dark_mean = float(small[high].mean()), float(small[~high].mean())
        if light_mean - dark_mean > 0.3:
            if not flat:
                return share < 0.5 and not writes_dark(small[~high])
            ring = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
            border = float(np.median(ring))
            return abs(border - light_mean) > abs(border - dark_mean)
    spread = quantile(np.abs(residual), 0.5) * 3.0 + 0.02
    darker = np.clip(-residual - spread, 0.0, None)
    lighter = np.clip(residual - spread, 0.0, None)
    return float(np.square(lighter).sum()) > float(np.square(darker).sum())


def writes_dark(dark: Array) -> bool:
    """Whether the dark class of a photo holds writing: pen strokes far darker than the
    rest of it (a shadow cast over much of the page leaves the lit paper the smaller,
    lighter class; the ink is still dark). A board under chalk has no such strokes."""
    return darker_than(dark, float(np.median(dark))) >= DARK_WRITING_SHARE * dark.size


def darker_than(pixels: Array, level: float) -> int:
    """How many pixels are darker than ``SHADOWED_INK`` of the paper ``level``: pen
    strokes, in a shadow or on a table."""
    return int(np.count_nonzero(pixels < SHADOWED_INK * level))


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
    near = _cover(dilate(steps.astype(np.uint8), STEP_REACH, EDGE), block, small.shape)
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
        if _table_like(region, sharp) and not _holds_writing(region, level, small, block)
    ]
    return parts.mask(keep)


def _table_like(region: Array, sharp: Array) -> bool:
    """Behind a sharp edge, and wide: some block with all its neighbours in the region
    (a stroke touching the border, however fat, is only one or two blocks wide)."""
    return bool((region & sharp).any() and erode(region.astype(np.uint8), border=EDGE).any())


def _holds_writing(region: Array, level: Array, small: Array, block: int) -> bool:
    """Whether a dark region (blocks) holds strokes far darker than its own level."""
    pixels = small[_cover(region.astype(np.uint8), block, small.shape)]
    own = max(float(np.median(level[region])), 1 / 255)
    return darker_than(pixels, own) >= max(12, SHADOWED_INK_SHARE * pixels.size)


def otsu(values: Array, bins: int = 64) -> float:
    """Otsu's threshold: the cut maximising the between-class variance."""
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return low
    step = (high - low) / bins
    index = np.minimum(((values - low) * (1.0 / step)).astype(np.int64), bins - 1)
    counts = np.bincount(index.ravel(), minlength=bins)
    edges = low + step * np.arange(bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts).astype(np.float64)
    mass = np.cumsum(counts * centres)
    total, total_mass = weight[-1], mass[-1]
    other = total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass * total - total_mass * weight) ** 2 / (weight * other)
    between[~np.isfinite(between)] = -1.0
    return float(edges[int(np.argmax(between)) + 1])


def robust_noise(ink: Array) -> float:
    """Standard deviation of the paper's ink values, from their median absolute deviation."""
    sample = ink[::2, ::2] if min(ink.shape) >= 64 else ink
    return quantile(np.abs(sample - quantile(sample, 0.5)), 0.5) * 1.4826


def analyse(grey: Image.Image, side: int = ANALYSIS_SIDE) -> InkMap:
    """Polarity, paper, noise, threshold and ink levels of a grey (L) image.

    Fine pen lines fade when a large image is shrunk: when the reduced copy
    shows no ink, or strokes thinner than ``MIN_STROKE_PIXELS``, a copy three
    times larger is analysed instead.
    """
    found = analyse_at(grey, analysis_scale(grey.size, side))
    if found.scale < 3:  # a line 1 pixel wide still shows at half size
        return found
    faded = found.reason in (BLANK, FAINT)
    if faded or stroke_width(found.ink, found.threshold) < MIN_STROKE_PIXELS:
        return analyse_at(grey, analysis_scale(grey.size, 3 * side))
    return found


def analyse_at(grey: Image.Image, scale: int) -> InkMap:
    """``analyse`` on a copy reduced ``scale`` times."""
    small_image = grey.reduce(scale) if scale > 1 else grey
    small = np.asarray(small_image, dtype=np.float32) * np.float32(1 / 255)
    paper = drawing_paper(small)
    if paper is not None:
        return analyse_drawing(grey, small, scale, paper)
    photo = not is_flat(small)
    light = ink_is_light(small, flat=not photo)
    if light:
        grey, small = ImageOps.invert(grey), np.float32(1.0) - small
    block = block_size(small.shape)
    grid, off = paper_grid(small, block, photo)
    smooth = upsample(grid, block, small.shape)
    sharp = sharpen_steps(smooth, small, grid, block, OFF_PAGE if light else SHARP_STEP)
    ink = ink_from(small, sharp)
    if off.any():
        # only the off blocks' own ink: a digit ending beside them is on the page
        ink[_cover(off.astype(np.uint8), block, small.shape)] = 0.0
    noise = robust_noise(ink)
    threshold, low, high, reason = levels(ink, noise)
    # crops read the paper from the block grid, or from this copy where a sharp step
    # was made exact (the grid would spill the lit side's level over the shadow again)
    exact, unit = (grid, block) if sharp is smooth else (sharp, 1)
    paper_image = Image.fromarray(exact.astype(np.float32), "F")
    return InkMap(
        grey, scale, paper_image, unit, ink, threshold, low, high, noise, light, photo, reason
    )


def drawing_paper(small: Array) -> float | None:
    """The background level of a clean drawing (a canvas, a digital sketch), or None.

    Clean means flat (``flat_level``: much of the image at exactly one level, no
    noise around it) with that level all along most of the border, so it is the
    background and not the colour of a fat stroke. Such an image needs no
    lighting model: its paper is that one level everywhere.
    """
    mode = flat_level(small)
    if mode is None:
        return None
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    at_mode = (border * 255.0 + 0.5).astype(np.int64) == mode
    return mode / 255.0 if float(at_mode.mean()) >= DRAWING_BORDER else None


def analyse_drawing(grey: Image.Image, small: Array, scale: int, paper: float) -> InkMap:
    """``analyse_at`` for a clean drawing on a flat background of level ``paper``.

    The ink is on whichever side of the paper holds more departure from it; the
    rest is the general analysis with a constant paper and no noise.
    """
    lighter = float(np.square(np.clip(small - np.float32(paper), 0.0, None)).sum())
    darker = float(np.square(np.clip(np.float32(paper) - small, 0.0, None)).sum())
    # with no departure either way (a blank canvas), ink would contrast with the paper
    light = lighter > darker if lighter != darker else paper < 0.5
    if light:
        grey, small, paper = ImageOps.invert(grey), np.float32(1.0) - small, 1.0 - paper
    block = block_size(small.shape)
    rows, cols = -(-small.shape[0] // block), -(-small.shape[1] // block)
    grid = np.full((rows, cols), paper, dtype=np.float32)
    ink = ink_from(small, grid[:1, :1])
    threshold, low, high, reason = levels(ink, 0.0)
    grid_image = Image.fromarray(grid, "F")
    return InkMap(
        grey, scale, grid_image, block, ink, threshold, low, high, 0.0, light, False, reason
    )


BLANK = "No digit found: the image is blank."
NOISE = "No digit found: the image looks like noise, not writing."
FAINT = "No digit found: only faint marks (printed lines, shadows), no writing."


def levels(ink: Array, noise: float) -> tuple[float, float, float, str | None]:
    """Threshold and soft-ink levels, or the reason there is no ink."""
    strongest = float(box_mean3(ink).max())
    floor = max(4.0 * noise, 0.5 * MIN_CONTRAST)
    if strongest < MIN_CONTRAST:
        return 1.0, 0.0, 1.0, BLANK
    if strongest < MIN_SNR * noise:
        return 1.0, 0.0, 1.0, NOISE
    candidates = ink[ink > floor]
    threshold = floor
    if candidates.size > 8 and float(candidates.min()) < float(candidates.max()):
        threshold = max(otsu(candidates), floor)  # (one level, no anti-aliasing: no cut)
    strokes = ink[ink > threshold]
    if not strokes.size or quantile(strokes, 0.9) < FAINT_STROKE:
        return 1.0, 0.0, 1.0, FAINT
    high = quantile(strokes, 0.75)
    high = max(high, threshold + 0.05)
    low = max(floor, threshold - 0.5 * (high - threshold))
    return threshold, low, high, None
