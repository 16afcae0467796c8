"""The robustness benchmark's families, smaller, with floors: a regression fails CI.

Same generators as ``benchmarks/robustness.py`` (MNIST *test* digits redrawn on
canvases, in photos, as numbers), the shipped ``weights/mlp.json``, and the same
pipeline as the API. The floors sit a little below what these exact samples
score (fixed seeds), measured when the pipeline was written; the benchmark's
figures on larger samples are in docs/pipeline.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.vision.pipeline import prepare_digit
from benchmarks import robustness, synthetic
from model.mnist import MNIST, to_float
from model.network import Network
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
SEED = 1
COUNT = 100
PHOTO_COUNT = 80
NUMBER_COUNT = 80

#: Accuracy floors (fractions) for these samples.
FLOORS = {  # measured 0.98, 0.99, 0.99, 0.97, 0.99, 0.9875, 0.9875, 0.975, 0.9875, 0.9875, 0.9875,
    # photo_desk 0.9875 (0.8875 before the page's edge was told from writing), and
    # photo_cropped 0.9375 (0.8875 before a table had to lie along the border, 0.925
    # before the paper's noise was measured on the paper alone)
    "canvas_transparent": 0.96,
    "canvas_white": 0.97,
    "canvas_dark": 0.96,
    "canvas_thin": 0.96,
    "canvas_thick": 0.94,
    "photo_paper": 0.96,
    "photo_grid": 0.96,
    "photo_chalk": 0.94,
    "scan": 0.96,
    "photo_pencil": 0.93,
    "photo_shadow": 0.93,
    "photo_desk": 0.95,
    "photo_cropped": 0.9,
}
#: Digits reported as no digit at all, allowed per family: none but in a photo cropped to
#: the ink, where a fat 1 can leave too little paper to be told from its ink (measured 0
#: of 80; 3 before a table had to lie along the border, 1 before ``ink.paper_noise``)
EMPTY_ALLOWED = {"photo_cropped": 1}
NUMBER_FLOORS = {2: 0.92, 4: 0.92}  # measured 0.95 and 0.95 (whole numbers right)
#: At most this share of single digits said to hold several (``Prepared.digits_found``) ...
SEVERAL_SHARE = 0.02
#: ... and at least this share of numbers sent as one digit counted right (measured 0.9875
#: for 2 and for 4 digits).
COUNTED_FLOOR = 0.95

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def network() -> Network:
    return load(REPO / "weights" / "mlp.json")[0]


@pytest.fixture(scope="module")
def test_set(mnist: MNIST) -> tuple[np.ndarray, np.ndarray]:
    return to_float(mnist.test_images), mnist.test_labels


@pytest.mark.parametrize("family", synthetic.FAMILIES)
def test_family_accuracy(family: str, network: Network, test_set: tuple) -> None:  # type: ignore[type-arg]
    images, labels = test_set
    count = PHOTO_COUNT if family in synthetic.PHOTO_FAMILIES else COUNT
    result = robustness.family_result(family, network, images, labels, count, SEED)
    empty = result.empty
    assert empty <= EMPTY_ALLOWED.get(family, 0), f"{family}: {empty} digits reported as no digit"
    assert result.accuracy >= FLOORS[family], f"{family}: {result.accuracy:.3f}"
    # one digit said to hold several: measured 1 (a wide 4) in canvas_transparent, else 0
    assert result.several <= SEVERAL_SHARE * count, f"{family}: {result.several} said several"


@pytest.mark.parametrize("length", sorted(NUMBER_FLOORS))
def test_number_accuracy(length: int, network: Network, test_set: tuple) -> None:  # type: ignore[type-arg]
    images, labels = test_set
    result = robustness.number_result(length, network, images, labels, NUMBER_COUNT, SEED)
    assert result.accuracy >= NUMBER_FLOORS[length], f"{length} digits: {result.accuracy:.3f}"
    assert result.miscounted <= 0.06 * NUMBER_COUNT
    # sent as one digit (POST /predict), the number is said to hold its digits
    assert result.counted is not None and result.counted >= COUNTED_FLOOR, result.counted


def test_inputs_without_a_digit_are_empty() -> None:
    blanks = robustness.blank_inputs(np.random.default_rng(SEED))
    answers = {name: prepare_digit(image) for name, image in blanks.items()}
    assert all(a.empty and a.reason for a in answers.values()), {
        name: a.reason for name, a in answers.items()
    }
