"""The real-writer and not-a-digit benchmarks, small, with floors on held-out writers.

Same inputs as ``benchmarks/real_writers.py`` (seed 0: the strokes of the 10
pendigits writers no network trains on, drawn as canvases and photos) and the
shipped ``weights/cnn.json`` read through the API's pipeline. The floors sit a
little below what these exact samples score, so a regression fails CI; the
benchmark's figures on larger samples are in README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import not_digits, real_writers
from benchmarks.synthetic import Sample
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
COUNT = 60
#: measured on these 60 inputs each with the shipped CNN (2026-12-06): 95.0%, 93.3%, 96.7%
#: (a digit is 1.7 points); issue 23's targets (99% canvases) are far above them
FLOORS = {"canvas_transparent": 0.93, "canvas_white": 0.91, "photo_paper": 0.93}


@pytest.fixture(scope="module")
def heldout():
    return real_writers.heldout_digits()


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FLOORS))
def test_the_cnn_reads_held_out_writers(family: str, heldout) -> None:
    network, _ = load(REPO / "weights" / "cnn.json")
    inputs, writers = real_writers.family_inputs(family, heldout, COUNT, seed=0)
    assert set(writers) <= set(real_writers.HELDOUT_PENDIGITS_WRITERS)
    result, _ = real_writers.score(family, network, inputs, number=False)
    assert result.accuracy >= FLOORS[family], f"{family}: {result.accuracy:.3f}"


def test_numbers_are_one_writers_digits(heldout) -> None:
    inputs = real_writers.number_inputs(4, "touching", heldout, 3, seed=0)
    assert all(len(s.labels) == 4 and s.image is not None for s in inputs)


def test_the_threshold_is_the_lowest_within_the_validation_budgets() -> None:
    plain = np.zeros(1000, np.float32)
    plain[:3] = [0.95, 0.7, 0.5]  # 0.3% of validation digits score high
    drawn = np.zeros(400, np.float32)
    drawn[0] = 0.8
    # at 0.50 three plain digits (0.3%) are refused, over budget; at 0.51 two (0.2%) and
    # one drawn digit (0.25%): within both budgets
    assert not_digits.choose_threshold(plain, drawn) == pytest.approx(0.51)


def test_an_empty_verdict_counts_as_refused() -> None:
    network, _ = load(REPO / "weights" / "mlp.json")
    from PIL import Image

    blank = Sample((-1,), image=Image.new("L", (280, 280), 255))
    scores = not_digits.through_pipeline(network, [blank])
    assert np.isinf(scores[0]) and not_digits.rate(scores, 0.99) == 1.0
