"""How a synthetic input redraws an MNIST *test* digit, and puts it on a layer.

A digit is redrawn in one of two ways:

- ``digit_alpha``: the MNIST digit itself, enlarged (bicubic) and re-inked with
  a sharp, anti-aliased edge, keeping its own stroke widths;
- ``pen_alpha``: its skeleton (Zhang-Suen thinning) redrawn with a round pen of
  any width, like a finger or a mouse on a canvas (thin 2-3 pixel strokes, or
  fat marker strokes), going round every loop the digit shows, even one MNIST
  filled with ink.

Either gives an alpha layer (ink = 1) that ``place`` and ``place_inside`` put
at a random place of a canvas or photo (``benchmarks/synthetic.py``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from app.vision.clutter import holes
from app.vision.components import label_components
from app.vision.morphology import erode

Array = np.ndarray

#: The inside of a loop, on the 96-pixel shape a pen redraws, covers at least this many
#: pixels (about a quarter of one of the MNIST digit's pixels, a loop that shows).
LOOP_AREA = 6
#: Ink deeper than this many times the strokes' half width is a blob (a loop filled with
#: ink); its core, of at least ``BLOB_CORE`` pixels, becomes the inside of a loop.
BLOB_DEPTH = 1.8
BLOB_CORE = 4


def crop_digit(digit: Array) -> Array:
    """An MNIST digit (28x28, float, ink = 1) cropped to its ink."""
    rows = np.flatnonzero(digit.max(axis=1) > 0.05)
    cols = np.flatnonzero(digit.max(axis=0) > 0.05)
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _resize(values: Array, size: tuple[int, int], resample: Image.Resampling) -> Array:
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32), "F")
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def enlarge(digit: Array, height: int) -> tuple[Array, float]:
    """The MNIST digit enlarged (bicubic) to ``height`` pixels, and the slope that
    re-inks it with an edge of about one pixel."""
    crop = crop_digit(digit)
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    big = _resize(
        np.pad(crop, 1),
        (width + 2 * height // crop.shape[0], height + 2 * height // crop.shape[0]),
        Image.Resampling.BICUBIC,
    )
    return big, max(1.0, height / crop.shape[0]) / 2.0


def reink(big: Array, edge: float, level: float = 0.5) -> Array:
    """An enlarged digit's alpha with a sharp edge where it crosses ``level``."""
    return np.clip((big - level) * edge + 0.5, 0.0, 1.0)


def digit_alpha(digit: Array, height: int) -> Array:
    """The MNIST digit enlarged to ``height`` pixels, re-inked with a sharp edge."""
    return reink(*enlarge(digit, height))


def thin(mask: Array) -> Array:
    """Zhang-Suen thinning: the one-pixel skeleton of a binary mask."""
    img = np.pad(mask.astype(np.uint8), 1)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = [
                img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:],
                img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2],
            ]  # fmt: skip
            count = sum(q.astype(np.int32) for q in p)
            transitions = sum(
                ((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8)
            )
            if step == 0:
                side = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                side = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (
                (img[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & side
            )
            if remove.any():
                img[1:-1, 1:-1][remove] = 0
                changed = True
    return img[1:-1, 1:-1].astype(bool)


def loops(mask: Array, min_area: int = LOOP_AREA) -> Array:
    """The insides of the loops of a shape: background it encloses, of some size."""
    return holes(mask, min_area)


def depth(mask: Array) -> Array:
    """How deep each pixel lies in the shape: the 3x3 erosions it survives (0 outside)."""
    out = np.zeros(mask.shape, np.int32)
    layer = mask
    while layer.any():
        out += layer
        layer = erode(layer)
    return out


def blob_cores(shape: Array, skeleton: Array) -> Array:
    """The cores of blobs: parts of the shape much deeper than its strokes' half width.

    The half width is the median depth along the skeleton, which blobs hardly
    move; a crossing of two strokes is about 1.4 times as deep, a filled loop more.
    """
    if not skeleton.any():
        return np.zeros_like(shape)
    deep = depth(shape)
    cores = label_components(deep > BLOB_DEPTH * float(np.median(deep[skeleton])))
    sizable = [i for i in range(cores.count) if cores.areas[i] >= BLOB_CORE]
    return cores.mask(sizable)


def pen_alpha(digit: Array, height: int, pen: float, base: int = 96) -> Array:
    """The digit's skeleton redrawn at ``height`` pixels with a round pen ``pen`` pixels wide.

    Faint parts of the MNIST digit are kept and small gaps closed first, so the
    pen draws unbroken strokes, as a person would. The loops the digit shows stay
    open: closing gaps fills a small loop, and the skeleton of a filled loop is a
    line (an 8 with a small lower loop was redrawn as a 9). A loop MNIST filled
    with ink itself (a blob) gets a hole in its core, so the pen goes round it.
    """
    big, edge = enlarge(digit, base)  # once, re-inked at two levels
    shape = Image.fromarray(((reink(big, edge, level=0.3) > 0.5) * 255).astype(np.uint8))
    closed = np.asarray(shape.filter(ImageFilter.MaxFilter(3))) > 0
    closed &= ~loops(reink(big, edge) > 0.5)
    skeleton = thin(closed)
    cores = blob_cores(closed, skeleton)
    if cores.any():
        skeleton = thin(closed & ~cores)
    ys, xs = np.nonzero(skeleton)
    scale = height / base
    k = 3  # supersampling for anti-aliasing
    margin = pen / 2 + 2
    size = (round(skeleton.shape[1] * scale + 2 * margin) * k, round(height + 2 * margin) * k)
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    points = {(int(y), int(x)) for y, x in zip(ys, xs, strict=True)}
    radius = pen * k / 2

    def at(y: int, x: int) -> tuple[float, float]:
        return ((x + 0.5) * scale + margin) * k, ((y + 0.5) * scale + margin) * k

    for y, x in points:
        cx, cy = at(y, x)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if (y + dy, x + dx) in points:
                draw.line((cx, cy, *at(y + dy, x + dx)), fill=255, width=max(1, round(pen * k)))
    small = canvas.reduce(k)
    return np.asarray(small, dtype=np.float32) / 255.0


def place(alpha: Array, size: tuple[int, int], rng: np.random.Generator) -> Array:
    """Put a digit's alpha at a random place of a ``size`` (width, height) layer.

    A digit larger than the layer is shrunk to fit first: never cut off.
    """
    layer = np.zeros((size[1], size[0]), np.float32)
    h, w = alpha.shape
    if h > size[1] or w > size[0]:
        factor = min(size[1] / h, size[0] / w)
        fitted = (max(1, int(w * factor)), max(1, int(h * factor)))
        alpha = np.clip(_resize(alpha, fitted, Image.Resampling.BOX), 0.0, 1.0)
        h, w = alpha.shape
    y = int(rng.integers(0, size[1] - h + 1))
    x = int(rng.integers(0, size[0] - w + 1))
    layer[y : y + h, x : x + w] = alpha
    return layer


def place_inside(
    alpha: Array, size: tuple[int, int], rng: np.random.Generator, margin: float
) -> Array:
    """Like ``place``, keeping ``margin`` (a fraction of the size) free on every side."""
    inner = (round(size[0] * (1 - 2 * margin)), round(size[1] * (1 - 2 * margin)))
    layer = place(alpha, inner, rng)
    pad_y, pad_x = (size[1] - inner[1]) // 2, (size[0] - inner[0]) // 2
    return np.pad(layer, ((pad_y, size[1] - inner[1] - pad_y), (pad_x, size[0] - inner[0] - pad_x)))
