"""Optimizers and learning-rate schedules.

An optimizer walks the network's ``(layer, key)`` parameter pairs and updates
``layer.params[key]`` in place from ``layer.grads[key]``, so it works for every
layer without knowing what it is. L2 weight decay is added to the gradient of the
keys a layer lists in ``decayed`` (weights, never biases or batch-norm shifts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.layers import Array, Layer
from model.network import Network


class Optimizer:
    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = lr
        self.weight_decay = weight_decay
        self._slots: dict[tuple[int, str], list[Array]] = {}

    def gradient(self, layer: Layer, key: str) -> Array:
        grad = layer.grads[key]
        if self.weight_decay and key in layer.decayed:
            return grad + np.float32(self.weight_decay) * layer.params[key]
        return grad

    def slots(self, layer: Layer, key: str, count: int) -> list[Array]:
        """Per-parameter buffers (velocity, moments), created as zeros on first use."""
        ident = (id(layer), key)
        if ident not in self._slots:
            self._slots[ident] = [np.zeros_like(layer.params[key]) for _ in range(count)]
        return self._slots[ident]

    def step(self, network: Network) -> None:
        for layer, key in network.parameters():
            self.update(layer, key, self.gradient(layer, key))

    def update(self, layer: Layer, key: str, grad: Array) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum."""

    def __init__(
        self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr, weight_decay)
        self.momentum, self.nesterov = momentum, nesterov

    def update(self, layer: Layer, key: str, grad: Array) -> None:
        param, lr = layer.params[key], np.float32(self.lr)
        if not self.momentum:
            param -= lr * grad
            return
        (velocity,) = self.slots(layer, key, 1)
        mu = np.float32(self.momentum)
        velocity *= mu
        velocity -= lr * grad
        if self.nesterov:
            param += mu * velocity - lr * grad
        else:
            param += velocity


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction; decay is classic L2, added to the gradient."""

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0

    def step(self, network: Network) -> None:
        self.t += 1
        super().step(network)

    def update(self, layer: Layer, key: str, grad: Array) -> None:
        m, v = self.slots(layer, key, 2)
        b1, b2 = np.float32(self.beta1), np.float32(self.beta2)
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        step = self.lr * math.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        layer.params[key] -= np.float32(step) * m / (np.sqrt(v) + np.float32(self.eps))


def make_optimizer(
    name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0
) -> Optimizer:
    if name == "sgd":
        return SGD(lr, momentum=momentum, weight_decay=weight_decay)
    if name == "nesterov":
        return SGD(lr, momentum=momentum, nesterov=True, weight_decay=weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; known: sgd, nesterov, adam")


@dataclass(frozen=True)
class Schedule:
    """Learning rate as a function of the (fractional) epoch.

    ``constant``; ``step`` (times ``gamma`` every ``step_epochs``); ``cosine``
    (from ``base`` to ``base * final_fraction`` over ``epochs``); all with an optional
    linear warm-up over the first ``warmup`` epochs.
    """

    kind: str
    base: float
    epochs: int
    gamma: float = 0.1
    step_epochs: int = 10
    final_fraction: float = 0.0
    warmup: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "step", "cosine"):
            raise ValueError(f"unknown schedule {self.kind!r}; known: constant, step, cosine")

    def __call__(self, epoch: float) -> float:
        if self.warmup and epoch < self.warmup:
            return self.base * (epoch + 1e-3) / self.warmup
        if self.kind == "step":
            return self.base * self.gamma ** int(epoch // self.step_epochs)
        if self.kind == "cosine":
            progress = min(epoch / max(self.epochs, 1), 1.0)
            low = self.base * self.final_fraction
            return low + (self.base - low) * 0.5 * (1 + math.cos(math.pi * progress))
        return self.base
