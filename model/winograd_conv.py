"""A convolution's training passes in Winograd's domain: the output and both gradients.

``model.winograd`` computes a stride-1 convolution in 2x2 output tiles from ``(k+1)^2``
products instead of ``4 k^2``: ``Y = A^T [(G g G^T) * (B^T d B)] A``. Training also
needs the gradients, and the same matrices give them (Lavin and Gray 2015). For one
tile, ``sum(Y * h)`` (``h``: the tile's output gradient) is a trilinear form
``sum_j (A h A^T)_j (G g G^T)_j (B^T d B)_j`` in the output weights, the filter and the
input tile; differentiating it by the filter or by the input exchanges the roles:

- output:  ``M = V @ U`` per position, ``V = B^T d B``, ``U = G g G^T``; ``Y = A^T M A``
- filters: ``dU = V^T @ H`` per position, ``H = A h A^T``;              ``dW = G^T dU G``
- input:   ``dV = H @ U^T`` per position;                 the tile's ``dd = B dV B^T``

Each pass is ``(k+1)^2`` matrix products over channels (36 for a 5x5 kernel, against
100 for the same four outputs by im2col). The transformed input ``V`` is kept from the
forward pass for the filter gradient: 36 numbers per 2x2 outputs and channel, against
im2col's 100. Tiles overlap (a 6x6 input tile per 2x2 outputs), so the input gradient
adds every tile's ``dd`` into its place, one axis at a time: six shifted adds down the
rows, the transform along the other axis, six along the columns.

Work goes :data:`STEP` images at a time, so a step's arrays stay in a core's cache,
and the steps go in the fixed chunks of :mod:`model.parallel`, whose filter gradients
are summed in order: the result does not depend on the number of threads. It equals
the direct convolution (``model.conv``, the oracle) up to float32 rounding, about 1e-6
of its scale; it does not equal it bit for bit, which is why ``TrainConfig.conv`` names
the products a weights file was trained with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.layers import Array
from model.parallel import map_chunks
from model.winograd import TILE_OUT, Winograd, toom_cook

#: images per step: their tiles, transforms and products (about 0.5 MB an image for the
#: shipped CNN's second convolution) stay in a core's 1 MB L2 cache. Measured, that
#: convolution's forward and backward in a training step of 128 images on two threads:
#: 2 images a step 28.6 ms, 4 images 26.3 ms, 8 images 35.4 ms
STEP = 4


@dataclass(frozen=True)
class Saved:
    """What the forward pass keeps for the backward one."""

    winograd: Winograd  # the filters of this forward pass, transformed
    spectra: Array  # flat: the transformed tiles, each STEP's (a*a, tiles, C) in turn
    padded_shape: tuple[int, ...]


def _tiles(padded_shape: tuple[int, ...], kernel: int) -> tuple[int, int]:
    """Tiles down and across an image: half the output's side."""
    _, hp, wp, _ = padded_shape
    return (hp - kernel + 1) // TILE_OUT, (wp - kernel + 1) // TILE_OUT


def _steps(rows: slice) -> list[slice]:
    return [slice(s, min(s + STEP, rows.stop)) for s in range(rows.start, rows.stop, STEP)]


class _Scratch:
    """A chunk's working arrays, made for a full step once and reused by every step: fresh
    arrays of a megabyte each step cost page faults, and two threads fault in turn."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype
        self.flat: dict[str, Array] = {}

    def __call__(self, name: str, shape: tuple[int, ...], images: int) -> Array:
        """``shape``, proportional to ``images`` (at most :data:`STEP`), uninitialised."""
        size = math.prod(shape)
        if name not in self.flat:
            self.flat[name] = np.empty(size // images * STEP, dtype=self.dtype)
        return self.flat[name][:size].reshape(shape)


def _spectra_of(spectra: Array, saved_size: int, images: slice) -> Array:
    """The part of the flat ``spectra`` that holds ``images``' transformed tiles."""
    return spectra[saved_size * images.start : saved_size * images.stop]


def forward(xp: Array, weights: Array, bias: Array, spectra: Array) -> tuple[Array, Saved]:
    """``xp`` ``(N, H + k - 1, W + k - 1, C)`` (padded, H and W even) -> ``(N, H, W, F)``.

    ``spectra`` is a flat buffer of ``N * (k+1)^2 * H * W / 4 * C`` values, filled with
    the transformed tiles the backward pass reads.
    """
    k, _, c, f = weights.shape
    winograd = Winograd.of(weights, xp.dtype)
    a, (th, tw) = winograd.size, _tiles(xp.shape, k)
    n, per_image = len(xp), a * a * th * tw * c
    out = np.empty((n, TILE_OUT * th, TILE_OUT * tw, f), dtype=xp.dtype)

    def convolve(rows: slice) -> None:
        scratch = _Scratch(xp.dtype)
        for images in _steps(rows):
            m = images.stop - images.start
            t = m * th * tw  # tiles in this step
            tiles = _spectra_of(spectra, per_image, images)
            v = winograd.spectra(xp[images], th, tw, tiles, scratch("rows", tiles.shape, m))
            products = np.matmul(v, winograd.filters, out=scratch("products", (a * a, t, f), m))
            quads = np.matmul(  # (4, t*F): each tile's 2x2 outputs
                winograd.outputs, products.reshape(a * a, -1), out=scratch("quads", (4, t * f), m)
            )
            # tile (i, j)'s output (dy, dx) is the image's pixel (2i + dy, 2j + dx)
            grid = out[images].reshape(m, th, TILE_OUT, tw, TILE_OUT, f)
            grid[...] = quads.reshape(TILE_OUT, TILE_OUT, m, th, tw, f).transpose(2, 3, 0, 4, 1, 5)
            out[images] += bias

    map_chunks(convolve, n)
    return out, Saved(winograd, spectra, xp.shape)


def backward(saved: Saved, grad: Array, input_grad: bool) -> tuple[Array, Array | None]:
    """``grad`` ``(N, H, W, F)`` -> ``dW`` ``(k, k, C, F)`` and ``dLoss/d(padded input)``
    (``None`` without ``input_grad``)."""
    winograd, padded_shape = saved.winograd, saved.padded_shape
    a, (n, _, _, c), f = winograd.size, padded_shape, grad.shape[-1]
    k = a - 1
    th, tw = _tiles(padded_shape, k)
    per_image = a * a * th * tw * c
    spread = np.ascontiguousarray(winograd.outputs.T)  # (a*a, 4): A (x) A
    filters_t = np.ascontiguousarray(winograd.filters.transpose(0, 2, 1))  # (a*a, F, C)
    dxp = np.empty(padded_shape, dtype=grad.dtype) if input_grad else None

    def chunk_gradients(rows: slice) -> Array:
        """This chunk's ``dU``; its input gradient goes straight into ``dxp``."""
        scratch = _Scratch(grad.dtype)
        total = np.zeros((a * a, c, f), dtype=grad.dtype)
        step_total = np.empty_like(total)
        for images in _steps(rows):
            m = images.stop - images.start
            t = m * th * tw
            quads = scratch("quads", (TILE_OUT, TILE_OUT, m, th, tw, f), m)
            quads[...] = (
                grad[images].reshape(m, th, TILE_OUT, tw, TILE_OUT, f).transpose(2, 4, 0, 1, 3, 5)
            )
            h = np.matmul(spread, quads.reshape(4, -1), out=scratch("h", (a * a, t * f), m))
            h = h.reshape(a * a, t, f)
            v = _spectra_of(saved.spectra, per_image, images).reshape(a * a, t, c)
            total += np.matmul(v.transpose(0, 2, 1), h, out=step_total)  # (a*a, C, F)
            if dxp is not None:
                tile_grads = np.matmul(h, filters_t, out=scratch("dv", (a * a, t, c), m))
                add_tiles(winograd, tile_grads, (m, th, tw, c), dxp[images], scratch)
        return total

    parts = map_chunks(chunk_gradients, n)
    d_spectra = parts[0]
    for part in parts[1:]:  # in the chunks' order: a fixed rounding
        d_spectra += part
    return filter_gradient(d_spectra, k).astype(grad.dtype), dxp


def filter_gradient(d_spectra: Array, kernel: int) -> Array:
    """``G^T dU G``: ``(a*a, C, F)`` -> ``(k, k, C, F)``, in float64."""
    taps = toom_cook(kernel)[1]  # G (a, k)
    a, c, f = kernel + 1, *d_spectra.shape[1:]
    rows = taps.T @ d_spectra.astype(np.float64).reshape(a, -1)  # along the first axis
    return np.matmul(taps.T, rows.reshape(kernel, a, c * f)).reshape(kernel, kernel, c, f)


def add_tiles(
    winograd: Winograd, tile_grads: Array, shape: tuple[int, ...], out: Array, scratch: _Scratch
) -> None:
    """``out`` ``(m, 2 th + k - 1, 2 tw + k - 1, C)`` = every tile's ``B dV B^T`` added
    into its place (tile ``(i, j)`` covers rows ``2i..2i+k``, columns ``2j..2j+k``).

    ``tile_grads`` ``(a*a, m*th*tw, C)``. Down the rows first: ``B`` along the first
    axis, then row ``y`` of every tile added into image row ``2i + y`` (a band still
    in the transformed columns, which lead, so the next product is one matrix product);
    then ``B`` along the columns and the same adds across.
    """
    m, th, tw, c = shape
    a, back = winograd.size, winograd.inputs.T  # B
    hp = TILE_OUT * th + a - 2
    rows = scratch("by_rows", (a, a, m, th, tw, c), m)  # (y, q, image, i, j, C)
    np.matmul(back, tile_grads.reshape(a, -1), out=rows.reshape(a, -1))
    band = scratch("band", (a, m, hp, tw, c), m)  # (q, image, row, j, C)
    band[...] = 0
    for y in range(a):
        band[:, :, y : y + TILE_OUT * th : TILE_OUT] += rows[y]
    columns = scratch("by_columns", (a, m, hp, tw, c), m)  # (x, image, row, j, C)
    np.matmul(back, band.reshape(a, -1), out=columns.reshape(a, -1))
    out[...] = 0
    for x in range(a):
        out[:, :, x : x + TILE_OUT * tw : TILE_OUT] += columns[x]
