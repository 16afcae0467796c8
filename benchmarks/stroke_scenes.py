"""Real pen strokes sent the ways users send them: canvases, photos, scans, numbers.

The real-writer and not-a-digit benchmarks (``benchmarks/real_writers.py``,
``benchmarks/not_digits.py``) and their tests build their inputs here, from the
strokes of writers the networks never trained on (``model.strokedata``), drawn
with ``model.render.stroke_alpha`` and dressed with the robustness benchmark's
canvas and photo simulators (``benchmarks/synthetic.py``, ``redraw.py`` and
``photo_scene.py``), so the two benchmarks' families mean the same thing. Every
random choice comes from the ``rng`` passed in.

Families (``FAMILIES``):

- canvases, 280x280, the character at a random place and size:
  ``canvas_transparent``, ``canvas_white``, ``canvas_dark`` (inverted: light
  ink on black), ``canvas_thin`` (a 2-4 pixel pen), ``canvas_thick`` (a marker,
  a sixth to a quarter of the height);
- photos (JPEG): ``photo_paper``, ``photo_grid``, ``photo_pencil``, ``scan``;
- ``scan_faint``: light pencil on grey paper, 12 to 35% contrast, blurred;
- ``scan_small``: a character 16 to 32 pixels tall, scanned small and enlarged.

``number_scene`` writes 3 to 6 digits of one writer side by side with
``ordinary``, ``tight`` or ``touching`` gaps.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageFilter

from benchmarks import photo_scene, redraw, synthetic
from benchmarks.synthetic import Sample
from model.render import Strokes, stroke_alpha

Array = np.ndarray

CANVAS_FAMILIES = synthetic.CANVAS_FAMILIES  # the same canvases as the MNIST families
PHOTO_FAMILIES = ("photo_paper", "photo_grid", "photo_pencil", "scan")
SCAN_FAMILIES = ("scan_faint", "scan_small")
#: a photo of the sheet on a table; last, so that the other families keep their seeds
TABLE_FAMILIES = ("photo_desk",)
FAMILIES = CANVAS_FAMILIES + PHOTO_FAMILIES + SCAN_FAMILIES + TABLE_FAMILIES
GAPS = {  # space between a number's digits, as a share of the digit height
    "ordinary": (0.15, 0.45),
    "tight": (0.0, 0.08),
    "touching": (-0.06, -0.01),
}
CANVAS = synthetic.CANVAS
FAINT_CONTRAST = (0.12, 0.35)  # ink darkness on the paper, light pencil
SMALL_HEIGHT = (16, 32)  # pixels of a character in a small scan
FAINT_SIZE = (320, 240)  # a faint scan's width and height


def canvas_alpha(family: str, strokes: Strokes, rng: np.random.Generator) -> Array:
    height = float(rng.uniform(0.25, 0.85)) * CANVAS
    if family == "canvas_thin":
        pen = float(rng.uniform(2.0, 4.0))
    elif family == "canvas_thick":
        pen = float(rng.uniform(0.16, 0.25)) * height
    else:
        pen = float(rng.uniform(0.05, 0.13)) * height
    alpha = stroke_alpha(strokes, height - pen, pen, width_limit=CANVAS * 0.9)
    return redraw.place(alpha, (CANVAS, CANVAS), rng)


def photo_data(family: str, strokes: Strokes, rng: np.random.Generator) -> bytes:
    size = synthetic.PHOTO_SIZE
    height = float(rng.uniform(0.25, 0.6)) * size[1]
    share = (0.02, 0.05) if family == "photo_pencil" else (0.04, 0.1)
    pen = float(rng.uniform(*share)) * height
    alpha = stroke_alpha(strokes, height, pen, width_limit=size[0] * 0.7)
    spacing = height / rng.uniform(1.3, 2.5)
    layer = redraw.place_inside(alpha, size, rng, 0.12)
    return photo_scene.photo_bytes(layer, family, rng, spacing)


def _jpeg(grey: Array, rng: np.random.Generator) -> bytes:
    image = Image.fromarray(np.clip(grey * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(rng.integers(60, 92)))
    return buffer.getvalue()


def faint_scan(strokes: Strokes, rng: np.random.Generator) -> bytes:
    """Light pencil on grey paper: low contrast, soft edges, a little noise."""
    height = float(rng.uniform(60, 160))
    alpha = stroke_alpha(strokes, height, float(rng.uniform(0.03, 0.08)) * height)
    return faint_paper(redraw.place_inside(alpha, FAINT_SIZE, rng, 0.1), rng)


def faint_paper(layer: Array, rng: np.random.Generator) -> bytes:
    """The ink in ``layer`` (all 0: a blank page) as ``faint_scan`` scans it."""
    paper = float(rng.uniform(0.7, 0.92))
    ink = paper - float(rng.uniform(*FAINT_CONTRAST))
    grey = paper * (1 - layer) + ink * layer
    image = Image.fromarray((grey * 255 + 0.5).astype(np.uint8), "L")
    blurred = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.6))))
    noise = rng.normal(0, rng.uniform(0.005, 0.02), size=grey.shape)
    noisy = np.asarray(blurred, np.float32) / 255.0 + noise
    return _jpeg(noisy, rng)


def small_scan(strokes: Strokes, rng: np.random.Generator) -> bytes:
    """A 16-32 pixel character, scanned at that size, then enlarged 4 to 8 times."""
    height = float(rng.integers(*SMALL_HEIGHT))
    alpha = stroke_alpha(strokes, height, float(rng.uniform(1.2, 2.5)))
    side = int(height * 1.8)
    layer = redraw.place_inside(alpha, (side, side), rng, 0.15)
    grey = 0.95 - 0.8 * layer
    factor = int(rng.integers(4, 9))
    big = Image.fromarray(grey.astype(np.float32), "F").resize(
        (side * factor, side * factor), Image.Resampling.BICUBIC
    )
    return _jpeg(np.asarray(big), rng)


def scene(family: str, strokes: Strokes, label: str, rng: np.random.Generator) -> Sample:
    """One input of ``family`` showing ``strokes``; its label is kept as a 1-tuple."""
    labels = (int(label),) if label.isdigit() else (-1,)
    if family in CANVAS_FAMILIES:
        return Sample(
            labels, image=synthetic.canvas_of(family, canvas_alpha(family, strokes, rng), rng)
        )
    if family in PHOTO_FAMILIES + TABLE_FAMILIES:
        return Sample(labels, data=photo_data(family, strokes, rng))
    if family == "scan_faint":
        return Sample(labels, data=faint_scan(strokes, rng))
    if family == "scan_small":
        return Sample(labels, data=small_scan(strokes, rng))
    raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


def number_alpha(characters: Sequence[Strokes], gap: str, rng: np.random.Generator) -> Array:
    """One writer's digits side by side, one pen, one size, ``gap`` apart."""
    height = float(rng.uniform(70, 120))
    pen = float(rng.uniform(0.06, 0.12)) * height
    low, high = GAPS[gap]
    shapes = [stroke_alpha(s, height * rng.uniform(0.92, 1.05), pen, height) for s in characters]
    gaps = (rng.uniform(low, high, len(shapes)) * height).astype(int)
    width = sum(s.shape[1] for s in shapes) + int(gaps.sum()) + int(height)
    tall = max(s.shape[0] for s in shapes) + int(height * 0.4)
    layer = np.zeros((tall, width), np.float32)
    x = int(height * 0.5)
    for shape, step in zip(shapes, gaps, strict=True):
        y = (tall - shape.shape[0]) // 2 + int(rng.integers(-height // 25, height // 25 + 1))
        y = min(max(y, 0), tall - shape.shape[0])
        region = layer[y : y + shape.shape[0], x : x + shape.shape[1]]
        np.maximum(region, shape[: region.shape[0], : region.shape[1]], out=region)
        x = max(0, x + shape.shape[1] + int(step))
    return layer


def number_scene(
    characters: Sequence[Strokes], labels: Sequence[str], gap: str, rng: np.random.Generator
) -> Sample:
    """A white canvas with one writer's number on it."""
    alpha = number_alpha(characters, gap, rng)
    image = Image.fromarray(255 - (alpha * 255 + 0.5).astype(np.uint8), "L")
    return Sample(tuple(int(c) for c in labels), image=image)
