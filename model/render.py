"""Pen strokes to pictures: an alpha layer of any size, or an MNIST-style 28x28 digit.

A stroke is a ``(points, 2)`` array of x, y positions (y down) in any units; a
character is a sequence of strokes. ``stroke_alpha`` draws them with a round pen
(round caps and joins, anti-aliased by supersampling) scaled so the character is
``height`` pixels tall: what a drawing app, a marker or a finger leaves. It is the
one drawing routine of the project: the benchmarks render canvases, photos and
numbers from it, and training renders real writers' strokes through
``mnist_style``, which reproduces MNIST's geometry (the ink fitted in a 20x20 box,
aspect kept, centred by its centre of mass in 28x28) with a random pen and a
slightly random size, so every epoch sees another rendering.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

Array = np.ndarray
Strokes = Sequence[Array]

SIZE = 28
BOX = 20  # MNIST fits each digit's ink in a 20x20 box
SUPERSAMPLE = 3
#: pen widths of a training rendering, in 28x28 pixels: MNIST's own run from 1.5 to 3.5
PEN_RANGE = (1.4, 3.6)
#: height of a training rendering's box, in 28x28 pixels (MNIST: 20, some digits smaller)
BOX_RANGE = (17.0, 20.0)
#: a tall thin character (a 1) is never stretched wider than this share of its height
MIN_ASPECT = 0.08


def extent(strokes: Strokes) -> tuple[Array, Array]:
    """The lowest and highest x, y of all points."""
    points = np.concatenate([np.asarray(s, np.float32).reshape(-1, 2) for s in strokes])
    return points.min(axis=0), points.max(axis=0)


def normalised(strokes: Strokes, height: float, width_limit: float | None = None) -> list[Array]:
    """Strokes scaled to ``height`` (or less, so the width stays within ``width_limit``),
    top-left corner at the origin, aspect kept."""
    low, high = extent(strokes)
    span = np.maximum(high - low, 1e-3)
    scale = height / span[1]
    if width_limit is not None and span[0] * scale > width_limit:
        scale = width_limit / span[0]
    return [(np.asarray(s, np.float32).reshape(-1, 2) - low) * np.float32(scale) for s in strokes]


def stroke_alpha(
    strokes: Strokes,
    height: float,
    pen: float,
    width_limit: float | None = None,
    supersample: int = SUPERSAMPLE,
) -> Array:
    """The strokes drawn ``height`` pixels tall with a round pen ``pen`` pixels wide.

    Returns a float32 alpha layer in [0, 1] just large enough to hold the ink
    (a margin of half a pen and a pixel on every side).
    """
    scaled = normalised(strokes, height, width_limit)
    _, high = extent(scaled)
    margin = pen / 2 + 1
    k = supersample
    width_px = int(np.ceil(high[0] + 2 * margin))
    height_px = int(np.ceil(high[1] + 2 * margin))
    canvas = Image.new("L", (width_px * k, height_px * k), 0)
    draw = ImageDraw.Draw(canvas)
    radius = pen * k / 2
    for stroke in scaled:
        points = [(float(x + margin) * k, float(y + margin) * k) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=max(1, round(pen * k)), joint="curve")
        for x, y in (points[0], points[-1]):  # round caps, also for a single dot
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(canvas.reduce(k), dtype=np.float32) / np.float32(255.0)


def centre_by_mass(alpha: Array, size: int = SIZE) -> Array:
    """``alpha`` (at most ``size`` square) placed so its centre of mass is the centre."""
    out = np.zeros((size, size), np.float32)
    h, w = alpha.shape
    total = float(alpha.sum())
    if total <= 0:
        return out
    cy = float((alpha.sum(axis=1) * np.arange(h)).sum()) / total
    cx = float((alpha.sum(axis=0) * np.arange(w)).sum()) / total
    top = int(np.clip(round(size / 2 - 0.5 - cy), 0, size - h))
    left = int(np.clip(round(size / 2 - 0.5 - cx), 0, size - w))
    out[top : top + h, left : left + w] = alpha
    return out


def fit_box(alpha: Array, box: float) -> Array:
    """Shrink (area-averaging) an alpha layer so its larger side is ``box`` pixels."""
    h, w = alpha.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = Image.fromarray(alpha, "F").resize(size, Image.Resampling.BOX)
    return np.clip(np.asarray(image, np.float32), 0.0, 1.0)


def mnist_style(strokes: Strokes, pen: float, box: float = BOX, supersample: int = 4) -> Array:
    """One 28x28 float32 image in MNIST's convention (ink 1, background 0).

    Drawn large (``supersample`` times the final box) and shrunk by area
    averaging, as MNIST's digits were, so a ``pen`` of 2 gives MNIST's soft
    two-pixel strokes.
    """
    k = supersample
    big = stroke_alpha(strokes, box * k, pen * k, width_limit=box * k, supersample=1)
    return centre_by_mass(fit_box(big, box))


def render_batch(characters: Sequence[Strokes], rng: np.random.Generator) -> Array:
    """``(n, 28, 28)`` float32 renderings, each with its own random pen and box size."""
    pens = rng.uniform(*PEN_RANGE, size=len(characters))
    boxes = rng.uniform(*BOX_RANGE, size=len(characters))
    out = np.zeros((len(characters), SIZE, SIZE), np.float32)
    for i, strokes in enumerate(characters):
        out[i] = mnist_style(strokes, float(pens[i]), float(boxes[i]))
    return out
