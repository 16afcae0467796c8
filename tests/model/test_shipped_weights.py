"""The committed weight files reach their stated accuracy on the real MNIST test set."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.evaluation import evaluate
from model.mnist import MNIST, to_float
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
#: floors at or a little below what each shipped file measures (mlp 0.9932, cnn 0.9959); issue 2
#: asks 0.983 of the MLP, issue 6 0.995 of the CNN
FLOORS = {"mlp": 0.99, "cnn": 0.995}
MAX_BYTES = 5 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_shipped_weights_reach_their_stated_accuracy(name: str, mnist: MNIST) -> None:
    path = REPO / "weights" / f"{name}.json"
    assert path.is_file(), f"{path} is missing"
    assert path.stat().st_size <= MAX_BYTES
    network, doc = load(path)
    result = evaluate(network, to_float(mnist.test_images), mnist.test_labels)
    assert result.accuracy >= FLOORS[name]
    # the file's own record must be honest: what it claims is what it does
    assert result.accuracy == pytest.approx(doc["training"]["test_accuracy"], abs=5e-4)
    assert doc["training"]["seed"] == doc["training"]["hyperparameters"]["seed"]
    assert len(doc["training"]["history"]) >= 1
