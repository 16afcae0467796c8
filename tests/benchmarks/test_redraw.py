"""The benchmark's redrawn digits keep what makes them the digit they are labelled."""

from __future__ import annotations

import numpy as np

from app.vision.components import label_components
from benchmarks import redraw
from model.mnist import MNIST, to_float

DIGITS = 300  # the first test digits; the old pen redraw lost a loop in 3 of them
THIN_PEN = 4.0  # pixels, at a height of 96: a pen thin enough to draw any loop


def loop_count(alpha: np.ndarray) -> int:
    return label_components(redraw.loops(alpha > 0.5)).count


def test_a_pen_redraw_keeps_every_loop_the_digit_shows(mnist: MNIST) -> None:
    digits = to_float(mnist.test_images[:DIGITS])
    lost = [
        k
        for k, digit in enumerate(digits)
        if loop_count(redraw.pen_alpha(digit, 96, THIN_PEN))
        < loop_count(redraw.digit_alpha(digit, 96))
    ]
    assert lost == [], f"test digits whose loops the pen redraw filled: {lost}"


def test_a_pen_redraw_goes_round_a_loop_filled_with_ink() -> None:
    """A 6 whose loop MNIST-style ink filled: a slanted stem ending in a solid disc."""
    y, x = np.mgrid[:28, :28].astype(np.float32)
    stem = np.clip(1.75 - np.abs(x - 10 - (20 - y) * 0.25), 0, 1) * (y >= 4) * (y <= 20)
    disc = np.clip(4.5 - np.hypot(y - 19, x - 13), 0, 1)
    six = np.maximum(stem, disc)
    assert loop_count(redraw.digit_alpha(six, 96)) == 0
    assert loop_count(redraw.pen_alpha(six, 96, THIN_PEN)) == 1


def test_a_blob_is_ink_much_deeper_than_the_strokes() -> None:
    y, x = np.mgrid[:40, :80]
    bar = (np.abs(y - 20) < 3) & (x > 5) & (x < 75)  # a stroke 5 pixels wide
    for radius, blob in ((4, False), (9, True)):  # a knot in it, and a filled loop
        shape = bar | (np.hypot(y - 20, x - 40) <= radius)
        cores = redraw.blob_cores(shape, redraw.thin(shape))
        assert cores.any() == blob, radius
        assert not (cores & (np.abs(x - 40) > radius)).any()


def test_loops_are_the_enclosed_background_only() -> None:
    ring = np.zeros((20, 30), bool)
    ring[4:16, 4:16] = True
    ring[7:13, 7:13] = False  # a 36-pixel loop
    ring[8:10, 20:29] = True  # a bar: no loop
    inside = redraw.loops(ring)
    assert inside.sum() == 36 and inside[7:13, 7:13].all()
    assert not redraw.loops(ring, min_area=37).any()
