"""Finishing a run: the temperature comes from the validation split, the test figures after it."""

from __future__ import annotations

import numpy as np
import pytest

from model.architectures import TrainConfig, build_network
from model.calibration import fit_temperature, nll
from model.evaluation import evaluate
from model.finishing import finish
from model.mnist import MNIST, to_float
from model.training import TrainResult, train


@pytest.fixture(scope="module")
def trained(mnist: MNIST) -> TrainResult:
    config = TrainConfig(hidden=[32], epochs=1, train_subset=3000, val_size=1000, lr=0.1)
    return train(config, mnist)


def test_finish_calibrates_on_validation_then_measures_the_test_set(
    trained: TrainResult, mnist: MNIST
) -> None:
    network = trained.network
    network.temperature = 1.0
    expected_temperature = fit_temperature(network.logits(trained.val_x), trained.val_y)
    test_x, test_y = to_float(mnist.test_images[:1500]), mnist.test_labels[:1500]

    record = finish(trained, test_x, test_y)

    assert record["temperature"] == network.temperature == pytest.approx(expected_temperature)
    assert network.temperature != 1.0
    measured = evaluate(network, test_x, test_y)  # with the fitted temperature
    assert record["test_accuracy"] == measured.accuracy and record["test_ece"] == measured.ece
    assert set(record["calibration"]) == {"val_ece_before", "val_ece_after"}
    logits = network.logits(trained.val_x)  # the fit lowers the validation NLL
    assert nll(logits, trained.val_y, network.temperature) < nll(logits, trained.val_y, 1.0)


def test_a_network_without_softmax_keeps_its_temperature(mnist: MNIST) -> None:
    config = TrainConfig(hidden=[8], loss="sigmoid_cross_entropy", activation="sigmoid")
    network = build_network(config, np.random.default_rng(0))
    images, labels = to_float(mnist.test_images[:100]), mnist.test_labels[:100]
    result = TrainResult(network, val_x=images[:50], val_y=labels[:50])
    record = finish(result, images[50:], labels[50:])
    assert record["calibration"] == {} and record["temperature"] == network.temperature == 1.0
    assert 0.0 <= record["test_accuracy"] <= 1.0
