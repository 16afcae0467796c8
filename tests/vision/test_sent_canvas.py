"""The drawing page sends its pad grey at half size (``static/js/pad.js``): the pipeline
reads it as it reads the full-size canvas, because its ink analysis halves a 280-pixel
drawing anyway. ``benchmarks/sent_canvas.py`` measures the accuracy of both."""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.vision.pipeline import prepare_digit
from benchmarks.redraw import pen_alpha, place
from benchmarks.synthetic import CANVAS, canvas_of
from model.mnist import MNIST

#: Digits drawn on the 280x280 pad, with brushes across the page's range.
DRAWINGS = 40
#: The page's brush: 8 to 48 logical pixels (templates/index.html, ``#brush``).
BRUSH = (8.0, 48.0)
#: Mean |difference| of two 28x28 images (0..1): two different digits among these drawings
#: differ by 0.19 (median; 0.09 the least). Most half-size canvases give the very same
#: image; a few differ where the full-size cut read finer strokes.
MOST = 0.02
WORST = 0.1


def pad_drawings(mnist: MNIST) -> list[Image.Image]:
    """Black-on-white 280x280 canvases of MNIST test digits, as the pad draws them:
    25% to 90% of its height, any brush the page offers (at most a quarter of the digit)."""
    rng = np.random.default_rng(25)
    drawings = []
    for digit in mnist.test_images[:DRAWINGS]:
        height = int(rng.integers(int(0.25 * CANVAS), int(0.9 * CANVAS)))
        brush = float(rng.uniform(BRUSH[0], min(BRUSH[1], 0.25 * height)))
        alpha = place(pen_alpha(digit, height, brush), (CANVAS, CANVAS), rng)
        drawings.append(canvas_of("canvas_white", alpha, rng))
    return drawings


def test_the_half_size_canvas_gives_the_full_size_canvas_digit(mnist: MNIST) -> None:
    differences = []
    for full in pad_drawings(mnist):
        whole, half = prepare_digit(full), prepare_digit(full.reduce(2))
        assert (whole.empty, half.empty, half.digits_found) == (False, False, whole.digits_found)
        a, b = whole.pieces[0], half.pieces[0]
        differences.append(float(np.abs(a.image - b.image).mean()))
        # the digit is found in the same place, in the half-size picture's pixels
        assert np.allclose(np.array(a.box) / 2, b.box, atol=1.5), (a.box, b.box)
    assert float(np.mean(differences)) < MOST, differences
    assert max(differences) < WORST, differences
    assert sum(d == 0.0 for d in differences) >= len(differences) // 2, differences
