"""Output losses, each fused with the output non-linearity it belongs to.

A loss takes the network's last pre-activations (``logits``, shape ``(batch, 10)``)
and integer labels, and returns the mean loss and dLoss/dLogits in one pass.
Fusing keeps the maths stable: softmax subtracts the row maximum before ``exp``
and cross-entropy uses log-sum-exp, so logits of 1e4 give finite numbers.
``probabilities(logits)`` turns logits into a distribution over the ten digits.

- ``softmax_cross_entropy``: softmax outputs, negative log-likelihood.
- ``sigmoid_cross_entropy``: independent sigmoid outputs with the binary
  cross-entropy of Nielsen's network2 (``-y ln a - (1-y) ln(1-a)``).
- ``quadratic``: sigmoid outputs with the quadratic cost ``0.5 ||a - y||^2`` of
  Nielsen's first network.

``distillation`` is not a network's own loss but a training target: softmax
cross-entropy mixed with a teacher network's softened probabilities
(Hinton et al. 2015, "Distilling the knowledge in a neural network").
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from model.layers import sigmoid

Array = np.ndarray


def one_hot(labels: Array, classes: int = 10) -> Array:
    out = np.zeros((labels.shape[0], classes), dtype=np.float32)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def log_softmax(logits: Array) -> Array:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: Array) -> Array:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


class Loss:
    name: ClassVar[str] = ""

    def __call__(self, logits: Array, labels: Array) -> tuple[float, Array]:
        raise NotImplementedError

    def probabilities(self, logits: Array) -> Array:
        raise NotImplementedError


class SoftmaxCrossEntropy(Loss):
    name = "softmax_cross_entropy"

    def __call__(self, logits: Array, labels: Array) -> tuple[float, Array]:
        n = logits.shape[0]
        logp = log_softmax(logits)  # (batch, 10)
        loss = -float(logp[np.arange(n), labels].mean())
        grad = np.exp(logp)
        grad[np.arange(n), labels] -= 1.0
        return loss, (grad / n).astype(logits.dtype, copy=False)

    def probabilities(self, logits: Array) -> Array:
        return softmax(logits)


def _normalized(a: Array) -> Array:
    total = a.sum(axis=1, keepdims=True)
    return a / np.maximum(total, np.finfo(np.float32).tiny)


class SigmoidCrossEntropy(Loss):
    name = "sigmoid_cross_entropy"

    def __call__(self, logits: Array, labels: Array) -> tuple[float, Array]:
        n = logits.shape[0]
        y = one_hot(labels, logits.shape[1])
        # -y ln s(z) - (1-y) ln(1-s(z)) = max(z,0) - z y + ln(1 + e^-|z|)
        per_unit = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
        loss = float(per_unit.sum(axis=1).mean())
        return loss, ((sigmoid(logits) - y) / n).astype(logits.dtype, copy=False)

    def probabilities(self, logits: Array) -> Array:
        return _normalized(sigmoid(logits))


class Quadratic(Loss):
    name = "quadratic"

    def __call__(self, logits: Array, labels: Array) -> tuple[float, Array]:
        n = logits.shape[0]
        a = sigmoid(logits)
        diff = a - one_hot(labels, logits.shape[1])
        loss = float(0.5 * (diff**2).sum(axis=1).mean())
        return loss, (diff * a * (1 - a) / n).astype(logits.dtype, copy=False)

    def probabilities(self, logits: Array) -> Array:
        return _normalized(sigmoid(logits))


def distillation(
    logits: Array, teacher_logits: Array, labels: Array, weight: float, temperature: float
) -> tuple[float, Array]:
    """``weight * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - weight) * CE(s, labels)``.

    ``logits`` and ``teacher_logits`` are ``(batch, 10)``; returns the mean loss and
    dLoss/dLogits. The soft part is the cross-entropy to the teacher's softened
    probabilities less their entropy (a constant), so a perfect match scores 0. The
    T^2 keeps its gradient, ``T (softmax(s/T) - softmax(t/T)) / batch``, on the
    scale of the hard part's whatever the temperature.
    """
    n, t = logits.shape[0], float(temperature)
    hard, hard_grad = SoftmaxCrossEntropy()(logits, labels)
    soft_logp = log_softmax(logits / t)  # (batch, 10), the student at temperature T
    target_logp = log_softmax(teacher_logits / t)  # (batch, 10), the teacher at temperature T
    target = np.exp(target_logp)
    soft = float((target * (target_logp - soft_logp)).sum(axis=1).mean()) * t * t
    soft_grad = (np.exp(soft_logp) - target) * (t / n)
    loss = weight * soft + (1.0 - weight) * hard
    grad = weight * soft_grad + (1.0 - weight) * hard_grad
    return loss, grad.astype(logits.dtype, copy=False)


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (SoftmaxCrossEntropy, SigmoidCrossEntropy, Quadratic)
}


def get_loss(name: str) -> Loss:
    try:
        return LOSSES[name]()
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None
