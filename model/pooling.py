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


class MaxPool2D(Layer):
    """Max pooling over non-overlapping ``size x size`` windows (floor mode).

    The gradient goes to the window's maximum; tied maxima share it equally
    (a valid subgradient: the background of a padded convolution ties everywhere).
    Both passes loop over the size*size offsets of a window, each a strided view
    of the whole batch; that is several times faster than reducing a 6-D view.
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
        covered = x.shape[1] % s == 0 and x.shape[2] % s == 0  # every pixel in some window
        dx = (np.empty if covered else np.zeros)(x.shape, dtype=grad.dtype)

        def scatter(rows: slice) -> None:
            """Route this chunk's gradient to its windows' maxima (ties share it)."""
            winners = [view == out[rows] for view in self._offsets(x[rows])]
            ties = np.zeros(out[rows].shape, dtype=grad.dtype)
            for winner in winners:
                ties += winner
            share = grad[rows] / ties  # ties split the gradient
            for view, winner in zip(self._offsets(dx[rows]), winners, strict=True):
                np.multiply(share, winner, out=view)

        for_each_chunk(scatter, len(x), x.size)
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
