"""The pipeline's shortcuts for clean drawings give what the plain path gives, exactly.

A canvas's paper is one grey level, so the ink analysis keeps that level
(``InkMap.flat_paper``) and ``InkMap.paper_in`` returns it instead of resampling the
paper image (``InkMap.resampled_paper``, the plain path and the oracle here). The grey
levels' counts come from Pillow's histogram (``ink.pixel_counts``) instead of NumPy's
(``polarity.level_counts``) and tell which side of the paper the ink is on when one side
holds no pixel (``ink.ink_is_lighter``), and a mask the cut reads at the analysis resolution is not
resampled (``pipeline._resampled_mask``). Each test runs the pipeline both ways on the
same drawings and asks for the same 28x28 images, bit for bit, and the same boxes.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from test_sent_canvas import pad_drawings

from app.vision import ink as ink_module
from app.vision import pipeline
from app.vision.decode import load_image, to_grey
from app.vision.ink import InkMap, analyse, ink_is_lighter, pixel_counts
from app.vision.pipeline import Prepared, prepare_digit, prepare_number
from app.vision.polarity import level_counts
from benchmarks.redraw import pen_alpha, place
from benchmarks.synthetic import canvas_of, photo_sample
from model.mnist import MNIST


def plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every paper and mask read by resampling and the grey levels counted by NumPy, as
    before the shortcuts."""
    monkeypatch.setattr(InkMap, "paper_in", InkMap.resampled_paper)
    monkeypatch.setattr(ink_module, "pixel_counts", lambda image: None)

    def resampled(region, ink, box, size):  # type: ignore[no-untyped-def]
        grown = pipeline._grown_mask(region, ink, box)
        return pipeline._resampled_mask(grown, ink.scale, box, size)

    monkeypatch.setattr(pipeline, "_mask_at", resampled)


def same(fast: Prepared, slow: Prepared) -> None:
    assert (fast.empty, fast.reason, fast.digits_found) == (
        slow.empty,
        slow.reason,
        slow.digits_found,
    )
    assert len(fast.pieces) == len(slow.pieces)
    for a, b in zip(fast.pieces, slow.pieces, strict=True):
        assert a.box == b.box
        assert np.array_equal(a.image, b.image), float(np.abs(a.image - b.image).max())


def canvases(mnist: MNIST) -> list[Image.Image]:
    """The pad's drawings at full and half size (what the page sends), and light ink on a
    dark canvas and dark ink on a transparent one."""
    drawings = pad_drawings(mnist)[:20]
    out = [*drawings, *(d.reduce(2) for d in drawings)]
    rng = np.random.default_rng(7)
    for index, digit in enumerate(mnist.test_images[40:50]):
        alpha = place(pen_alpha(digit, 150, 14.0), (280, 280), rng)
        out.append(canvas_of(("canvas_dark", "canvas_transparent")[index % 2], alpha, rng))
    return out


def test_a_canvas_takes_the_shortcut(mnist: MNIST) -> None:
    for image in canvases(mnist):
        ink = analyse(to_grey(image))
        assert ink.flat_paper is not None
        for box, size in (((0, 0, *ink.grey.size), (50, 40)), ((13, 7, 101, 140), (88, 133))):
            assert np.array_equal(ink.paper_in(box, size), ink.resampled_paper(box, size))


def test_pillow_counts_the_grey_levels_numpy_counts(mnist: MNIST) -> None:
    every_level = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16), "L")
    rng = np.random.default_rng(5)
    photo = to_grey(load_image(photo_sample("photo_paper", mnist.test_images[1], rng)))
    for image in [every_level, photo, *(to_grey(c) for c in canvases(mnist))]:
        small = np.asarray(image, dtype=np.float32) * np.float32(1 / 255)  # as analyse_at
        assert np.array_equal(pixel_counts(image), level_counts(small))


def test_the_inks_side_from_the_counts_is_the_sums_answer(mnist: MNIST) -> None:
    """Every paper level blank, with one pixel darker, one lighter, and both; and the
    canvases: the counts' answer is the sums' answer (rounding of each level included)."""
    images = []
    for level in range(256):
        blank = np.full((20, 20), level, np.uint8)
        images.append(blank)
        for others in ([level - 1], [level + 1], [level - 1, level + 1], [0, 255]):
            marked = blank.copy()
            for i, other in enumerate(o for o in others if 0 <= o <= 255):
                marked[3 + i, 5] = other
            images.append(marked)
    images += [np.asarray(to_grey(canvas)) for canvas in canvases(mnist)]
    for pixels in images:
        image = Image.fromarray(pixels, "L")
        small = np.asarray(image, dtype=np.float32) * np.float32(1 / 255)  # as analyse_at
        paper = int(np.bincount(pixels.ravel()).argmax()) / 255.0  # as drawing_paper
        fast = ink_is_lighter(small, paper, pixel_counts(image))
        assert fast == ink_is_lighter(small, paper), (paper, np.unique(pixels))


def test_a_photo_does_not(mnist: MNIST) -> None:
    rng = np.random.default_rng(3)
    photo = load_image(photo_sample("photo_shadow", mnist.test_images[0], rng))
    assert analyse(to_grey(photo)).flat_paper is None


def test_digits_are_the_same_both_ways(mnist: MNIST, monkeypatch: pytest.MonkeyPatch) -> None:
    images = canvases(mnist)
    fast = [prepare_digit(image) for image in images]
    plain(monkeypatch)
    for image, answer in zip(images, fast, strict=True):
        same(answer, prepare_digit(image))


def test_numbers_are_the_same_both_ways(mnist: MNIST, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    numbers = []
    for start in range(0, 20, 4):
        alpha = np.zeros((140, 560), np.float32)
        for i, digit in enumerate(mnist.test_images[start : start + 4]):
            alpha[:, 140 * i : 140 * (i + 1)] = place(pen_alpha(digit, 110, 10.0), (140, 140), rng)
        numbers.append(canvas_of("canvas_white", alpha, rng))
    fast = [prepare_number(image) for image in numbers]
    assert all(len(answer.pieces) >= 3 for answer in fast), [len(a.pieces) for a in fast]
    plain(monkeypatch)
    for image, answer in zip(numbers, fast, strict=True):
        same(answer, prepare_number(image))
