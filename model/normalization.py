"""Batch normalisation: each feature or channel rescaled to a steady mean and spread.

While training, a batch is normalised with its own statistics and running averages
of them are kept; at inference the running averages are used, so one image's
answer never depends on the others it came with.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.layers import Array, Layer
from model.parallel import for_each_chunk


class BatchNorm(Layer):
    """Batch normalisation over every axis but the last (features or channels).

    Training normalises with the batch statistics and updates running averages;
    inference uses the running averages. ``gamma`` and ``beta`` are trained; the
    running mean and variance are saved ``state``. Per-channel sums are products
    with a vector of ones: BLAS does them far faster than ``ndarray.sum`` over axes.
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

    @staticmethod
    def _channel_mean(x2d: Array) -> Array:
        """``(m, C) -> (C,)`` mean of each column."""
        return np.ones(len(x2d), dtype=x2d.dtype) @ x2d / np.float32(len(x2d))

    def forward(self, x: Array, training: bool = False) -> Array:
        x2d = x.reshape(-1, self.features)  # (N*H*W, C) or (N, features)
        centred = np.empty_like(x2d)
        if training:
            mean = self._channel_mean(x2d)
            squared = np.empty_like(x2d)

            def centre(rows: slice) -> None:
                np.subtract(x2d[rows], mean, out=centred[rows])
                np.multiply(centred[rows], centred[rows], out=squared[rows])

            for_each_chunk(centre, len(x2d), x2d.size)
            var = self._channel_mean(squared)
            m = np.float32(self.momentum)
            self.state["running_mean"] = m * self.state["running_mean"] + (1 - m) * mean
            self.state["running_var"] = m * self.state["running_var"] + (1 - m) * var
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
            np.subtract(x2d, mean, out=centred)
        inv_std = 1.0 / np.sqrt(var + np.asarray(self.eps, dtype=var.dtype))
        x_hat, out = centred, np.empty_like(x2d)  # x_hat overwrites centred, row by row

        def normalise(rows: slice) -> None:
            np.multiply(centred[rows], inv_std, out=x_hat[rows])
            np.multiply(x_hat[rows], self.params["gamma"], out=out[rows])
            out[rows] += self.params["beta"]

        for_each_chunk(normalise, len(x2d), x2d.size, enabled=training)
        if self.keeps(training):
            self._cache = (x_hat, inv_std)
        return out.reshape(x.shape)

    def backward(self, grad: Array) -> Array:
        x_hat, inv_std = self._cache
        g2d = grad.reshape(x_hat.shape)  # (N*H*W, C)
        scaled, dx_hat, dx_hat_x_hat = (np.empty_like(g2d) for _ in range(3))

        def products(rows: slice) -> None:
            np.multiply(g2d[rows], x_hat[rows], out=scaled[rows])
            np.multiply(g2d[rows], self.params["gamma"], out=dx_hat[rows])
            np.multiply(dx_hat[rows], x_hat[rows], out=dx_hat_x_hat[rows])

        for_each_chunk(products, len(g2d), g2d.size)
        ones = np.ones(len(g2d), dtype=g2d.dtype)
        self.grads["gamma"][...] = ones @ scaled
        self.grads["beta"][...] = ones @ g2d
        mean_dx_hat = self._channel_mean(dx_hat)
        mean_dx_hat_x_hat = self._channel_mean(dx_hat_x_hat)
        dx = scaled  # reused: its sum is taken

        def combine(rows: slice) -> None:
            np.subtract(dx_hat[rows], mean_dx_hat, out=dx[rows])
            np.multiply(x_hat[rows], mean_dx_hat_x_hat, out=dx_hat_x_hat[rows])
            dx[rows] -= dx_hat_x_hat[rows]
            dx[rows] *= inv_std

        for_each_chunk(combine, len(g2d), g2d.size)
        return dx.reshape(grad.shape)

    def config(self) -> dict[str, Any]:
        return {"features": self.features, "momentum": self.momentum, "eps": self.eps}
