"""MNIST geometry: a soft ink crop becomes a 28x28 digit the way MNIST made its own.

MNIST's digits were fitted, keeping their aspect ratio, so the longer side of
the ink's bounding box is 20 pixels (anti-aliased), then placed in a 28x28 field
so that their centre of mass is at the centre. Here:

1. crop to the ink;
2. resample so the longer side is ``WORK_BOX`` pixels (4x the final size) and
   scale the ink so its strongest pixel is 1 (a fine line fades when shrunk);
   there stroke width is measured and adjusted with one-pixel grey dilations
   or erosions: pen strokes much thinner or fatter than MNIST's are brought
   back within MNIST's range (``normalise_thickness``);
3. crop again and resize the longer side to 20 pixels with Pillow's box filter
   (area averaging, the anti-aliasing);
4. place in 28x28 with the centre of mass at the centre (``center_by_mass``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.vision.boxes import mask_box
from app.vision.morphology import dilate, erode

Array = np.ndarray

SIZE = 28
DIGIT_BOX = 20
WORK_BOX = 80
#: Ink below this level does not count when cropping.
CROP_LEVEL = 0.05
#: MNIST's stroke width range at WORK_BOX scale (measured on its test set, see
#: ``stroke_width``): outside it strokes are thickened or thinned towards ``STROKE_TARGET``.
STROKE_RANGE = (4.5, 13.5)
STROKE_TARGET = 7.5
#: Where MNIST puts the centre of mass (row, column), in pixel-index coordinates.
MNIST_CENTRE = (14.0, 14.0)


def ink_box(ink: Array, level: float = CROP_LEVEL) -> tuple[int, int, int, int] | None:
    """``x0, y0, x1, y1`` (exclusive) of the pixels above ``level``, or None."""
    return mask_box(ink > level)


def crop_to_ink(ink: Array, level: float = CROP_LEVEL) -> Array:
    box = ink_box(ink, level)
    if box is None:
        return ink[:0, :0]
    x0, y0, x1, y1 = box
    return ink[y0:y1, x0:x1]


def fit_longest_side(ink: Array, side: int, resample: Image.Resampling) -> Array:
    """Resize keeping the aspect ratio so the longer side is ``side`` pixels."""
    h, w = ink.shape
    factor = side / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    image = Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32), "F")
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def stroke_width(ink: Array, level: float = 0.5) -> float:
    """Mean stroke width in pixels: twice the ink area over the boundary length."""
    solid = ink > level
    area = int(solid.sum())
    if area == 0:
        return 0.0
    inner = erode(solid.astype(np.uint8)).astype(bool)
    boundary = max(1, area - int(inner.sum()))
    return 2.0 * area / boundary


def mask_stroke_width(mask: Array) -> float:
    """Mean stroke width of a boolean mask: twice its area over its boundary, where a
    boundary pixel lacks one of its four neighbours (cheaper than ``stroke_width``'s
    grey erosion; used to size strokes and blobs while segmenting)."""
    area = int(mask.sum())
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    boundary = max(1, area - int(inner.sum()))
    return 2.0 * area / boundary


def normalise_thickness(ink: Array) -> Array:
    """Thicken very thin strokes, thin very fat ones, at WORK_BOX scale."""
    width = stroke_width(ink)
    if width <= 0.0:
        return ink
    if width < STROKE_RANGE[0]:
        passes = round((STROKE_TARGET - width) / 2)
        return dilate(np.pad(ink, passes), passes)
    if width > STROKE_RANGE[1]:
        passes = round((width - STROKE_TARGET) / 2)
        return erode(ink, min(passes, 4))
    return ink


def center_by_mass(digit: Array) -> Array:
    """Place a digit (at most 28x28) in a 28x28 field with its centre of mass at the centre."""
    h, w = digit.shape
    total = float(digit.sum())
    if total <= 0:
        return np.zeros((SIZE, SIZE), np.float32)
    cy = float(digit.sum(axis=1) @ np.arange(h)) / total
    cx = float(digit.sum(axis=0) @ np.arange(w)) / total
    top = min(max(round(MNIST_CENTRE[0] - cy), 0), SIZE - h)
    left = min(max(round(MNIST_CENTRE[1] - cx), 0), SIZE - w)
    field = np.zeros((SIZE, SIZE), np.float32)
    field[top : top + h, left : left + w] = digit
    return field


def full_contrast(ink: Array) -> Array:
    """Scale so the strongest ink is 1, as in every MNIST digit (a thin line fades when shrunk)."""
    top = float(ink.max())
    return np.clip(ink * np.float32(1.0 / top), 0.0, 1.0) if top > 0 else ink


def to_mnist(ink: Array) -> Array:
    """Soft ink of one digit (any size, ink = 1) -> 28x28 float32 in MNIST geometry."""
    crop = crop_to_ink(ink)
    if crop.size == 0:
        return np.zeros((SIZE, SIZE), np.float32)
    work = fit_longest_side(crop, WORK_BOX, Image.Resampling.BILINEAR)
    work = crop_to_ink(normalise_thickness(full_contrast(work)))
    digit = fit_longest_side(work, DIGIT_BOX, Image.Resampling.BOX)
    return center_by_mass(np.clip(digit, 0.0, 1.0))
