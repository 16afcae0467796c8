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

from benchmarks import not_digits, real_writers, stroke_scenes
from benchmarks.synthetic import Sample
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
COUNT = 60
NUMBERS = 40
#: measured on these 60 inputs each (a digit is 1.7 points), 2026-12-07: the shipped CNN
#: 96.7% transparent, 98.3% white, 98.3% photo_paper; the shipped MLP, trained with real
#: writers (and long flags on its ones), 100% transparent, 95.0% thin, 96.7% photo_pencil,
#: where the MLP trained on MNIST alone read 95.0%, 90.0% and 93.3%. Issue 23's targets
#: (99% canvases for the CNN, 98% for the MLP) are above some of them.
FLOORS = {
    ("cnn", "canvas_transparent"): 0.93,
    ("cnn", "canvas_white"): 0.91,
    ("cnn", "photo_paper"): 0.93,
    ("mlp", "canvas_transparent"): 0.965,
    ("mlp", "canvas_thin"): 0.93,
    ("mlp", "photo_pencil"): 0.94,
}


@pytest.fixture(scope="module")
def heldout():
    return real_writers.heldout_digits()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "family"), sorted(FLOORS))
def test_the_shipped_networks_read_held_out_writers(name: str, family: str, heldout) -> None:
    network, _ = load(REPO / "weights" / f"{name}.json")
    inputs, writers = real_writers.family_inputs(family, heldout, COUNT, seed=0)
    assert set(writers) <= set(real_writers.HELDOUT_PENDIGITS_WRITERS)
    result, _ = real_writers.score(family, network, inputs, number=False)
    floor = FLOORS[name, family]
    assert result.accuracy >= floor, f"{name} {family}: {result.accuracy:.3f}"


#: 4-digit numbers of held-out writers read whole by the shipped CNN, 40 each (seed 0), with
#: touching digits cut where the network reads them best, straight down or along the lean:
#: measured (2026-12-07) tight 97.5%, touching 95.0% (straight down only: 97.5%, 92.5%;
#: the shape alone, with the CNN of 2026-12-06: 90.0%, 77.5%); floors a number below (a
#: number is 2.5 points) (``python benchmarks/number_cuts.py``, docs/pipeline.md)
NUMBER_FLOORS = {"tight": 0.95, "touching": 0.925}


@pytest.mark.slow
@pytest.mark.parametrize("gap", sorted(NUMBER_FLOORS))
def test_the_cnn_reads_held_out_writers_numbers(gap: str, heldout) -> None:
    network, _ = load(REPO / "weights" / "cnn.json")
    inputs = real_writers.number_inputs(4, gap, heldout, NUMBERS, seed=0)
    guided, _ = real_writers.score(gap, network, inputs, number=True)
    assert guided.accuracy >= NUMBER_FLOORS[gap], f"{gap}: {guided.accuracy:.3f}"
    assert guided.miscounted <= 3, f"{gap}: {guided.miscounted} numbers miscounted"


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


# -- not a digit: both sides of the trade-off, each refusing network at the default threshold --
#: measured on these exact samples at the default threshold 0.49 (2026-12-07): weights/cnn.json
#: letters 86.2% (80), trained kinds from a new seed 95.5% (66), kinds never trained on 81.0%
#: (42; the CNN shipped before it, at its threshold 0.54: 76.2%), MNIST test 0.26%, held-out
#: writers' canvases 0.0% (60); weights/mlp-refuse.json 78.8%, 92.4%, 35.7%, 0.24% and 0.0%.
#: The MNIST ceiling is issue 24's target, 0.3%.
REFUSE_FLOORS = {
    "cnn": {"letters": 0.82, "kinds": 0.9, "heldout_kinds": 0.78},
    "mlp-refuse": {"letters": 0.7, "kinds": 0.85, "heldout_kinds": 0.28},
}
FALSE_REFUSAL_CEILINGS = {
    "cnn": {"mnist_test": 0.003, "writers": 0.02},
    "mlp-refuse": {"mnist_test": 0.003, "writers": 0.02},
}


@pytest.fixture(scope="module", params=sorted(REFUSE_FLOORS))
def refuse_network(request: pytest.FixtureRequest):
    from app.settings import Settings

    network, _ = load(REPO / "weights" / f"{request.param}.json")
    assert network.not_a_digit is not None
    return request.param, network, Settings().not_a_digit_threshold


def refusals(network, threshold: float, strokes, rng: np.random.Generator) -> float:
    inputs = [stroke_scenes.scene("canvas_white", s, "x", rng) for s in strokes]
    return not_digits.rate(not_digits.through_pipeline(network, inputs), threshold)


@pytest.mark.slow
def test_non_digits_kept_from_training_are_refused(refuse_network) -> None:
    from model.negatives import HELDOUT_KINDS, TRAIN_KINDS, draw
    from model.strokedata import (
        DIGIT_LIKE_LETTERS,
        HELDOUT_UJI_WRITERS,
        load_uji_letters,
        split_writers,
    )

    name, network, threshold = refuse_network
    floors = REFUSE_FLOORS[name]
    held = split_writers(load_uji_letters(), HELDOUT_UJI_WRITERS)[1]
    letters = [s.strokes for s in held if s.label not in DIGIT_LIKE_LETTERS][:80]
    refused = refusals(network, threshold, letters, np.random.default_rng(7))
    assert refused >= floors["letters"], refused
    rng = np.random.default_rng(8)
    kinds = [draw(kind, rng) for kind in list(TRAIN_KINDS) * 6]
    refused = refusals(network, threshold, kinds, rng)
    assert refused >= floors["kinds"], refused
    rng = np.random.default_rng(9)
    unseen = [draw(kind, rng) for kind in list(HELDOUT_KINDS) * 6]
    refused = refusals(network, threshold, unseen, rng)
    assert refused >= floors["heldout_kinds"], refused


@pytest.mark.slow
def test_real_digits_are_rarely_refused(refuse_network, heldout, mnist) -> None:
    from model.mnist import to_float

    name, network, threshold = refuse_network
    ceilings = FALSE_REFUSAL_CEILINGS[name]
    mnist_rate = not_digits.rate(not_digits.scores(network, to_float(mnist.test_images)), threshold)
    assert mnist_rate <= ceilings["mnist_test"], mnist_rate
    inputs, _ = real_writers.family_inputs("canvas_white", heldout, COUNT, seed=0)
    scores = not_digits.through_pipeline(network, inputs)
    writers_rate = not_digits.rate(scores[np.isfinite(scores)], threshold)
    assert writers_rate <= ceilings["writers"], writers_rate
