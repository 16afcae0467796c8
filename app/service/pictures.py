"""Arrays of numbers as small PNG pictures: one colour scale for everything inside the network.

Every map of the look-inside view uses the same scale, so a colour means the same
thing everywhere: white is zero, orange is positive, blue is negative, and the
deeper the colour the larger the value (orange and blue stay apart for people who
tell red from green poorly). A layer's maps share one scale, symmetric around
zero, so two maps of a layer can be compared at a glance; the scale's end is
reported with the picture, so every pixel's value can be read back to within
1/255 of it.

A layer of many maps becomes one *mosaic*: its maps side by side in rows, one
pixel of grey between them. A list of units (a dense layer) becomes a block of
coloured cells, :data:`STRIP_COLUMNS` to a row.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image

Array = np.ndarray

#: the colours of the scale's ends and middle (RGB)
POSITIVE = np.array([179, 71, 0], dtype=np.float32)  # deep orange
NEGATIVE = np.array([8, 81, 156], dtype=np.float32)  # deep blue
ZERO = np.array([255, 255, 255], dtype=np.float32)
GAP = np.array([150, 150, 150], dtype=np.uint8)  # between the tiles of a mosaic
INK = np.array([20, 20, 20], dtype=np.float32)  # the input: dark ink on white paper
#: palette steps on each side of zero
LEVELS = 255
#: how dark the digit shows under an attribution map
FAINT_INK = 0.25
#: units per row of a dense layer's strip
STRIP_COLUMNS = 32
#: PNG compression: these pictures are tiny, and a request waits for them
COMPRESS_LEVEL = 1


def scale_end(values: Array) -> float:
    """The scale's end for ``values``: their largest magnitude (1 when all are zero)."""
    peak = float(np.abs(values).max()) if values.size else 0.0
    return peak if peak > 0 and math.isfinite(peak) else 1.0


def _palette() -> Array:
    """``(2 * LEVELS + 1, 3)`` uint8: the scale from deepest blue through white to orange."""
    t = np.linspace(-1.0, 1.0, 2 * LEVELS + 1, dtype=np.float32)[:, None]
    rgb = np.where(t >= 0, ZERO + (POSITIVE - ZERO) * t, ZERO + (NEGATIVE - ZERO) * -t)
    return (rgb + 0.5).astype(np.uint8)


def colour(values: Array, end: float) -> Array:
    """Values in ``[-end, end]`` -> ``(..., 3)`` uint8 RGB on the orange-white-blue scale.

    Looked up in a palette of :data:`LEVELS` steps each way (8 bits' worth, a tenth of
    the time of computing every colour).
    """
    t = np.asarray(values, dtype=np.float32) * np.float32(LEVELS / end)
    index = np.clip(np.rint(t), -LEVELS, LEVELS).astype(np.intp) + LEVELS
    return PALETTE[index]


PALETTE = _palette()


def robust_end(values: Array, share: float = 0.95) -> float:
    """A scale end that the few most extreme values may pass (they get the deepest colour).

    Attribution maps are heavy-tailed: one pixel can be ten times the rest, and on its
    scale the rest would look white. The end is the ``share`` quantile of the non-zero
    magnitudes instead.
    """
    magnitudes = np.abs(values[values != 0])
    if not magnitudes.size:
        return 1.0
    return scale_end(np.quantile(magnitudes, share, keepdims=True))


def over_ink(values: Array, end: float, image: Array) -> Array:
    """Signed values coloured over a faint copy of the digit, so its shape shows through."""
    t = np.clip(np.abs(np.asarray(values, dtype=np.float32)) / np.float32(end), 0.0, 1.0)
    faint = ZERO + (INK - ZERO) * (FAINT_INK * np.clip(image, 0.0, 1.0))[..., None]
    mixed = faint * (1 - t[..., None]) + colour(values, end) * t[..., None]
    return (mixed + 0.5).astype(np.uint8)


def ink(image: Array) -> Array:
    """A 28x28 image (ink 1.0) as dark ink on white paper, ``(28, 28, 3)`` uint8."""
    t = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)[..., None]
    return (ZERO + (INK - ZERO) * t + 0.5).astype(np.uint8)


def grid_shape(count: int, columns: int) -> tuple[int, int]:
    """``(rows, columns)`` to lay ``count`` tiles out ``columns`` to a row (fewer if fewer)."""
    columns = max(1, min(columns, count))
    return math.ceil(count / columns), columns


def mosaic(tiles: Array, columns: int) -> Array:
    """``(count, h, w, 3)`` RGB tiles -> one RGB picture, a grey line between tiles."""
    count, h, w, _ = tiles.shape
    rows, columns = grid_shape(count, columns)
    picture = np.empty((rows * (h + 1) - 1, columns * (w + 1) - 1, 3), dtype=np.uint8)
    picture[...] = GAP
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        picture[row * (h + 1) : row * (h + 1) + h, column * (w + 1) : column * (w + 1) + w] = tile
    return picture


def strip(values: Array, end: float) -> Array:
    """A vector of units -> coloured cells, :data:`STRIP_COLUMNS` to a row (the rest grey)."""
    rows, columns = grid_shape(len(values), STRIP_COLUMNS)
    cells = np.empty((rows * columns, 3), dtype=np.uint8)
    cells[...] = GAP
    cells[: len(values)] = colour(values, end)
    return cells.reshape(rows, columns, 3)


def png(picture: Array, zoom: int = 1) -> bytes:
    """An RGB picture as PNG bytes, each pixel ``zoom`` x ``zoom`` (for files people open)."""
    if zoom > 1:
        picture = picture.repeat(zoom, axis=0).repeat(zoom, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture), "RGB").save(
        buffer, format="PNG", compress_level=COMPRESS_LEVEL
    )
    return buffer.getvalue()


def data_url(png_bytes: bytes) -> str:
    """PNG bytes as a ``data:image/png;base64,...`` URL for a page or JSON."""
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")
