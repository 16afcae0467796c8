"""Faint writing is read, not refused; a blank page is still empty.

Light pencil on grey paper, a pale scan, a blurred photo: the strokes darken the
paper by a tenth to a third, yet stand many times out of its noise. How faint
writing may be is measured against the paper's own noise
(``app.vision.ink.faintest_stroke``), so the same page with no writing, however
grey or grainy, stays empty. The family figures use the real-writer benchmark's
faint scans (``benchmarks/stroke_scenes.py``) of the held-out pendigits writers.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from pipeline_helpers import difference, drawn, only_piece

from app.vision.ink import (
    FAINT,
    MIN_CONTRAST,
    MIN_SNR,
    STEP_FAINT_STROKE,
    faintest_stroke,
    levels,
)
from app.vision.pipeline import load_image, prepare_digit, prepare_number
from app.vision.region import faint_lines
from benchmarks import real_writers, stroke_scenes
from model.weights import load

REPO = Path(__file__).resolve().parents[2]
#: Faint scans of held-out writers in the family test, and the shipped CNN's floor on
#: them: measured 2026-12-06, 39 of 40 read (97.5%; 32, 80.0%, and 7 refused as empty before
#: faint strokes were judged against the paper's noise). One digit is 2.5 points.
FAINT_COUNT = 40
FAINT_FLOOR = 0.92
FAINT_SEED = 2312


def test_faint_strokes_are_judged_against_the_papers_noise() -> None:
    # clean paper: only the least contrast seen at all limits faint strokes
    assert faintest_stroke(0.0) == MIN_CONTRAST
    assert faintest_stroke(0.5 * MIN_CONTRAST / MIN_SNR) == MIN_CONTRAST
    # grainy paper: strokes must stand MIN_SNR times out of its noise
    assert faintest_stroke(0.03) == pytest.approx(MIN_SNR * 0.03)
    assert faintest_stroke(0.03) > faintest_stroke(0.01)
    # at a sharp step of the paper's light the fixed bar holds, higher still on noisy paper
    assert faintest_stroke(0.0, stepped=True) == STEP_FAINT_STROKE
    assert faintest_stroke(0.05, stepped=True) == pytest.approx(MIN_SNR * 0.05)


def line_on_paper(darkness: float, noise: float, seed: int = 0) -> np.ndarray:
    """Ink values of a paper with one short stroke ``darkness`` dark, and ``noise``."""
    ink = np.random.default_rng(seed).normal(0.0, noise, (120, 160)).astype(np.float32)
    ink[40:80, 70:76] += darkness
    return ink


@pytest.mark.parametrize("darkness", [0.13, 0.16, 0.19])
def test_a_faint_stroke_on_clean_paper_is_ink(darkness: float) -> None:
    threshold, low, high, reason = levels(line_on_paper(darkness, 0.004), 0.004)
    assert reason is None
    assert low < threshold < darkness <= high + 0.02


@pytest.mark.parametrize("darkness", [0.13, 0.16, 0.19])
def test_the_same_stroke_on_grainy_paper_is_not(darkness: float) -> None:
    """Noise of 0.03 (a dim phone photo) leaves a stroke of 0.19 within 7 noise levels."""
    assert levels(line_on_paper(darkness, 0.03), 0.03)[3] is not None


def test_the_same_stroke_at_a_step_of_the_light_is_not() -> None:
    assert levels(line_on_paper(0.16, 0.004), 0.004, stepped=True)[3] == FAINT


def pencil_on_grey(digit: str, contrast: float, paper: float, seed: int) -> Image.Image:
    """``digit`` in pencil ``contrast`` darker than grey ``paper``, blurred, noisy, JPEG."""
    rng = np.random.default_rng(seed)
    alpha = np.asarray(drawn(digit, width=10).convert("L"), np.float32) / 255
    alpha = 1.0 - alpha  # drawn() is black on white: ink is where it is dark
    grey = paper - contrast * alpha
    image = Image.fromarray((grey * 255 + 0.5).astype(np.uint8), "L")
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(1.2)), np.float32) / 255
    noisy = np.clip(blurred + rng.normal(0, 0.01, blurred.shape), 0, 1)
    buffer = io.BytesIO()
    Image.fromarray((noisy * 255 + 0.5).astype(np.uint8), "L").save(buffer, "JPEG", quality=75)
    return load_image(buffer.getvalue())


@pytest.mark.parametrize("contrast", [0.1, 0.15, 0.25])
@pytest.mark.parametrize("digit", list("0147"))
def test_light_pencil_on_grey_paper_looks_like_the_dark_digit(digit: str, contrast: float) -> None:
    """The oracle is the same digit drawn black on white: the pale one must give the
    network the same 28x28 image, not a thinner, broken or missing one."""
    faint = only_piece(pencil_on_grey(digit, contrast, 0.75, seed=int(contrast * 100)))
    assert difference(faint, only_piece(drawn(digit, width=10))) < 0.08


@pytest.mark.parametrize("paper", [0.7, 0.8, 0.92])
def test_blank_grey_paper_scanned_the_same_way_is_empty(paper: float) -> None:
    for seed in range(3):
        blank = pencil_on_grey("1", 0.0, paper, seed)
        for prepared in (prepare_digit(blank), prepare_number(blank)):
            assert prepared.empty and prepared.reason, (paper, seed)


@pytest.fixture(scope="module")
def faint_scans() -> list:
    """The benchmark's faint scans of held-out writers, and the same pages left blank."""
    held = real_writers.heldout_digits()
    rng = np.random.default_rng(FAINT_SEED)
    picks = rng.choice(len(held), size=FAINT_COUNT, replace=False)
    return [(held[i].label, stroke_scenes.faint_scan(held[i].strokes, rng)) for i in picks]


@pytest.mark.slow
def test_faint_scans_of_held_out_writers_are_read(faint_scans: list) -> None:
    network, _ = load(REPO / "weights" / "cnn.json")
    refused, right = [], 0
    for label, data in faint_scans:
        prepared = prepare_digit(load_image(data))
        if prepared.empty:
            refused.append((label, prepared.reason))
            continue
        right += int(network.predict(prepared.pieces[0].image[None])[0]) == int(label)
    assert not refused, refused
    assert right / len(faint_scans) >= FAINT_FLOOR, f"{right} of {len(faint_scans)}"


def test_faint_scans_of_blank_pages_are_empty() -> None:
    rng = np.random.default_rng(FAINT_SEED)
    width, height = stroke_scenes.FAINT_SIZE
    for i in range(12):
        data = stroke_scenes.faint_paper(np.zeros((height, width), np.float32), rng)
        prepared = prepare_digit(load_image(data))
        assert prepared.empty and prepared.reason, i


def mask_with(*boxes: tuple[int, int, int, int], shape: tuple[int, int] = (100, 140)) -> np.ndarray:
    """A mask holding a filled rectangle (x0, y0, x1, y1) for each box."""
    mask = np.zeros(shape, bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = True
    return mask


def ring(x0: int, y0: int, x1: int, y1: int, pen: int = 3) -> list[tuple[int, int, int, int]]:
    """The four sides of a hollow box: a 0's strokes, drawn as rectangles."""
    return [
        (x0, y0, x1, y0 + pen),
        (x0, y1 - pen, x1, y1),
        (x0, y0, x0 + pen, y1),
        (x1 - pen, y0, x1, y1),
    ]


def test_a_faint_digit_clear_of_the_borders_is_no_line() -> None:
    assert not faint_lines(mask_with(*ring(50, 20, 80, 70)))


def test_a_faint_digit_the_frame_cuts_on_one_side_is_no_line() -> None:
    assert not faint_lines(mask_with(*ring(50, 0, 80, 50)))


def test_a_printed_line_into_the_borders_is_a_line() -> None:
    assert faint_lines(mask_with(*ring(50, 20, 80, 70), (0, 90, 140, 92)))  # across
    assert faint_lines(mask_with(*ring(50, 20, 80, 70), (0, 85, 60, 87)))  # into one side


def test_a_solid_wedge_of_shade_at_a_border_is_a_line() -> None:
    assert faint_lines(mask_with(*ring(50, 20, 80, 70), (120, 30, 140, 60)))
