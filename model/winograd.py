"""Winograd's minimal filtering: a convolution's 2x2 pooling windows in fewer products.

A 2x2 max pooling after a stride-1 convolution needs the convolution at the four
positions of every window. Computed directly, each of those outputs costs ``k * k``
multiplications per input channel (25 for a 5x5 kernel): 100 for a window. Winograd's
F(2x2, kxk) (Lavin and Gray 2015, after Winograd 1980 and Toom-Cook) gets the same four
numbers from ``(k+1)^2`` multiplications (36 for 5x5, 2.8 times fewer), because a
correlation is a product of polynomials in disguise:

- the filter ``g`` (``k`` taps) and an output pair are polynomials; their product,
  of degree ``k``, is fixed by its values at ``k + 1`` points (here 0, 1, -1, 2, -2, ...,
  and "infinity", the leading coefficient). Evaluating both factors there is linear
  (``G g``, ``A_e``); multiplying values is one product per point; interpolating back is
  linear again. Transposed, that recipe computes a correlation of ``k + 1`` inputs
  ``d`` with ``g``: ``y = A^T [(G g) * (B^T d)]`` (``*`` element-wise).
- In two dimensions the same is done along rows and columns of a ``(k+1) x (k+1)``
  input tile: ``Y = A^T [(G g G^T) * (B^T d B)] A``, a 2x2 output: one pooling window.
- Over channels, the element-wise product becomes a sum over input channels for each of
  the ``(k+1)^2`` positions: ``(k+1)^2`` independent matrix products of
  ``(tiles, C) @ (C, F)``, which BLAS runs at its peak. The filter transform is done once
  per network; the input and output transforms are small products with the constant
  matrices below.

The points are small and exact in binary, so the transforms' entries stay between 1/24
and 16 and round little: on the shipped CNN the result differs from the direct
convolution by about 2e-6 of its scale. The plain layers
(``model.conv``) stay the oracle (``tests/model/test_winograd.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from model.layers import Array, strided_view

#: outputs along each side of a tile: one 2x2 pooling window
TILE_OUT = 2
#: interpolation points in the order taken: small and exact in binary, so little rounding
POINTS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 4.0, -4.0)

#: input channels from which the transforms cost less than the products they save
#: (a 5x5 block of four images, served pass, measured: 1.1-1.2x the direct time at 8
#: channels, 0.83x at 16, 0.68x at 32; 2.9x with the one channel of a first layer)
MIN_CHANNELS = 16

#: a named scratch array of a given shape (``model.inference`` reuses them between steps)
Scratch = Callable[[str, tuple[int, ...]], Array]


def evaluation(points: tuple[float, ...], terms: int) -> np.ndarray:
    """``(len(points) + 1, terms)``: a polynomial's ``terms`` coefficients -> its values
    at ``points`` and, in the last row, at infinity (its leading coefficient)."""
    rows = np.zeros((len(points) + 1, terms))
    rows[:-1] = np.asarray(points)[:, None] ** np.arange(terms)
    rows[-1, -1] = 1.0
    return rows


def toom_cook(kernel: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F(2, k)'s matrices ``A^T (2, k+1)``, ``G (k+1, k)`` and ``B^T (k+1, k+1)``, float64.

    With ``a = k + 1`` points a polynomial product of a pair (degree 1) and a filter
    (degree ``k - 1``) is ``V^-1 [(A_e x) * (G g)]``; the correlation is its transpose.
    """
    if kernel > len(POINTS):
        raise ValueError(f"F(2, {kernel}) needs more than {len(POINTS)} interpolation points")
    points = POINTS[:kernel]
    pair, taps, product = (evaluation(points, n) for n in (TILE_OUT, kernel, kernel + 1))
    return pair.T, taps, np.linalg.inv(product).T


@dataclass(frozen=True)
class Winograd:
    """One convolution's filters in the transformed domain, and the transforms of its tiles."""

    size: int  # k + 1: a tile's side
    filters: Array  # (a*a, C, F): G g G^T for every pair of channels
    inputs: Array  # (a, a): B^T
    outputs: Array  # (4, a*a): A^T (x) A^T, a tile's four outputs from its a*a products

    @staticmethod
    def fits(kernel: int) -> bool:
        """Whether F(2, ``kernel``) saves products and has its points here: odd kernels
        ("same" padding) from 3 (16 products for 36) to 9 (100 for 324)."""
        return kernel % 2 == 1 and 3 <= kernel <= len(POINTS)

    @classmethod
    def of(cls, weights: Array, dtype: DTypeLike = np.float32) -> Winograd:
        """``weights`` ``(k, k, C, F)`` of a convolution with a square, odd kernel; the
        transforms are computed in float64 and kept in ``dtype``."""
        k, _, c, f = weights.shape
        outputs, taps, inputs = toom_cook(k)
        # (a, k) @ (k, k*C*F) along the kernel's rows, then along its columns
        rows = (taps @ weights.astype(np.float64).reshape(k, -1)).reshape(k + 1, k, c * f)
        spectra = np.matmul(taps, rows)  # (a, a, C*F)
        return cls(
            size=k + 1,
            filters=spectra.reshape((k + 1) ** 2, c, f).astype(dtype),
            inputs=inputs.astype(dtype),
            outputs=np.kron(outputs, outputs).astype(dtype),
        )

    def spectra(self, padded: Array, th: int, tw: int, out: Array, rows: Array) -> Array:
        """``B^T d B`` of every tile: ``out`` ``(a*a, n * th * tw, C)``, via ``rows``.

        ``padded`` ``(n, 2 th + k - 1, 2 tw + k - 1, C)`` (at least); tile ``(i, j)`` of
        an image starts at ``(2i, 2j)``; ``rows`` is scratch of ``out``'s size.
        """
        a, (n, _, _, c) = self.size, padded.shape
        sn, sh, sw, sc = padded.strides
        tiles = strided_view(  # (a, a, n, th, tw, C): a strided view, copied once below
            padded, (a, a, n, th, tw, c), (sh, sw, sn, TILE_OUT * sh, TILE_OUT * sw, sc)
        )
        out.reshape(tiles.shape)[...] = tiles
        np.matmul(self.inputs, out.reshape(a, -1), out=rows.reshape(a, -1))  # B^T d: columns
        np.matmul(self.inputs, rows.reshape(a, a, -1), out=out.reshape(a, a, -1))  # then rows
        return out.reshape(a * a, n * th * tw, c)

    def window_products(
        self, padded: Array, ph: int, pw: int, out: Array, scratch: Scratch
    ) -> None:
        """The convolution at every position of ``ph x pw`` 2x2 pooling windows per image.

        ``padded`` ``(n, H + k - 1, W + k - 1, C)``; ``out`` ``(4, n * ph * pw, F)``, rows
        in the order of ``model.inference``'s patches: ``(dy, dx, image, i, j)``.
        """
        a, c = self.size, padded.shape[-1]
        windows, f = len(padded) * ph * pw, out.shape[-1]
        spectra = self.spectra(
            padded,
            ph,
            pw,
            scratch("spectra", (a * a, windows, c)),
            scratch("rows", (a, a * windows * c)),
        )
        products = scratch("products", (a * a, windows, f))
        np.matmul(spectra, self.filters, out=products)
        np.matmul(self.outputs, products.reshape(a * a, -1), out=out.reshape(4, -1))
