"""Convolutional layers, vectorised with NumPy stride tricks.

Images are batch-first and channels-last (NHWC): ``(batch, height, width, channels)``.
That layout lets im2col be a single copy of a sliding-window view into a matrix of
shape ``(batch*out_h*out_w, kh*kw*channels)``, after which a convolution is one
matrix product. No Python loop runs over pixels or images; the only loops are over
the kh*kw kernel offsets when gradients are scattered back (col2im).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from model import initializers
from model.layers import Array, Layer


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: Array, kh: int, kw: int, stride: int) -> Array:
    """``(N, H, W, C)`` (already padded) -> ``(N, OH, OW, kh*kw*C)`` patches."""
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, OH', OW', C, kh, kw)
    windows = windows[:, ::stride, ::stride]  # (N, OH, OW, C, kh, kw)
    n, oh, ow, c = windows.shape[:4]
    return np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3)).reshape(n, oh, ow, kh * kw * c)


def col2im(cols: Array, padded_shape: tuple[int, ...], kh: int, kw: int, stride: int) -> Array:
    """Adjoint of :func:`im2col`: sum patch gradients back into a padded image."""
    n, oh, ow, _ = cols.shape
    c = padded_shape[3]
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    out = np.zeros(padded_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :] += patches[
                :, :, :, i, j, :
            ]
    return out


def chunked_gram(a: Array, b: Array, rows: int = 8192) -> Array:
    """``a.T @ b`` for tall ``a`` and ``b``, summed over row blocks.

    BLAS is slow on one very tall transposed product; blocks that fit in cache
    are several times faster.
    """
    out = np.zeros((a.shape[1], b.shape[1]), dtype=np.result_type(a, b))
    for start in range(0, a.shape[0], rows):
        out += a[start : start + rows].T @ b[start : start + rows]
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

    def _pad(self, x: Array) -> Array:
        p = self.padding
        return np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))) if p else x

    def forward(self, x: Array, training: bool = False) -> Array:
        xp = self._pad(x)  # (N, H+2p, W+2p, C)
        cols = im2col(xp, self.kernel, self.kernel, self.stride)  # (N, OH, OW, k*k*C)
        w2d = self.params["W"].reshape(-1, self.filters)  # (k*k*C, F)
        self._cache = (cols, xp.shape)
        n, oh, ow, patch = cols.shape
        out = cols.reshape(-1, patch) @ w2d + self.params["b"]  # one GEMM: (N*OH*OW, F)
        return out.reshape(n, oh, ow, self.filters)

    def backward(self, grad: Array) -> Array:
        cols, padded_shape = self._cache
        g2d = grad.reshape(-1, self.filters)  # (N*OH*OW, F)
        c2d = cols.reshape(g2d.shape[0], -1)  # (N*OH*OW, k*k*C)
        self.grads["W"][...] = chunked_gram(c2d, g2d).reshape(self.params["W"].shape)
        self.grads["b"][...] = g2d.sum(axis=0)
        if not self.input_grad:
            return np.zeros(padded_shape, dtype=grad.dtype)[:0]
        dcols = (g2d @ self.params["W"].reshape(-1, self.filters).T).reshape(cols.shape)
        dxp = col2im(dcols, padded_shape, self.kernel, self.kernel, self.stride)
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


class MaxPool2D(Layer):
    """Max pooling over non-overlapping ``size x size`` windows (floor mode).

    The gradient goes to the window's maximum; tied maxima share it equally
    (a valid subgradient), which keeps the backward pass a few vectorised ops.
    """

    kind = "maxpool2d"

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = size

    def _windows(self, x: Array) -> Array:
        """``(N, H, W, C) -> (N, OH, s, OW, s, C)`` view (floor mode crops the rest)."""
        n, h, w, c = x.shape
        s = self.size
        oh, ow = h // s, w // s
        return x[:, : oh * s, : ow * s, :].reshape(n, oh, s, ow, s, c)

    def forward(self, x: Array, training: bool = False) -> Array:
        windows = self._windows(x)
        out = windows.max(axis=(2, 4))  # (N, OH, OW, C)
        self._cache = (windows, out, x.shape)
        return out

    def backward(self, grad: Array) -> Array:
        windows, out, shape = self._cache
        mask = windows == out[:, :, None, :, None, :]
        share = grad / mask.sum(axis=(2, 4), dtype=grad.dtype)  # ties split the gradient
        dwin = mask * share[:, :, None, :, None, :]  # (N, OH, s, OW, s, C)
        n, oh, s, ow, _, c = dwin.shape
        dx = dwin.reshape(n, oh * s, ow * s, c)
        if dx.shape != shape:
            full = np.zeros(shape, dtype=grad.dtype)
            full[:, : oh * s, : ow * s, :] = dx
            return full
        return dx

    def config(self) -> dict[str, Any]:
        return {"size": self.size}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        h, w, c = input_shape
        return (h // self.size, w // self.size, c)


class BatchNorm(Layer):
    """Batch normalisation over every axis but the last (features or channels).

    Training normalises with the batch statistics and updates running averages;
    inference uses the running averages. ``gamma`` and ``beta`` are trained; the
    running mean and variance are saved ``state``.
    """

    kind = "batchnorm"

    def __init__(self, features: int, momentum: float = 0.9, eps: float = 1e-5) -> None:
        super().__init__()
        self.features, self.momentum, self.eps = features, momentum, eps
        self.params = {
            "gamma": np.ones(features, dtype=np.float32),
            "beta": np.zeros(features, dtype=np.float32),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.state = {
            "running_mean": np.zeros(features, dtype=np.float32),
            "running_var": np.ones(features, dtype=np.float32),
        }

    def forward(self, x: Array, training: bool = False) -> Array:
        axes = tuple(range(x.ndim - 1))
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = np.float32(self.momentum)
            self.state["running_mean"] = m * self.state["running_mean"] + (1 - m) * mean
            self.state["running_var"] = m * self.state["running_var"] + (1 - m) * var
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
        inv_std = 1.0 / np.sqrt(var + np.asarray(self.eps, dtype=var.dtype))
        x_hat = (x - mean) * inv_std
        self._cache = (x_hat, inv_std, axes)
        return x_hat * self.params["gamma"] + self.params["beta"]

    def backward(self, grad: Array) -> Array:
        x_hat, inv_std, axes = self._cache
        m = grad.size // grad.shape[-1]
        self.grads["gamma"][...] = (grad * x_hat).sum(axis=axes)
        self.grads["beta"][...] = grad.sum(axis=axes)
        dx_hat = grad * self.params["gamma"]
        mean_dx_hat = dx_hat.sum(axis=axes) / m
        mean_dx_hat_x_hat = (dx_hat * x_hat).sum(axis=axes) / m
        return (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat) * inv_std

    def config(self) -> dict[str, Any]:
        return {"features": self.features, "momentum": self.momentum, "eps": self.eps}


class GlobalAvgPool(Layer):
    """``(N, H, W, C) -> (N, C)``: the mean of each channel."""

    kind = "global_avg_pool"

    def forward(self, x: Array, training: bool = False) -> Array:
        self._shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, grad: Array) -> Array:
        _, h, w, _ = self._shape
        return np.broadcast_to(grad[:, None, None, :] / np.float32(h * w), self._shape).copy()

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[-1],)
