"""Ink, not paper: from a grey image to how much ink each pixel holds.

The analysis runs on a small copy of the image (its longer side at most a few
hundred pixels, box-averaged by Pillow), so its cost does not grow with the
photo:

1. **Polarity** (``app.vision.polarity``): dark pen on light paper or light chalk
   on a dark board; light ink is inverted so everything after sees dark ink.
2. **Paper** (``app.vision.paper``): the paper's light on a grid of blocks,
   shadows kept sharp, the table beyond the page left out. Ink is the fraction of
   light the paper would have reflected that is missing: ``1 - grey / paper``,
   which removes uneven lighting and soft shadows.
3. **Threshold.** The paper's noise is measured (median absolute deviation);
   Otsu's threshold is computed on the pixels that stand out of that noise, so
   it separates faint structure (printed grid lines, stroke edges, texture)
   from the strokes, whatever the pen and the light. Too little contrast over
   the noise means there is no ink: a blank canvas, a blank photo, pure noise.
   Faint strokes (light pencil, a pale scan) are judged the same way: against
   the paper's own noise (``faintest_stroke``), not one fixed darkness.
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

from app.vision.geometry import stroke_width
from app.vision.grey_levels import otsu, quantile, robust_noise
from app.vision.morphology import box_mean3
from app.vision.paper import (
    OFF_PAGE,
    SHARP_STEP,
    block_size,
    cover,
    drawing_paper,
    paper_grid,
    sharpen_steps,
    upsample,
)
from app.vision.polarity import LEVEL_BINS, ink_is_light, is_flat

Array = np.ndarray


#: Longer side of the analysis copy.
ANALYSIS_SIDE = 200
#: Strongest ink needed to see anything, as a fraction of the paper's light ...
MIN_CONTRAST = 0.1
#: ... and as a multiple of the paper's noise.
MIN_SNR = 7.0
#: Strokes at least this dark (their 90th percentile) are writing ...
MIN_STROKE = 0.3
#: ... and fainter strokes (pencil, a light pen, a pale scan) only when they form a compact
#: mark away from the image's borders (``InkMap.faint``, ``region.faint_writing``). How
#: faint they may be depends on the paper (``faintest_stroke``): ``MIN_SNR`` times its
#: noise, and never below ``MIN_CONTRAST``; fainter still is no writing.
#: Where the paper's light has a sharp step (a cast shadow's edge) its estimate is least
#: sure and its errors show as faint wedges of "ink": there strokes must reach this.
STEP_FAINT_STROKE = 0.2
#: Pixels of paper at least, for its noise to be measured on them alone (``paper_noise``).
MIN_PAPER_PIXELS = 64
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
    #: a clean drawing's one paper level, which ``paper`` holds everywhere, or None
    flat_paper: float | None = None

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
        if self.flat_paper is not None:
            # a clean drawing's paper is one level, and resampling it gives that level
            # back exactly (tests/vision/test_fast_paths.py): no resampling (0.02 ms)
            return np.full((size[1], size[0]), self.flat_paper, dtype=np.float32)
        return self.resampled_paper(box, size)

    def resampled_paper(self, box: tuple[int, int, int, int], size: tuple[int, int]) -> Array:
        """``paper_in`` by resampling the paper image: any paper, and the oracle."""
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


def ink_from(grey: Array, paper: Array) -> Array:
    """Missing fraction of the paper's light: 0 on paper, near 1 for black ink."""
    return np.float32(1.0) - grey / np.maximum(paper, np.float32(1 / 255))


def paper_noise(ink: Array) -> float:
    """The paper's noise: the spread of every pixel's ink, or, where most pixels hold
    ink (a fat digit photographed and cropped close), of the pixels fainter than
    ``MIN_CONTRAST``; the ink's own spread would make its strokes look like noise."""
    # the median is paper when more pixels than its rank (``quantile``'s) are paper:
    # counted, not sorted (0.25 ms on an analysis copy)
    median_rank = int(0.5 * (ink.size - 1) + 0.5)
    if np.count_nonzero(ink <= np.float64(MIN_CONTRAST)) > median_rank:
        return robust_noise(ink)
    paper = ink[ink < MIN_CONTRAST]
    return robust_noise(paper) if paper.size >= MIN_PAPER_PIXELS else robust_noise(ink)


def analysis_scale(size: tuple[int, int], side: int = ANALYSIS_SIDE) -> int:
    return max(1, -(-max(size) // side))


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
    counts = pixel_counts(small_image)
    paper = drawing_paper(small, counts)
    if paper is not None:
        return analyse_drawing(grey, small, scale, paper, counts)
    photo = not is_flat(small, counts)
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
        ink[cover(off.astype(np.uint8), block, small.shape)] = 0.0
    noise = paper_noise(ink)
    threshold, low, high, reason = levels(ink, noise, stepped=sharp is not smooth)
    # crops read the paper from the block grid, or from this copy where a sharp step
    # was made exact (the grid would spill the lit side's level over the shadow again)
    exact, unit = (grid, block) if sharp is smooth else (sharp, 1)
    paper_image = Image.fromarray(exact.astype(np.float32), "F")
    return InkMap(
        grey, scale, paper_image, unit, ink, threshold, low, high, noise, light, photo, reason
    )


def pixel_counts(image: Image.Image) -> Array:
    """How many pixels of a grey (L) image are at each level: ``polarity.level_counts``
    of its pixels over 255, counted by Pillow instead (0.018 against 0.036 ms on the
    page's 140x140 canvas; the same counts: tests/vision/test_fast_paths.py)."""
    counts = np.zeros(LEVEL_BINS, dtype=np.int64)
    counts[:256] = image.histogram()
    return counts


def analyse_drawing(
    grey: Image.Image, small: Array, scale: int, paper: float, counts: Array | None = None
) -> InkMap:
    """``analyse_at`` for a clean drawing on a flat background of level ``paper``.

    The ink is on whichever side of the paper holds more departure from it; the
    rest is the general analysis with a constant paper and no noise. ``counts``: the
    analysis copy's ``pixel_counts``, when known.
    """
    light = ink_is_lighter(small, paper, counts)
    if light:
        grey, small, paper = ImageOps.invert(grey), np.float32(1.0) - small, 1.0 - paper
    block = block_size(small.shape)
    rows, cols = -(-small.shape[0] // block), -(-small.shape[1] // block)
    grid = np.full((rows, cols), paper, dtype=np.float32)
    ink = ink_from(small, grid[:1, :1])
    threshold, low, high, reason = levels(ink, 0.0)
    grid_image = Image.fromarray(grid, "F")
    return InkMap(
        grey,
        scale,
        grid_image,
        block,
        ink,
        threshold,
        low,
        high,
        0.0,
        light,
        False,
        reason,
        flat_paper=float(grid[0, 0]),
    )


def ink_is_lighter(small: Array, paper: float, counts: Array | None = None) -> bool:
    """Whether the side of the paper holding more departure from it (the sum of the
    squared departures) is the lighter one; with none either way (a blank canvas), ink
    would contrast with the paper.

    Given the grey levels' ``counts`` of ``small`` (its pixels over 255), a side no level
    is on sums to exactly 0 and needs no sum: a black-on-white canvas has no pixel
    lighter than its paper, so its ink is dark at once (0.028 ms saved on the page's
    canvas; the same answer as the sums: tests/vision/test_fast_paths.py).
    """
    if counts is not None:
        present = np.flatnonzero(counts[:256]).astype(np.float32) * np.float32(1 / 255)
        departures = present - np.float32(paper)  # as ``small``'s values give them
        lighter_side, darker_side = bool((departures > 0).any()), bool((departures < 0).any())
        if not (lighter_side and darker_side):
            return lighter_side if lighter_side or darker_side else paper < 0.5
    lighter = float(np.square(np.clip(small - np.float32(paper), 0.0, None)).sum())
    darker = float(np.square(np.clip(np.float32(paper) - small, 0.0, None)).sum())
    return lighter > darker if lighter != darker else paper < 0.5


BLANK = "No digit found: the image is blank."
NOISE = "No digit found: the image looks like noise, not writing."
FAINT = "No digit found: only faint marks (printed lines, shadows), no writing."


def faintest_stroke(noise: float, stepped: bool = False) -> float:
    """How faint strokes (their 90th percentile) may be and still be writing.

    Relative to the paper's own noise: a light pencil line on a clean grey scan
    stands many times out of the paper's grain even when it darkens it by only
    a tenth, while on a noisy photo the same line would be lost in it. Never
    below ``MIN_CONTRAST``, the least ink seen at all. Paper with a sharp step of
    its light keeps the fixed ``STEP_FAINT_STROKE`` (see there).
    """
    relative = max(MIN_CONTRAST, MIN_SNR * noise)
    return max(relative, STEP_FAINT_STROKE) if stepped else relative


def levels(
    ink: Array, noise: float, stepped: bool = False
) -> tuple[float, float, float, str | None]:
    """Threshold and soft-ink levels, or the reason there is no ink (``stepped``: the
    paper's light has a sharp step, see ``faintest_stroke``)."""
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
    if not strokes.size or quantile(strokes, 0.9) < faintest_stroke(noise, stepped):
        return 1.0, 0.0, 1.0, FAINT
    high = quantile(strokes, 0.75)
    high = max(high, threshold + 0.05)
    low = max(floor, threshold - 0.5 * (high - threshold))
    return threshold, low, high, None
