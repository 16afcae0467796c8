"""Photo-like pictures of hand-written digits, made from the stroke paths.

A phone photo of a note is not a clean canvas: the paper is off-white and lit
unevenly, the ink is a dark blue or grey with soft edges, the sensor adds noise
and the file is a JPEG. ``photo_of`` imitates all of that around strokes placed
in pixels (``strokes.place`` / ``strokes.layout_number``) and also returns where
the ink is, so a test can check the boxes a page or an API reports.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from strokes import Box, Digit, render


@dataclass(frozen=True)
class Photo:
    """A JPEG file's bytes, its size, and the bounding box of each digit's ink."""

    data: bytes
    size: tuple[int, int]
    ink_boxes: list[Box]


def _ink_box(mask: np.ndarray) -> Box:
    rows, cols = np.nonzero(mask > 64)
    return (
        float(cols.min()),
        float(rows.min()),
        float(cols.max() - cols.min() + 1),
        float(rows.max() - rows.min() + 1),
    )


def cast_edge(x: np.ndarray | float, size: tuple[int, int], cast_at: float) -> np.ndarray | float:
    """Where the edge of ``photo_of``'s cast shadow runs: its y at column(s) ``x``."""
    w, h = size
    return cast_at * h + 0.4 * (x - w / 2)


#: A notebook's ruled lines: light blue.
RULE_COLOUR = (150, 180, 225)


@dataclass(frozen=True)
class Pen:
    """A pen (or a pencil) lying on the page: a dark rod from ``start`` to ``end`` with
    round ends, ``width`` pixels thick, with a light reflection along it."""

    start: tuple[float, float]
    end: tuple[float, float]
    width: float
    body: tuple[int, int, int] = (30, 35, 70)
    gleam: tuple[int, int, int] = (200, 200, 215)

    def _band(self, size: tuple[int, int], width: float, shift: float, blur: float) -> np.ndarray:
        layer = Image.new("L", size, 0)
        draw = ImageDraw.Draw(layer)
        ends = [(x, y - shift) for x, y in (self.start, self.end)]
        draw.line(ends, fill=255, width=round(width))
        for x, y in ends:
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
        return np.asarray(layer.filter(ImageFilter.GaussianBlur(blur)), np.float32) / 255.0

    def lay_on(self, pixels: np.ndarray, light: np.ndarray) -> np.ndarray:
        size = (pixels.shape[1], pixels.shape[0])
        rod = self._band(size, self.width, 0.0, 3.0)[..., None]
        gleam = 0.55 * self._band(size, self.width / 7, self.width / 5, 4.0)[..., None] * rod
        lit = light[..., None]
        body = np.asarray(self.body, np.float32) * lit
        pixels = pixels * (1 - rod) + body * rod
        return pixels * (1 - gleam) + np.asarray(self.gleam, np.float32) * lit * gleam


def photo_of(
    digits: list[Digit],
    size: tuple[int, int] = (1200, 900),
    width: float = 14.0,
    paper: tuple[int, int, int] = (236, 231, 218),
    ink: tuple[int, int, int] = (28, 34, 78),
    shadow: float = 55.0,
    noise: float = 5.0,
    seed: int = 0,
    quality: int = 82,
    cast: float = 0.0,
    cast_at: float = 0.5,
    pens: Sequence[Pen] = (),
    ruled: float = 0.0,
) -> Photo:
    """A photo-like JPEG of ``digits``, each a list of strokes already in pixels.

    The paper darkens by up to ``shadow`` grey levels towards one corner, the ink
    edges are slightly blurred, Gaussian ``noise`` is added, then JPEG compression.
    With ``cast``, a shadow with a sharp edge (a phone held over the page) darkens
    everything below a slanted line by that fraction; the line crosses the middle
    column at ``cast_at`` of the height. Each of ``pens`` lies on the page, over the
    writing, lit like it. With ``ruled``, the page is a notebook's, light blue lines
    3 pixels thick every ``ruled`` pixels under the writing.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 - shadow / 255.0 * (0.6 * xx / w + 0.4 * yy / h)
    light *= np.where(yy > cast_edge(xx, size, cast_at), 1.0 - cast, 1.0).astype(np.float32)
    page = np.asarray(paper, np.float32)[None, None, :] * light[..., None]
    if ruled:
        lines = (np.abs((yy - ruled / 2) % ruled - ruled / 2) < 1.5).astype(np.float32)[..., None]
        rule = np.asarray(RULE_COLOUR, np.float32)[None, None, :] * light[..., None]
        page = page * (1 - lines) + rule * lines

    coverage = np.zeros((h, w), np.float32)
    boxes = []
    for strokes in digits:
        layer = render(strokes, size=size, width=width, ink=(255,), background=(0,), placed=True)
        alpha = np.asarray(layer.filter(ImageFilter.GaussianBlur(0.8)), np.float32)
        boxes.append(_ink_box(alpha))
        coverage = np.maximum(coverage, alpha / 255.0)

    ink_rgb = np.asarray(ink, np.float32)[None, None, :] * light[..., None]
    pixels = page * (1 - coverage[..., None]) + ink_rgb * coverage[..., None]
    for pen in pens:
        pixels = pen.lay_on(pixels, light)
    pixels += rng.normal(0.0, noise, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Photo(buffer.getvalue(), size, boxes)
