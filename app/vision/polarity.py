"""Which way the ink departs from the paper: dark pen on light paper, or chalk on a board.

Paper is the majority of pixels and ink departs from it to one side. A lighting
plane is fitted to the paper (trimmed least squares, so the ink, on either side,
is left out); the strong departures from it are on the ink's side: darker for
pen on paper, lighter for chalk on a board. When ink covers much of a drawing,
the paper is what the border looks like; in a photo half paper, half table, the
ink is with the smaller (darker) class. A wide lit patch between shadows is
paper, not chalk, unless the thin features are chalk too.

``ink_is_light(small, flat)`` answers; ``app.vision.ink`` then inverts a light-ink
image so everything after it sees dark ink on light paper.
"""

from __future__ import annotations

import numpy as np

from app.vision.geometry import mask_stroke_width
from app.vision.grey_levels import otsu, quantile
from app.vision.morphology import EDGE, closing, erode, opening

Array = np.ndarray


#: A drawing has at least this share of its pixels at exactly one grey level.
FLAT_SHARE = 0.3
#: ... unless they hold writing: pixels darker than this fraction of the region's own level
#: (pen ink in a shadow cast over the page; a table's grain and stains are fainter) ...
SHADOWED_INK = 0.6
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


#: Grey levels a level count holds: 0..255, and one more so that ``counts[level + 1]``
#: is there for level 255.
LEVEL_BINS = 257


def level_counts(small: Array) -> Array:
    """How many pixels of ``small`` (0..1) are at each grey level 0..255."""
    return np.bincount((small * 255.0 + 0.5).astype(np.int64).ravel(), minlength=LEVEL_BINS)


def flat_level(small: Array, counts: Array | None = None) -> int | None:
    """The one grey level (0..255) much of a drawing is at exactly, with no noise around
    it, or None (a photo's paper, even shrunk, spreads over the neighbouring levels).
    ``counts``: ``small``'s ``level_counts`` when they are known already."""
    counts = level_counts(small) if counts is None else counts
    mode = int(counts[:256].argmax())
    neighbours = int(counts[mode + 1]) + (int(counts[mode - 1]) if mode > 0 else 0)
    flat = int(counts[mode]) >= FLAT_SHARE * small.size and neighbours <= 0.1 * counts[mode]
    return mode if flat else None


def is_flat(small: Array, counts: Array | None = None) -> bool:
    """A drawing, not a photo: see ``flat_level``."""
    return flat_level(small, counts) is not None


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
