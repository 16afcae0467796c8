"""Convolutional layers, vectorised with NumPy stride tricks.

Images are batch-first and channels-last (NHWC): ``(batch, height, width, channels)``.
That layout lets im2col be a single copy of a strided (sliding-window) view into a matrix of
shape ``(batch*out_h*out_w, kh*kw*channels)``, after which a convolution is one
matrix product (a one-channel layer trains on the same matrix laid out transposed, by
kernel offset, which copies five times faster: :func:`offset_patches`). No Python loop
runs over pixels or images; the only loops are over row blocks of the big GEMM, over
the kh*kw kernel offsets when gradients are scattered back to the input, and, in
training, over fixed chunks of the batch that the threads of :mod:`model.parallel` share.

A layer told to (``winograd``, from ``TrainConfig.conv``) computes its training passes
in Winograd's domain instead where that fits (``model.winograd_conv``: 36 products for
every 2x2 outputs of a 5x5 kernel, against 100); the direct path stays the oracle, the
inference pass, and the path of recipes recorded before the choice existed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model import initializers, winograd_conv
from model.layers import Array, Layer, strided_view
from model.parallel import map_chunks
from model.winograd import MIN_CHANNELS, TILE_OUT, Winograd


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _grids(images: slice, per_image: int) -> slice:
    """Where ``images`` lie along an axis of one entry per output pixel: a gradient's rows,
    :func:`offset_patches`'s columns."""
    return slice(images.start * per_image, images.stop * per_image)


def im2col(x: Array, kh: int, kw: int, stride: int, out: Array | None = None) -> Array:
    """``(N, H, W, C)`` (already padded) -> ``(N, OH, OW, kh*kw*C)`` patches.

    With ``out`` (contiguous, of that shape) the patches are copied into it instead of
    a new array: a reused buffer spares the kernel zeroing fresh pages on every step.
    """
    n, h, w, c = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sn, sh, sw, sc = x.strides
    patches = strided_view(  # (N, OH, OW, kh, kw, C), a read-only view: no copy yet
        x, (n, oh, ow, kh, kw, c), (sn, sh * stride, sw * stride, sh, sw, sc)
    )
    if out is None:
        return np.ascontiguousarray(patches).reshape(n, oh, ow, kh * kw * c)
    out.reshape(n, oh, ow, kh, kw, c)[...] = patches
    return out


def by_offset(in_channels: int) -> bool:
    """Whether a layer's patches are laid out by kernel offset (:func:`offset_patches`):
    with one input channel, where im2col's copy moves a few pixels at a time."""
    return in_channels == 1


def offset_patches(x: Array, kh: int, kw: int, stride: int, out: Array) -> Array:
    """``(N, H, W, C)`` (already padded) -> ``out`` ``(kh*kw*C, N*OH*OW)``: im2col's matrix
    transposed, a row per kernel offset and channel holding that pixel of every patch.

    With one input channel an im2col row is ``kh*kw`` pixels copied ``kw`` at a time;
    here a row is whole output grids, copied ``OW`` at a time: a first layer's patches in a
    fifth of the time. A product reads the matrix transposed (``out.T @ W``,
    ``g.T @ out.T``) and gets the same bits as from im2col's. ``out`` may be a column
    slice of a larger matrix, whole images wide.
    """
    n, h, w, c = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sn, sh, sw, sc = x.strides
    patches = strided_view(  # (kh, kw, C, N, OH, OW), a read-only view: no copy yet
        x, (kh, kw, c, n, oh, ow), (sh, sw, sc, sn, sh * stride, sw * stride)
    )
    grid = out.reshape(patches.shape)  # splits rows and columns: a view of ``out``
    if not np.may_share_memory(grid, out):
        raise ValueError("offset_patches: out must be whole images' grids wide")
    grid[...] = patches
    return out


def blocked_matmul(a: Array, b: Array, rows: int = 2048, out: Array | None = None) -> Array:
    """``a @ b`` for a tall ``a``, one block of rows at a time (into ``out`` if given).

    With one BLAS thread, OpenBLAS is much slower on one very tall product with a
    narrow ``b`` than on cache-sized row blocks (64 ms against 38 ms for the
    second convolution's forward GEMM, (25088, 800) @ (800, 64)).
    """
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    for start in range(0, a.shape[0], rows):
        np.matmul(a[start : start + rows], b, out=out[start : start + rows])
    return out


def bias_gradient(grad: Array) -> Array:
    """``(rows, F)`` -> ``(F,)``: the column sums, added row after row exactly as
    ``grad.sum(axis=0)`` adds them (the same bits), by ``einsum``'s loop, which walks the
    rows faster: a first layer's 12.8 MB of gradient in 0.58 ms against 1.54."""
    return np.einsum("ij->j", grad)


def sum_in_order(parts: list[Array]) -> Array:
    """The sum of same-shaped arrays, added first to last (a fixed rounding)."""
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


def input_gradient(
    grad: Array, w: Array, padded_shape: tuple[int, ...], stride: int, out: Array | None = None
) -> Array:
    """dLoss/d(padded input): each kernel offset's share, added into its shifted window.

    ``grad`` is ``(N*OH*OW, F)``, ``w`` is ``(kh, kw, C, F)``. One small GEMM per
    offset writes straight into the image (``out`` if given, zeroed first); this is
    the adjoint of :func:`im2col` without materialising the ``(N*OH*OW, kh*kw*C)``
    column gradient (half the time). Training calls it per chunk of the batch, whose
    image and shares stay in cache between the 25 adds.
    """
    kh, kw, c, _ = w.shape
    n = padded_shape[0]
    oh = (padded_shape[1] - kh) // stride + 1
    ow = (padded_shape[2] - kw) // stride + 1
    if out is None:
        out = np.zeros(padded_shape, dtype=grad.dtype)
    else:
        out[...] = 0
    for i in range(kh):
        for j in range(kw):
            share = (grad @ w[i, j].T).reshape(n, oh, ow, c)  # (N*OH*OW, F) -> (N, OH, OW, C)
            out[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :] += share
    return out


class Conv2D(Layer):
    """2-D convolution (cross-correlation) with stride and zero padding.

    ``W`` has shape ``(kh, kw, in_channels, filters)``, ``b`` shape ``(filters,)``.
    """

    kind = "conv2d"
    decayed = ("W",)

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel: int = 3,
        stride: int = 1,
        padding: int = 0,
        init: str = "he_normal",
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_channels, self.filters, self.kernel = in_channels, filters, kernel
        self.stride, self.padding, self.init = stride, padding, init
        fan_in, fan_out = kernel * kernel * in_channels, kernel * kernel * filters
        shape = (kernel, kernel, in_channels, filters)
        self.params = {
            "W": initializers.initialize(init, shape, fan_in, fan_out, rng),
            "b": np.zeros(filters, dtype=np.float32),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        #: the network's first layer has no use for dLoss/dInput; skipping it saves a col2im
        self.input_grad = True
        #: training computes its products in Winograd's domain where that fits (set from
        #: ``TrainConfig.conv``; inference and the plain oracle never look at it)
        self.winograd = False
        #: training's im2col matrix (or transformed tiles), reused while the batch shape stays
        self._cols: Array | None = None

    def _pad(self, x: Array) -> Array:
        """Zero padding on both spatial sides (one allocation and one copy; ``np.pad``
        spends 60 us of Python on a single image)."""
        p = self.padding
        if not p:
            return x
        n, h, w, c = x.shape
        xp = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=x.dtype)
        xp[:, p : p + h, p : p + w, :] = x
        return xp

    def _buffer(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
        """Training's im2col matrix, reused from step to step while the batch shape stays.

        Backward is done with last step's patches before the next forward refills them;
        a reused buffer spares the kernel zeroing fresh pages on every step.
        """
        if self._cols is None or self._cols.shape != shape or self._cols.dtype != dtype:
            self._cols = np.empty(shape, dtype=dtype)
        return self._cols

    def forward(self, x: Array, training: bool = False) -> Array:
        xp = self._pad(x)  # (N, H+2p, W+2p, C)
        if training and self.takes_winograd(x.shape):
            spectra = self._buffer((self._spectra_size(xp.shape),), xp.dtype)
            out, saved = winograd_conv.forward(xp, self.params["W"], self.params["b"], spectra)
            if self.keeps(training):
                self._cache: winograd_conv.Saved | tuple[Array, tuple[int, ...]] = saved
            return out
        cols, out = self._convolve_chunks(xp) if training else self._convolve(xp)
        if self.keeps(training):
            self._cache = (cols, xp.shape)
        return out

    def takes_winograd(self, input_shape: tuple[int, ...]) -> bool:
        """Whether training computes this layer in Winograd's domain: when asked to, for a
        stride-1 "same" convolution of an odd kernel, enough input channels for the
        transforms to pay (``model.winograd.MIN_CHANNELS``) and an even output size."""
        _, h, w, _ = input_shape
        return (
            self.winograd
            and self.stride == 1
            and 2 * self.padding == self.kernel - 1
            and Winograd.fits(self.kernel)
            and self.in_channels >= MIN_CHANNELS
            and h % TILE_OUT == 0
            and w % TILE_OUT == 0
        )

    def _spectra_size(self, padded_shape: tuple[int, ...]) -> int:
        """Values of the transformed tiles: ``(k+1)^2`` per 2x2 outputs and channel."""
        n, hp, wp, c = padded_shape
        tiles = (hp - self.kernel + 1) * (wp - self.kernel + 1) // TILE_OUT**2
        return n * (self.kernel + 1) ** 2 * tiles * c

    def _shapes(self, xp: Array) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The patches' ``(N, OH, OW, k*k*C)`` and the output's ``(N, OH, OW, F)``."""
        n, hp, wp, c = xp.shape
        k, s = self.kernel, self.stride
        oh, ow = (hp - k) // s + 1, (wp - k) // s + 1
        return (n, oh, ow, k * k * c), (n, oh, ow, self.filters)

    def _convolve(self, xp: Array) -> tuple[Array, Array]:
        """Inference: one im2col and one product, a fresh matrix (no buffer outlives it)."""
        k, w2d = self.kernel, self.params["W"].reshape(-1, self.filters)  # (k*k*C, F)
        cols = im2col(xp, k, k, self.stride)  # (N, OH, OW, k*k*C)
        out = blocked_matmul(cols.reshape(-1, w2d.shape[0]), w2d)  # (N*OH*OW, F)
        out += self.params["b"]
        return cols, out.reshape(*cols.shape[:3], self.filters)  # (N, OH, OW, F)

    def _convolve_chunks(self, xp: Array) -> tuple[Array, Array]:
        """Training: patches and product per fixed chunk of images, on every thread."""
        patches, shape = self._shapes(xp)
        n, oh, ow, size = patches
        offsets = by_offset(self.in_channels)
        cols = self._buffer((size, n * oh * ow) if offsets else patches, xp.dtype)
        out = np.empty(shape, dtype=xp.dtype)
        k, w2d = self.kernel, self.params["W"].reshape(-1, self.filters)  # (k*k*C, F)

        def convolve(rows: slice) -> None:
            if offsets:  # (k*k*C, chunk*OH*OW), read transposed
                chunk = offset_patches(xp[rows], k, k, self.stride, cols[:, _grids(rows, oh * ow)])
                matrix = chunk.T
            else:
                im2col(xp[rows], k, k, self.stride, out=cols[rows])
                matrix = cols[rows].reshape(-1, size)  # (chunk*OH*OW, k*k*C)
            out2d = out[rows].reshape(-1, self.filters)  # (chunk*OH*OW, F), a view
            blocked_matmul(matrix, w2d, out=out2d)
            out2d += self.params["b"]

        map_chunks(convolve, len(xp))
        return cols, out

    def backward(self, grad: Array) -> Array:
        if isinstance(self._cache, winograd_conv.Saved):
            return self._winograd_backward(grad, self._cache)
        cols, padded_shape = self._cache
        n, f = padded_shape[0], self.filters
        g2d = grad.reshape(-1, f)  # (N*OH*OW, F)
        per_image = len(g2d) // n
        dxp = np.empty(padded_shape, dtype=grad.dtype) if self.input_grad else None

        def chunk_gradients(rows: slice) -> Array:
            """This chunk's share of dW; its input gradient goes straight into ``dxp``."""
            g = g2d[_grids(rows, per_image)]
            if dxp is not None:
                image = (rows.stop - rows.start, *padded_shape[1:])
                input_gradient(g, self.params["W"], image, self.stride, out=dxp[rows])
            if cols.ndim == 2:  # training's patches by kernel offset, read transposed
                patches = cols[:, _grids(rows, per_image)].T
            else:
                patches = cols[rows].reshape(len(g), -1)
            # (F, chunk*OH*OW) @ (chunk*OH*OW, k*k*C) in this order whatever the layout:
            # OpenBLAS's AVX2 kernels round ``patches.T @ g`` differently
            return (g.T @ patches).T

        partials = map_chunks(chunk_gradients, n)
        self.grads["W"][...] = sum_in_order(partials).reshape(self.params["W"].shape)
        self.grads["b"][...] = bias_gradient(g2d)
        return self._unpad(dxp, padded_shape, grad.dtype)

    def _winograd_backward(self, grad: Array, saved: winograd_conv.Saved) -> Array:
        self.grads["W"][...], dxp = winograd_conv.backward(saved, grad, self.input_grad)
        self.grads["b"][...] = bias_gradient(grad.reshape(-1, self.filters))
        return self._unpad(dxp, saved.padded_shape, grad.dtype)

    def _unpad(self, dxp: Array | None, padded_shape: tuple[int, ...], dtype: Any) -> Array:
        """The input's gradient without the padding's border (empty for a first layer)."""
        if dxp is None:  # the first layer: nobody reads it
            return np.empty((0, *padded_shape[1:]), dtype=dtype)
        p = self.padding
        return dxp[:, p : dxp.shape[1] - p, p : dxp.shape[2] - p, :] if p else dxp

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "filters": self.filters,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "init": self.init,
        }

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        h, w, _ = input_shape
        oh = _out_size(h, self.kernel, self.stride, self.padding)
        ow = _out_size(w, self.kernel, self.stride, self.padding)
        return (oh, ow, self.filters)
