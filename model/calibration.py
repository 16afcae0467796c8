"""Temperature scaling (Guo et al., 2017): one scalar that makes confidences honest.

Dividing the logits by a temperature T > 1 softens over-confident predictions
without changing which digit wins. T is fitted on the validation split by
minimising the negative log-likelihood, with a bounded golden-section search on
log T (the NLL is smooth and unimodal in T for softmax outputs).
"""

from __future__ import annotations

import math

import numpy as np

from model.losses import log_softmax

Array = np.ndarray


def nll(logits: Array, labels: Array, temperature: float) -> float:
    logp = log_softmax(logits.astype(np.float64) / temperature)
    return float(-logp[np.arange(len(labels)), labels].mean())


def fit_temperature(
    logits: Array, labels: Array, low: float = 0.05, high: float = 20.0, iterations: int = 60
) -> float:
    """The temperature in [low, high] that minimises validation NLL."""
    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = nll(logits, labels, math.exp(c)), nll(logits, labels, math.exp(d))
    for _ in range(iterations):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = nll(logits, labels, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = nll(logits, labels, math.exp(d))
    return math.exp((a + b) / 2)
