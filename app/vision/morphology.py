"""Grey morphology over a 3x3 square, written once for the whole pipeline.

Every filter here is one idea: combine each pixel with its eight neighbours by a
NumPy ufunc (``maximum`` grows dark-on-light ink or light paper, ``minimum``
shrinks it, ``add`` sums for a box mean), rows first then columns, ``passes``
times for a square of ``2 * passes + 1``. Only the border differs:

- ``ZERO``: outside the array is empty (no ink). A digit's crop erodes from its
  edges, as if the paper went on (``geometry``, ``numbers``).
- ``EDGE``: outside repeats the edge. The paper grid of ``ink`` must not darken
  or lighten at the image's border because the image ends there.

For non-negative values a dilation is the same with either border; an erosion
is not.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Array = np.ndarray
Border = Literal["zero", "edge"]
ZERO: Border = "zero"
EDGE: Border = "edge"


def pad(values: Array, border: Border) -> Array:
    """A copy with one more row and column on every side: zeros, or the edges repeated."""
    h, w = values.shape
    if border == ZERO:
        out = np.zeros((h + 2, w + 2), values.dtype)
        out[1:-1, 1:-1] = values
        return out
    out = np.empty((h + 2, w + 2), values.dtype)
    out[1:-1, 1:-1] = values
    out[0, 1:-1], out[-1, 1:-1] = values[0], values[-1]
    out[:, 0], out[:, -1] = out[:, 1], out[:, -2]
    return out


def filter3(values: Array, combine: np.ufunc, passes: int = 1, border: Border = EDGE) -> Array:
    """Each pixel combined with its 3x3 neighbourhood by ``combine``, ``passes`` times."""
    out = values
    for _ in range(passes):
        padded = pad(out, border)
        rows = combine(combine(padded[:-2], padded[1:-1]), padded[2:])
        out = combine(combine(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])
    return out


def dilate(values: Array, passes: int = 1, border: Border = ZERO) -> Array:
    """Grey (or binary) dilation by a 3x3 square, ``passes`` times; same shape."""
    return filter3(values, np.maximum, passes, border)


def erode(values: Array, passes: int = 1, border: Border = ZERO) -> Array:
    """Grey (or binary) erosion by a 3x3 square, ``passes`` times; same shape."""
    return filter3(values, np.minimum, passes, border)


def closing(values: Array, passes: int) -> Array:
    """Grey closing over a square of ``2 * passes + 1``: fills dark features narrower."""
    return erode(dilate(values, passes, EDGE), passes, EDGE)


def opening(values: Array, passes: int) -> Array:
    """Grey opening over a square of ``2 * passes + 1``: removes light features narrower."""
    return dilate(erode(values, passes, EDGE), passes, EDGE)


def reconstruct_dark(marker: Array, values: Array, passes: int) -> Array:
    """Grey reconstruction by erosion: ``marker`` (at least ``values`` everywhere, a
    closing of them) lowered step by step towards ``values`` through 8-connected
    pixels, at most ``passes`` steps. A dark region the closing kept somewhere gets
    its whole shape back, narrow tips included (where a shadow's edge meets the
    image's border at a slant); dark features it filled entirely stay filled."""
    out = marker
    for _ in range(passes):
        lowered = np.maximum(erode(out, border=EDGE), values)
        if np.array_equal(lowered, out):
            break
        out = lowered
    return out


def box_mean3(values: Array) -> Array:
    """The mean of each pixel's 3x3 neighbourhood (edges repeated)."""
    return filter3(values, np.add) * np.float32(1 / 9)
