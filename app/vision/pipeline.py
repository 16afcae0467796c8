"""The image pipeline: any drawing or photo -> MNIST-style 28x28 digits.

The API, the CLI and the evaluation all go through here, so a digit is prepared
the same way wherever it comes from:

``load_image(bytes)`` decodes safely (``app.vision.decode``); ``prepare_digit(image)``
or ``prepare_number(image)`` then

1. turn any mode into grey, transparency composited (``app.vision.decode.to_grey``);
2. find the ink on a small copy: polarity, paper and lighting, noise,
   threshold (``app.vision.ink``); a blank canvas, a blank photo or pure noise stops
   here as an *empty* result with a sentence saying why;
3. choose the ink that makes the digit (``app.vision.region``), or split a number
   into digits (``app.vision.numbers``), leaving clutter out (``app.vision.clutter``);
4. cut each digit out of the full-resolution image as soft (grey) ink and give
   it MNIST's geometry (``app.vision.geometry``).

``prepare_pixels`` accepts a 28x28 array already in MNIST's convention.
``image_to_png_bytes``, ``png_data_url`` and ``save_pieces`` show what the
network saw.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from app.vision.components import Region
from app.vision.decode import full_size, load_image, to_grey
from app.vision.errors import InvalidInputError
from app.vision.formats import ACCEPTED_FORMATS
from app.vision.geometry import SIZE, ink_box, to_mnist
from app.vision.guided import Reader, Render, guided_regions
from app.vision.ink import FAINT, InkMap, analyse
from app.vision.morphology import dilate
from app.vision.numbers import number_layout, number_regions
from app.vision.region import digit_region, faint_lines, faint_writing

__all__ = [
    "ACCEPTED_FORMATS",
    "Piece",
    "Prepared",
    "image_to_png_bytes",
    "load_image",
    "png_data_url",
    "prepare_digit",
    "prepare_number",
    "prepare_pixels",
    "save_pieces",
]

Array = np.ndarray

#: Longer side of the analysis copy for one digit, and for a number (more, smaller digits).
DIGIT_ANALYSIS_SIDE = 200
NUMBER_ANALYSIS_SIDE = 400
#: A digit is cut out at no more than this many pixels on its longer side.
CUT_SIDE = 160
#: Analysis pixels of margin around a digit's region.
MARGIN = 2

NO_INK_LEFT = "No digit found: only specks, ruled lines or the page's edge, no writing."


@dataclass
class Piece:
    """One digit as the network sees it, and where it is in the image."""

    image: Array  # (28, 28) float32 in [0, 1], ink = 1.0, MNIST geometry
    box: tuple[int, int, int, int]  # x, y, w, h in the decoded (EXIF-rotated) image


@dataclass
class Prepared:
    """The digits found in one image, or why there are none."""

    pieces: list[Piece]
    empty: bool
    reason: str | None
    width: int
    height: int
    timing_ms: dict[str, float] = field(default_factory=dict)
    #: Digits the image seems to hold: a number's pieces; for one digit, more than 1
    #: when a number was written where one digit was asked for (its piece then holds all).
    digits_found: int = 1


def _empty(reason: str, size: tuple[int, int], began: float) -> Prepared:
    timing = {"preprocess": _ms(began)}
    return Prepared([], True, reason, size[0], size[1], timing, digits_found=0)


def _ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000.0, 3)


def _cut_box(ink: InkMap, region: Region) -> tuple[int, int, int, int]:
    """The region's box plus a margin, in full-resolution grey pixels."""
    s, (w, h) = ink.scale, ink.grey.size
    x0, y0, x1, y1 = region.box
    return (
        max(0, (x0 - MARGIN) * s),
        max(0, (y0 - MARGIN) * s),
        min(w, (x1 + MARGIN) * s),
        min(h, (y1 + MARGIN) * s),
    )


def _mask_at(
    region: Region, ink: InkMap, box: tuple[int, int, int, int], size: tuple[int, int]
) -> Array:
    """The region's mask (grown by one analysis pixel) over ``box``, sampled at ``size``."""
    grown = _grown_mask(region, ink, box)
    if ink.scale == 1 and size == (grown.shape[1], grown.shape[0]):
        # analysis and cut at one resolution (the page's canvas): resampling would copy it
        return grown > 0
    return _resampled_mask(grown, ink.scale, box, size)


def _grown_mask(region: Region, ink: InkMap, box: tuple[int, int, int, int]) -> Array:
    """The region's mask over ``box`` (full-resolution pixels), grown by one analysis pixel,
    at the analysis resolution, 0 or 255."""
    s = ink.scale
    ax0, ay0 = box[0] // s, box[1] // s
    ax1, ay1 = -(-box[2] // s), -(-box[3] // s)
    return dilate(region.mask[ay0:ay1, ax0:ax1].astype(np.uint8) * 255)


def _resampled_mask(
    grown: Array, scale: int, box: tuple[int, int, int, int], size: tuple[int, int]
) -> Array:
    """``_grown_mask``'s mask sampled at ``size``: any scale, and the oracle."""
    image = Image.fromarray(np.ascontiguousarray(grown), "L")
    src = (0.0, 0.0, (box[2] - box[0]) / scale, (box[3] - box[1]) / scale)
    return np.asarray(image.resize(size, Image.Resampling.NEAREST, box=src)) > 0


def cut_piece(ink: InkMap, region: Region, full: tuple[int, int]) -> Piece | None:
    """Cut one digit out as soft ink and give it MNIST's geometry."""
    box = _cut_box(ink, region)
    reduce = max(1, -(-max(box[2] - box[0], box[3] - box[1]) // CUT_SIDE))
    soft = ink.ink_in(box, reduce)
    soft *= _mask_at(region, ink, box, (soft.shape[1], soft.shape[0]))
    tight = ink_box(soft)
    if tight is None:
        return None
    fx, fy = full[0] / ink.grey.width, full[1] / ink.grey.height
    x0, y0 = box[0] + tight[0] * reduce, box[1] + tight[1] * reduce
    x1 = min(box[2], box[0] + tight[2] * reduce)
    y1 = min(box[3], box[1] + tight[3] * reduce)
    where = (round(x0 * fx), round(y0 * fy), round((x1 - x0) * fx), round((y1 - y0) * fy))
    return Piece(to_mnist(soft), where)


def _render(ink: InkMap, full: tuple[int, int]) -> Render:
    """A region to the 28x28 image the network would see, for the guided cuts."""

    def render(region: Region) -> Array | None:
        piece = cut_piece(ink, region, full)
        return piece.image if piece is not None else None

    return render


def _prepare(image: Image.Image, number: bool, reader: Reader | None = None) -> Prepared:
    began = time.perf_counter()
    full = full_size(image)
    side = NUMBER_ANALYSIS_SIDE if number else DIGIT_ANALYSIS_SIDE
    ink = analyse(to_grey(image), side)
    if ink.reason is not None:
        return _empty(ink.reason, full, began)
    faint = ink.faint  # a quantile of the strokes: asked twice, computed once
    if faint and faint_lines(ink.mask):
        return _empty(FAINT, full, began)
    if number and reader is not None:
        regions = guided_regions(number_layout(ink.mask, ink.photo), _render(ink, full), reader)
    elif number:
        regions = number_regions(ink.mask, ink.photo)
    else:
        found = digit_region(ink.mask, ink.photo)
        regions = [found] if found is not None else []
    if faint and not faint_writing(ink.mask, regions):
        return _empty(FAINT, full, began)
    pieces = [p for p in (cut_piece(ink, r, full) for r in regions) if p is not None]
    if not pieces:
        return _empty(NO_INK_LEFT, full, began)
    count = len(pieces) if number else regions[0].digits
    timing = {"preprocess": _ms(began)}
    return Prepared(pieces, False, None, full[0], full[1], timing, digits_found=count)


def prepare_digit(image: Image.Image) -> Prepared:
    """The single digit of a drawing or photo, as one 28x28 piece."""
    return _prepare(image, number=False)


def prepare_number(image: Image.Image, reader: Reader | None = None) -> Prepared:
    """The digits of a number, split and ordered left to right. Given a ``reader`` (a
    network's ``read``), touching digits are cut where it reads the pieces best
    (``app.vision.guided``); without one, by their shape alone."""
    return _prepare(image, number=True, reader=reader)


def prepare_pixels(pixels: Array) -> Prepared:
    """A 28x28 array already in MNIST's convention (0..255 or 0..1, ink high)."""
    began = time.perf_counter()
    image = validate_pixels(pixels)
    if float(image.max()) <= 0.0:
        return _empty("No digit found: all pixels are 0.", (SIZE, SIZE), began)
    x0, y0, x1, y1 = ink_box(image, 0.0) or (0, 0, SIZE, SIZE)
    piece = Piece(image, (x0, y0, x1 - x0, y1 - y0))
    return Prepared([piece], False, None, SIZE, SIZE, {"preprocess": _ms(began)})


def validate_pixels(pixels: Array) -> Array:
    """Check shape, values and range; scale to float32 [0, 1]."""
    try:
        array = np.asarray(pixels, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("Pixels must be numbers: a 28x28 array.") from exc
    if array.shape == (SIZE * SIZE,):
        array = array.reshape(SIZE, SIZE)
    if array.shape != (SIZE, SIZE):
        raise InvalidInputError(f"Pixels must be a 28x28 array, not shape {array.shape}.")
    if not np.isfinite(array).all():
        raise InvalidInputError("Pixels must be finite numbers (no NaN or infinity).")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 255.0:
        raise InvalidInputError(f"Pixels must lie in 0..255 or 0..1 (got {low:g}..{high:g}).")
    scale = 255.0 if high > 1.0 else 1.0
    return (array / scale).astype(np.float32)


def image_to_png_bytes(image28: Array) -> bytes:
    """A 28x28 float image (ink = 1) as an 8-bit greyscale PNG, ink white like MNIST."""
    values = np.clip(np.asarray(image28, dtype=np.float32), 0.0, 1.0)
    pixels = (values * 255.0 + 0.5).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, format="PNG")
    return buffer.getvalue()


def save_pieces(prepared: Prepared, folder: Path, stem: str) -> list[Path]:
    """Write the 28x28 images as ``stem.png`` (one digit) or ``stem-1.png``, ``stem-2.png``..."""
    pngs = [image_to_png_bytes(piece.image) for piece in prepared.pieces]
    return save_pngs(pngs, folder, stem)


def save_pngs(pngs: list[bytes], folder: Path, stem: str) -> list[Path]:
    """Write PNG files named as :func:`save_pieces` does; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    names = (
        [f"{stem}.png"] if len(pngs) == 1 else [f"{stem}-{i}.png" for i in range(1, len(pngs) + 1)]
    )
    for name, png in zip(names, pngs, strict=True):
        (folder / name).write_bytes(png)
    return [folder / name for name in names]


def png_data_url(image28: Array) -> str:
    """The 28x28 image as a ``data:image/png;base64,...`` URL for a page or JSON."""
    return "data:image/png;base64," + base64.b64encode(image_to_png_bytes(image28)).decode("ascii")
