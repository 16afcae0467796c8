"""Synthetic drawings, photos and numbers made from MNIST *test* digits.

The robustness benchmark (``benchmarks/robustness.py``) and the pipeline tests
(``tests/benchmarks/test_robustness.py``) share these generators, so the tests' floors and
the benchmark's figures measure the same thing. Only test-set digits are used,
never training data, and every random choice comes from the ``rng`` passed in.

A digit is redrawn (``benchmarks/redraw.py``) enlarged and re-inked, or as its
skeleton drawn with a round pen; photos are rendered by ``benchmarks/photo_scene.py``.

Families (``FAMILIES``):

- canvases, 280x280: ``canvas_transparent`` (RGBA, dark strokes on a transparent
  background), ``canvas_white``, ``canvas_dark`` (light strokes on black),
  ``canvas_thin``, ``canvas_thick``; the digit at a random place and scale
  (from small in a corner to filling the canvas);
- photos (JPEG bytes): ``photo_paper`` (coloured paper, blue or black ink),
  ``photo_grid`` (squared paper), ``photo_chalk`` (chalk on a dark board),
  ``scan``, ``photo_pencil`` (thin, grainy graphite strokes, a third to two
  thirds as dark as ink), ``photo_shadow`` (a shadow with a sharp edge, a phone
  or a hand over the page, darkening part of it by 40 to 60%); with lighting
  gradients and vignetting, blur, sensor noise, JPEG compression, rotation up
  to 10 degrees and mild perspective;
- numbers of 2 to 6 digits with tight gaps (``number_image``), touching now and
  then, on a white canvas or as a photo.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from benchmarks.photo_scene import close_crop, photo_bytes
from benchmarks.redraw import digit_alpha, pen_alpha, place, place_inside

Array = np.ndarray

CANVAS_FAMILIES = (
    "canvas_transparent",
    "canvas_white",
    "canvas_dark",
    "canvas_thin",
    "canvas_thick",
)
PHOTO_FAMILIES = (
    "photo_paper",
    "photo_grid",
    "photo_chalk",
    "scan",
    "photo_pencil",
    "photo_shadow",
    "photo_desk",
    "photo_cropped",
)
FAMILIES = CANVAS_FAMILIES + PHOTO_FAMILIES
NUMBER_LENGTHS = (2, 3, 4, 5, 6)
CANVAS = 280
PHOTO_SIZE = (640, 480)


@dataclass
class Sample:
    """One synthetic input: a Pillow image or encoded bytes, and the true digits."""

    labels: tuple[int, ...]
    image: Image.Image | None = None
    data: bytes | None = None


# -- canvases --------------------------------------------------------------------------
def canvas_alpha(family: str, digit: Array, rng: np.random.Generator) -> Array:
    height = int(rng.integers(int(0.25 * CANVAS), int(0.9 * CANVAS)))
    if family == "canvas_thin":
        alpha = pen_alpha(digit, height, float(rng.uniform(2.0, 3.5)))
    elif family == "canvas_thick":
        alpha = pen_alpha(digit, height, float(rng.uniform(0.16, 0.24)) * height)
    elif rng.random() < 0.5:
        alpha = pen_alpha(digit, height, float(rng.uniform(0.07, 0.13)) * height)
    else:
        alpha = digit_alpha(digit, height)
    return place(alpha, (CANVAS, CANVAS), rng)


def canvas_image(family: str, digit: Array, rng: np.random.Generator) -> Image.Image:
    """A drawing-page canvas of one digit."""
    return canvas_of(family, canvas_alpha(family, digit, rng), rng)


def canvas_of(family: str, alpha: Array, rng: np.random.Generator) -> Image.Image:
    """The canvas ``family`` (transparent, dark or white) of an ink layer ``alpha``."""
    a8 = (alpha * 255.0 + 0.5).astype(np.uint8)
    if family == "canvas_transparent":
        rgba = np.zeros((*alpha.shape, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 60, size=3)
        rgba[..., 3] = a8
        return Image.fromarray(rgba, "RGBA")
    if family == "canvas_dark":
        return Image.fromarray(a8, "L")
    return Image.fromarray(255 - a8, "L")


def canvas_png(family: str, digit: Array, rng: np.random.Generator) -> bytes:
    """``canvas_image`` as the PNG file a browser would send."""
    buffer = io.BytesIO()
    canvas_image(family, digit, rng).save(buffer, "PNG")
    return buffer.getvalue()


def photo_sample(
    family: str, digit: Array, rng: np.random.Generator, size: tuple[int, int] = PHOTO_SIZE
) -> bytes:
    """A photo of one digit: ink of a pen-like width, 25 to 60% of the photo's height."""
    height = int(rng.uniform(0.25, 0.6) * size[1])
    if family == "photo_pencil":
        alpha = pen_alpha(digit, height, float(rng.uniform(0.02, 0.05)) * height)
    elif rng.random() < 0.5:
        alpha = pen_alpha(digit, height, float(rng.uniform(0.04, 0.1)) * height)
    else:
        alpha = digit_alpha(digit, height)
    spacing = height / rng.uniform(1.3, 2.5)
    if family == "photo_cropped":
        data = photo_bytes(place_inside(alpha, size, rng, 0.12), "photo_paper", rng, spacing)
        return close_crop(data, rng)
    return photo_bytes(place_inside(alpha, size, rng, 0.12), family, rng, spacing)


# -- numbers ---------------------------------------------------------------------------
def number_alpha(digits: list[Array], rng: np.random.Generator, height: int) -> Array:
    """Digits side by side with tight gaps (sometimes touching), as one alpha layer."""
    pen = float(rng.uniform(0.07, 0.12)) * height
    shapes = []
    for digit in digits:
        h = round(height * rng.uniform(0.9, 1.1))
        shapes.append(pen_alpha(digit, h, pen) if rng.random() < 0.5 else digit_alpha(digit, h))
    gaps = rng.integers(-2, max(3, height // 12), size=len(shapes))
    width = sum(s.shape[1] for s in shapes) + int(gaps.sum()) + 4 * height // 10
    tall = max(s.shape[0] for s in shapes) + 2 * height // 10
    layer = np.zeros((tall, width), np.float32)
    x = height // 5
    for shape, gap in zip(shapes, gaps, strict=True):
        y = (tall - shape.shape[0]) // 2 + int(rng.integers(-height // 20, height // 20 + 1))
        y = min(max(y, 0), tall - shape.shape[0])
        region = layer[y : y + shape.shape[0], x : x + shape.shape[1]]
        np.maximum(region, shape[: region.shape[0], : region.shape[1]], out=region)
        x += shape.shape[1] + int(gap)
    return layer


def number_image(digits: list[Array], rng: np.random.Generator, height: int = 100) -> Image.Image:
    """A white canvas with a number written on it."""
    alpha = number_alpha(digits, rng, height)
    return Image.fromarray(255 - (alpha * 255 + 0.5).astype(np.uint8), "L")


def number_photo(digits: list[Array], rng: np.random.Generator, height: int = 90) -> bytes:
    """A photo of a number on paper."""
    alpha = number_alpha(digits, rng, height)
    h, w = alpha.shape
    padded = np.pad(alpha, ((h, h), (w // 4, w // 4)))
    return photo_bytes(padded, "photo_paper", rng, height / 1.6)


# -- families --------------------------------------------------------------------------
def sample(family: str, digit: Array, label: int, rng: np.random.Generator) -> Sample:
    """One synthetic input of ``family`` showing ``digit``."""
    if family in CANVAS_FAMILIES:
        return Sample((label,), image=canvas_image(family, digit, rng))
    if family in PHOTO_FAMILIES:
        return Sample((label,), data=photo_sample(family, digit, rng))
    raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


def family_samples(
    family: str, images: Array, labels: Array, count: int, rng: np.random.Generator
) -> list[Sample]:
    """``count`` inputs of ``family`` from randomly chosen test digits."""
    chosen = rng.choice(len(images), size=count, replace=False)
    return [sample(family, images[i], int(labels[i]), rng) for i in chosen]


def number_samples(
    length: int,
    images: Array,
    labels: Array,
    count: int,
    rng: np.random.Generator,
    photo: bool = False,
) -> list[Sample]:
    """``count`` numbers of ``length`` digits, as canvases (or photos)."""
    out = []
    for _ in range(count):
        chosen = rng.choice(len(images), size=length, replace=False)
        digits = [images[i] for i in chosen]
        truth = tuple(int(labels[i]) for i in chosen)
        if photo:
            out.append(Sample(truth, data=number_photo(digits, rng)))
        else:
            out.append(Sample(truth, image=number_image(digits, rng)))
    return out
