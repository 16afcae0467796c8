"""Measuring a network: accuracy, per-class accuracy, confusion, calibration error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.network import Network

Array = np.ndarray


def accuracy(network: Network, images: Array, labels: Array) -> float:
    return float((network.predict(images) == labels).mean())


def confusion_matrix(true: Array, predicted: Array, classes: int = 10) -> Array:
    """``(classes, classes)`` counts: row = true digit, column = predicted digit."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def expected_calibration_error(probs: Array, labels: Array, bins: int = 15) -> float:
    """ECE: the gap between confidence and accuracy, averaged over confidence bins."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


@dataclass
class Evaluation:
    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]
    ece: float
    count: int
    predicted: Array
    probabilities: Array

    def to_dict(self) -> dict[str, object]:
        return {
            "accuracy": self.accuracy,
            "per_class": self.per_class,
            "confusion": self.confusion,
            "expected_calibration_error": self.ece,
            "count": self.count,
        }


def evaluate(network: Network, images: Array, labels: Array) -> Evaluation:
    probs = network.predict_proba(images)
    predicted = probs.argmax(axis=1)
    matrix = confusion_matrix(labels, predicted)
    per_class = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
    return Evaluation(
        accuracy=float((predicted == labels).mean()),
        per_class=[float(p) for p in per_class],
        confusion=matrix.tolist(),
        ece=expected_calibration_error(probs, labels),
        count=len(labels),
        predicted=predicted,
        probabilities=probs,
    )
