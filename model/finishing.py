"""After training: calibrate on the validation split, then measure the test set once.

The order matters and is the same for every run. The temperature is fitted on
the validation images the run held out (``model.calibration``), never on the test
set; only then is the test set measured, once, with the calibrated network, so
its accuracy and calibration error are the figures the weights file reports.

``finish(result, test_images, test_labels)`` does both and returns the fields the
``training`` record gains (``model.training.training_record`` takes them as
``extra``). Where the data and the code came from (checksums, date, versions) is
for the caller to add.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.calibration import fit_temperature
from model.evaluation import evaluate, expected_calibration_error
from model.network import Network
from model.training import TrainResult

Array = np.ndarray


def calibrate(network: Network, val_x: Array, val_y: Array) -> dict[str, float]:
    """Fit the network's temperature on the validation split (in place) and return the
    calibration error before and after; nothing for a loss that is not a softmax."""
    if network.loss.name != "softmax_cross_entropy" or len(val_y) == 0:
        return {}
    logits = network.logits(val_x)
    before = expected_calibration_error(network.loss.probabilities(logits), val_y)
    network.temperature = fit_temperature(logits, val_y)
    after = expected_calibration_error(network.predict_proba(val_x), val_y)
    return {"val_ece_before": before, "val_ece_after": after}


def finish(result: TrainResult, test_images: Array, test_labels: Array) -> dict[str, Any]:
    """Calibrate ``result.network``, then measure it on the test set (floats in 0..1)."""
    calibration = calibrate(result.network, result.val_x, result.val_y)
    test = evaluate(result.network, test_images, test_labels)
    return {
        "test_accuracy": test.accuracy,
        "test_ece": test.ece,
        "temperature": result.network.temperature,
        "calibration": calibration,
    }
