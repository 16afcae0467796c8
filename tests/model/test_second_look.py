"""The second look: its views against oracles, who pays for it, and what it gains.

The views are checked against NumPy's own shifts and quarter turns; ``second_look``
against reading every view one at a time; the shipped CNN as served against one look, on
MNIST test as it is and a little out of place (the held-out writers' figures, which take
longer to render, are in docs/pipeline.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.mnist import MNIST, to_float
from model.second_look import (
    SECOND_LOOK_BELOW,
    SHIFTS,
    TURNS,
    geometric_mean,
    looks_twice,
    second_look,
    served_read,
    shifted,
    turned,
    views,
)
from model.weights import load

REPO = Path(__file__).resolve().parents[2]


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28)).astype(np.float32)


@pytest.mark.parametrize(("dy", "dx"), [*SHIFTS, (0, 3), (-2, 0)])
def test_a_shift_is_a_roll_with_paper_coming_in(dy: int, dx: int) -> None:
    x = _images(3)
    expected = np.roll(x, (dy, dx), axis=(1, 2))
    rows, cols = np.arange(28), np.arange(28)
    wrapped_rows = (rows < dy) | (rows >= 28 + dy)  # rows that came round from the far side
    wrapped_cols = (cols < dx) | (cols >= 28 + dx)
    expected[:, wrapped_rows, :] = 0
    expected[:, :, wrapped_cols] = 0
    np.testing.assert_array_equal(shifted(x, dy, dx), expected)


def test_a_turn_by_nothing_is_the_image_and_a_quarter_turn_is_rot90() -> None:
    x = _images(2)
    np.testing.assert_allclose(turned(x, 0.0), x, atol=1e-6)
    # np.rot90 turns from the first axis towards the second: counter-clockwise as seen
    quarter = turned(x, 90.0)
    np.testing.assert_allclose(
        quarter[:, 1:-1, 1:-1], np.rot90(x, 1, axes=(1, 2))[:, 1:-1, 1:-1], atol=1e-5
    )


def test_a_turn_moves_a_point_counter_clockwise_on_screen() -> None:
    x = np.zeros((1, 28, 28), np.float32)
    x[0, 13:15, 22:24] = 1.0  # right of the centre
    centre_row, centre_col = np.argwhere(turned(x, 30.0)[0] > 0.5).mean(axis=0)
    assert centre_row < 12.5 and centre_col > 19  # up and still right: turned upwards


def test_views_are_the_image_then_its_shifts_then_its_turns() -> None:
    x = _images(4)
    seen = views(x)
    assert seen.shape == (1 + len(SHIFTS) + len(TURNS), 4, 28, 28)
    np.testing.assert_array_equal(seen[0], x)
    np.testing.assert_array_equal(seen[1], shifted(x, *SHIFTS[0]))
    np.testing.assert_array_equal(seen[-1], turned(x, TURNS[-1]))


def test_no_images_have_no_views_and_need_no_second_look() -> None:
    none = np.zeros((0, 28, 28), np.float32)
    assert views(none).shape == (1 + len(SHIFTS) + len(TURNS), 0, 28, 28)
    digits, refused = second_look(_toy_read, none)
    assert digits.shape == (0, 10) and refused.shape == (0,)


def test_the_geometric_mean_against_a_loop() -> None:
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(10), size=(7, 5)).astype(np.float32)  # (views, images, 10)
    got = geometric_mean(p)
    for i in range(5):
        product = np.prod(p[:, i, :].astype(np.float64), axis=0) ** (1 / 7)
        np.testing.assert_allclose(got[i], product / product.sum(), rtol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)


def _toy_read(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A stand-in network: digit probabilities from the ink in ten bands of rows, sharper
    the more ink there is; the refusal is the ink in the top rows."""
    bands = images.reshape(len(images), 28, 28)[:, :20].reshape(len(images), 10, 56).sum(axis=2)
    logits = bands * (images.sum(axis=(1, 2))[:, None] / 50.0)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32), images[:, :2].mean(axis=(1, 2))


def test_sure_answers_are_kept_and_unsure_ones_read_in_every_view() -> None:
    x = _images(12)
    x[:6] *= np.linspace(0.02, 1.0, 6)[:, None, None]  # faint images: unsure answers
    x[6:, 4:6] += 2.0  # heavy ink in one band: sure answers
    first, refused_first = _toy_read(x)
    unsure = first.max(axis=1) < SECOND_LOOK_BELOW
    assert 0 < unsure.sum() < len(x)

    digits, refused = second_look(_toy_read, x)

    np.testing.assert_array_equal(digits[~unsure], first[~unsure])
    np.testing.assert_array_equal(refused, refused_first)  # whether it is a digit: first look
    for i in np.flatnonzero(unsure):
        each = np.stack([_toy_read(view[i : i + 1])[0][0] for view in views(x)])
        np.testing.assert_allclose(digits[i], geometric_mean(each[:, None])[0], rtol=1e-5)


def test_only_convolutional_networks_look_twice() -> None:
    cnn, _ = load(REPO / "weights" / "cnn.json")
    mlp, _ = load(REPO / "weights" / "mlp.json")
    assert looks_twice(cnn) and not looks_twice(mlp)
    x = _images(3)
    for a, b in zip(served_read(mlp, x), mlp.read(x, fast=True), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_served_cnn_reads_mnist_test_as_well_as_one_look(mnist: MNIST) -> None:
    """MNIST test read once and as served: 99.59% both (the shipped CNN, 2026-12-07; the
    CNN before it, 99.59% and 99.62%). Issue 23's target for the CNN is 99.6%."""
    network, _ = load(REPO / "weights" / "cnn.json")
    images, labels = to_float(mnist.test_images), mnist.test_labels
    once = (network.read(images, fast=True)[0].argmax(axis=1) == labels).mean()
    served = (served_read(network, images)[0].argmax(axis=1) == labels).mean()
    assert served >= once >= 0.995, (once, served)


@pytest.mark.slow
def test_the_second_look_reads_digits_a_little_out_of_place_better(mnist: MNIST) -> None:
    """MNIST test turned by 15 degrees (either way, at random) and moved down 2 pixels, as a
    digit cut out a little off its place: measured (2026-12-07), one look reads 99.00% and
    the second look 99.07%, 18 right that one look misreads and 11 wrong that it read right
    (the CNN before this one: 26 and 17). A second look that lost as many as it gained would
    fail."""
    network, _ = load(REPO / "weights" / "cnn.json")
    images, labels = to_float(mnist.test_images), mnist.test_labels
    angles = np.random.default_rng(0).choice([-15.0, 15.0], size=len(images))
    out_of_place = np.empty_like(images)
    for angle in (-15.0, 15.0):
        chosen = angles == angle
        out_of_place[chosen] = turned(images[chosen], angle)
    out_of_place = shifted(out_of_place, 2, 0)
    once = network.read(out_of_place, fast=True)[0].argmax(axis=1) == labels
    twice = served_read(network, out_of_place)[0].argmax(axis=1) == labels
    gained, lost = int((twice & ~once).sum()), int((once & ~twice).sum())
    assert gained > lost, f"gained {gained}, lost {lost}"
