"""Handwriting styles MNIST rarely shows, synthesised on MNIST digits while training.

MNIST was written in the United States. Much of the world writes a 1 with a long
up-stroke (a "flag", sometimes also a base) and crosses its 7s; a network that has
never seen them reads such a 1 as a 7. This module adds those strokes to a random
share of the ones and sevens in a batch, drawn as anti-aliased lines whose width
matches the digit's own strokes, so the labels stay true:

- a 1 gets a flag from its top going down-left, and sometimes a base; the flag is a
  third of the height or so, or (``long_flag_p``) half of it and shallower, the long
  up-stroke of a continental 1 that differs from a 7's bar only by its slope;
- a 7 gets a short bar across its stem, a little below the middle;
- a 0 gets a slash through it, top right to bottom left (as programmers and much
  of Scandinavia write it; the served network read such zeros as 8).

Everything is vectorised over the chosen images and draws from the generator passed in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

Array = np.ndarray
SIZE = 28
_YS, _XS = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)


@dataclass(frozen=True)
class StyleConfig:
    flag_p: float = 0.5  # share of ones that get a flag
    base_p: float = 0.25  # share of flagged ones that also get a base
    crossed_p: float = 0.35  # share of sevens that get a crossbar
    slashed_p: float = 0.0  # share of zeros that get a slash (0: the shipped files before it)
    long_flag_p: float = 0.0  # share of flags drawn long and shallow (0: as before it)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


#: a flag's length (share of the digit's height) and its angle below the horizontal (degrees)
FLAG_LENGTH, FLAG_ANGLE = (0.28, 0.45), (25.0, 55.0)
#: a continental 1's up-stroke: as long as half the digit, and shallow, yet still falling
#: to the left where a 7's bar runs level (the 1s networks misread as 7 most)
LONG_FLAG_LENGTH, LONG_FLAG_ANGLE = (0.45, 0.65), (22.0, 42.0)


def segment_ink(start: Array, end: Array, width: Array) -> Array:
    """Anti-aliased strokes ``(k, 28, 28)`` from ``start`` to ``end`` (``(k, 2)`` as x, y)."""
    d = (end - start)[:, :, None, None]  # (k, 2, 1, 1)
    p = np.stack([_XS, _YS])[None] - start[:, :, None, None]  # (k, 2, 28, 28)
    length2 = np.maximum((d**2).sum(axis=1), 1e-6)  # (k, 1, 1)
    t = np.clip((p * d).sum(axis=1) / length2, 0.0, 1.0)  # (k, 28, 28)
    dist = np.sqrt(((p - t[:, None] * d) ** 2).sum(axis=1))
    return np.clip(width[:, None, None] / 2 + 0.5 - dist, 0.0, 1.0).astype(np.float32)


def ink_extent(images: Array) -> tuple[Array, Array, Array, Array]:
    """Top row, bottom row, and x of the ink at the top and at mid-height, per image."""
    rows = images.max(axis=2) > 0.3  # (k, 28)
    top = rows.argmax(axis=1)
    bottom = SIZE - 1 - rows[:, ::-1].argmax(axis=1)
    top_x = _row_centre(images, top)
    mid = ((top + bottom) * 0.55).astype(int)
    return top.astype(np.float32), bottom.astype(np.float32), top_x, _row_centre(images, mid)


def _row_centre(images: Array, rows: Array) -> Array:
    """Ink-weighted x centre of the given row (and the two below it) of each image."""
    k = len(images)
    band = np.stack([images[np.arange(k), np.clip(rows + i, 0, SIZE - 1)] for i in range(3)])
    weight = band.sum(axis=0) + 1e-6  # (k, 28)
    return ((weight * _XS[0]).sum(axis=1) / weight.sum(axis=1)).astype(np.float32)


def stroke_width(images: Array, height: Array) -> Array:
    """A one-stroke digit's width: its ink divided by its length, about 1.5 to 3.5 px."""
    return np.clip(images.sum(axis=(1, 2)) / np.maximum(height, 4.0), 1.2, 3.5)


def add_flags(ones: Array, rng: np.random.Generator, base_p: float, long_p: float = 0.0) -> Array:
    top, bottom, top_x, _ = ink_extent(ones)
    height = bottom - top
    width = stroke_width(ones, height)
    length = height * rng.uniform(*FLAG_LENGTH, len(ones))
    angle = np.deg2rad(rng.uniform(*FLAG_ANGLE, len(ones)))  # below the horizontal, to the left
    if long_p > 0:  # no draw at all without long flags: older recipes stay bit for bit
        long = rng.random(len(ones)) < long_p
        length[long] = height[long] * rng.uniform(*LONG_FLAG_LENGTH, int(long.sum()))
        angle[long] = np.deg2rad(rng.uniform(*LONG_FLAG_ANGLE, int(long.sum())))
    start = np.stack([top_x, top], axis=1)
    end = start + np.stack([-np.cos(angle), np.sin(angle)], axis=1) * length[:, None]
    out = np.maximum(ones, segment_ink(start, end, width))
    with_base = rng.random(len(ones)) < base_p
    if with_base.any():
        out[with_base] = add_bases(out[with_base], bottom[with_base], width[with_base], rng)
    return out


def add_bases(ones: Array, bottom: Array, width: Array, rng: np.random.Generator) -> Array:
    bottom_x = _row_centre(ones, np.maximum(bottom.astype(int) - 2, 0))
    half = (bottom - ink_extent(ones)[0]) * rng.uniform(0.18, 0.28, len(ones))
    start = np.stack([bottom_x - half, bottom], axis=1)
    end = np.stack([bottom_x + half, bottom + rng.uniform(-1, 1, len(ones))], axis=1)
    return np.maximum(ones, segment_ink(start, end, width))


def cross_sevens(sevens: Array, rng: np.random.Generator) -> Array:
    top, bottom, _, mid_x = ink_extent(sevens)
    height = bottom - top
    width = stroke_width(sevens, height * 2.0)  # a 7 is about two strokes long
    y = top + height * rng.uniform(0.5, 0.62, len(sevens))
    half = height * rng.uniform(0.16, 0.26, len(sevens))
    tilt = rng.uniform(-1.0, 1.0, len(sevens))
    start = np.stack([mid_x - half, y + tilt], axis=1)
    end = np.stack([mid_x + half, y - tilt], axis=1)
    return np.maximum(sevens, segment_ink(start, end, width))


def slash_zeros(zeros: Array, rng: np.random.Generator) -> Array:
    top, bottom, _, _ = ink_extent(zeros)
    cols = zeros.max(axis=1) > 0.3  # (k, 28)
    left = cols.argmax(axis=1).astype(np.float32)
    right = (SIZE - 1 - cols[:, ::-1].argmax(axis=1)).astype(np.float32)
    height = bottom - top
    width = stroke_width(zeros, height * 2.5)  # a 0 is about two and a half heights long
    reach = rng.uniform(-0.05, 0.12, (2, len(zeros))) * height  # ends inside or past the ring
    start = np.stack([right + reach[0] * 0.6, top - reach[0]], axis=1)
    end = np.stack([left - reach[1] * 0.6, bottom + reach[1]], axis=1)
    return np.maximum(zeros, segment_ink(start, end, width))


def add_world_styles(
    images: Array, labels: Array, rng: np.random.Generator, cfg: StyleConfig
) -> Array:
    """``(n, 28, 28)`` batch -> a copy where some ones and sevens are written European-style."""
    out = images.copy()
    flag = (labels == 1) & (rng.random(len(labels)) < cfg.flag_p)
    cross = (labels == 7) & (rng.random(len(labels)) < cfg.crossed_p)
    if cfg.slashed_p > 0:  # no draw at all without slashes: older recipes stay bit for bit
        slash = (labels == 0) & (rng.random(len(labels)) < cfg.slashed_p)
        if slash.any():
            out[slash] = slash_zeros(out[slash], rng)
    if flag.any():
        out[flag] = add_flags(out[flag], rng, cfg.base_p, cfg.long_flag_p)
    if cross.any():
        out[cross] = cross_sevens(out[cross], rng)
    return out
