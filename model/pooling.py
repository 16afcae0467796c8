"""Pooling: fewer positions, the same channels. Batch-first, channels-last (NHWC).

``MaxPool2D`` keeps the strongest response of each window (the convolutional
network's down-sampling); ``GlobalAvgPool`` averages each channel over the whole
image, so what follows sees one number per channel whatever the image's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.layers import Array, Layer
from model.parallel import for_each_chunk

#: images whose gradient is routed in one go: the window masks, tie counts and shares of
#: a few images stay in the cache (element-wise, so any grouping gives the same numbers;
#: a batch of 128 at 28x28x32 on one thread, measured: 4.3 ms against 8.7 for the whole
#: share at once through strided views)
CACHED_IMAGES = 8


class MaxPool2D(Layer):
    """Max pooling over non-overlapping ``size x size`` windows (floor mode).

    The gradient goes to the window's maximum; tied maxima share it equally
    (a valid subgradient: the background of a padded convolution ties everywhere).
    The forward pass takes the maximum of the size*size strided views of a window's
    positions, several times faster than reducing a 6-D view; the backward pass
    compares the windows, seen as a 6-D view, with their maxima in one broadcast.
    """

    kind = "maxpool2d"

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = size

    def _offsets(self, x: Array) -> list[Array]:
        """The ``size*size`` strided views ``(N, OH, OW, C)``, one per window position."""
        s = self.size
        oh, ow = x.shape[1] // s, x.shape[2] // s
        return [x[:, i : oh * s : s, j : ow * s : s, :] for i in range(s) for j in range(s)]

    def forward(self, x: Array, training: bool = False) -> Array:
        s = self.size
        n, h, w, c = x.shape
        out = np.empty((n, h // s, w // s, c), dtype=x.dtype)  # (N, H/s, W/s, C)

        def pool(rows: slice) -> None:
            views = self._offsets(x[rows])
            np.copyto(out[rows], views[0])
            for view in views[1:]:
                np.maximum(out[rows], view, out=out[rows])

        for_each_chunk(pool, n, x.size, enabled=training)
        if self.keeps(training):
            self._cache = (x, out)
        return out

    def backward(self, grad: Array) -> Array:
        x, out = self._cache
        s = self.size
        n, h, w, c = x.shape
        oh, ow = h // s, w // s
        covered = h == oh * s and w == ow * s  # every pixel in some window
        dx = (np.empty if covered else np.zeros)(x.shape, dtype=grad.dtype)

        def scatter(rows: slice) -> None:
            """Route this share's gradient to its windows' maxima, a few images at a time."""
            for start in range(rows.start, rows.stop, CACHED_IMAGES):
                images = slice(start, min(start + CACHED_IMAGES, rows.stop))
                m = images.stop - images.start
                # (m, OH, s, OW, s, C): window (i, j)'s pixel (a, b) at [:, i, a, j, b]
                windows = x[images, : oh * s, : ow * s].reshape(m, oh, s, ow, s, c)
                pooled, upstream = out[images][:, :, None, :, None], grad[images]
                winners = windows == pooled
                ties = np.zeros(upstream.shape, dtype=grad.dtype)  # (m, OH, OW, C)
                for a in range(s):
                    for b in range(s):
                        ties += winners[:, :, a, :, b]  # ties split the gradient
                share = (upstream / ties)[:, :, None, :, None]
                if covered:
                    np.multiply(winners, share, out=dx[images].reshape(windows.shape))
                else:
                    dx[images, : oh * s, : ow * s] = (winners * share).reshape(m, oh * s, ow * s, c)

        for_each_chunk(scatter, n, x.size)
        return dx

    def config(self) -> dict[str, Any]:
        return {"size": self.size}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        h, w, c = input_shape
        return (h // self.size, w // self.size, c)


class GlobalAvgPool(Layer):
    """``(N, H, W, C) -> (N, C)``: the mean of each channel."""

    kind = "global_avg_pool"

    def forward(self, x: Array, training: bool = False) -> Array:
        if self.keeps(training):
            self._shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, grad: Array) -> Array:
        _, h, w, _ = self._shape
        return np.broadcast_to(grad[:, None, None, :] / np.float32(h * w), self._shape).copy()

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[-1],)
