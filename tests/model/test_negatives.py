"""Digits made into no digit: turned (the page turns, the table of safe turns), two side by
side, and the mixing that draws them."""

from __future__ import annotations

import numpy as np
import pytest

from model.mixing import MixRecipe, MixSources, load_sources, non_digits
from model.negatives import (
    PAIR_DRIFT,
    PAIR_GAP,
    TRAIN_KINDS,
    TURNABLE,
    TURNS,
    side_by_side,
    turned,
    turned_digit,
)
from model.render import render_batch

# an "L": a stroke down and one to the right (y grows downward)
L_SHAPE = [np.array([[0.0, 0.0], [0.0, 2.0], [1.0, 2.0]], np.float32)]


def test_turns_move_points_as_the_page_turns() -> None:
    assert np.array_equal(turned(L_SHAPE, "mirror")[0], [[0, 0], [0, 2], [-1, 2]])
    assert np.array_equal(turned(L_SHAPE, "half turn")[0], [[0, 0], [0, -2], [-1, -2]])
    # a quarter turn left sends "down" (0, 1) to "right" (1, 0) on a y-down page
    assert np.array_equal(turned(L_SHAPE, "quarter turn left")[0], [[0, 0], [2, 0], [2, -1]])
    twice = turned(turned(L_SHAPE, "quarter turn left"), "quarter turn left")
    assert np.array_equal(twice[0], turned(L_SHAPE, "half turn")[0])
    back = turned(turned(L_SHAPE, "quarter turn left"), "quarter turn right")
    assert np.array_equal(back[0], L_SHAPE[0])
    assert np.array_equal(turned(turned(L_SHAPE, "mirror"), "mirror")[0], L_SHAPE[0])


def test_no_turn_gives_a_digit_back() -> None:
    assert set(TURNABLE) <= {str(d) for d in range(10)}
    # round; Z and S shapes in some turn; a mirrored 6 is the 2 many write with a loop
    assert not {"0", "2", "5", "6"} & set(TURNABLE)
    assert all(set(turns) <= set(TURNS) and turns for turns in TURNABLE.values())
    for digit in ("1", "8"):  # themselves in a mirror or upside down
        assert not {"mirror", "half turn"} & set(TURNABLE[digit])
    assert "half turn" not in TURNABLE["9"]  # a 6
    assert "mirror" not in TURNABLE["7"]  # a 1 with a long flag


def test_a_turned_digit_takes_one_of_its_safe_turns() -> None:
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        out = turned_digit(L_SHAPE, "3", rng)
        seen |= {turn for turn in TURNABLE["3"] if np.array_equal(turned(L_SHAPE, turn)[0], out[0])}
    assert seen == set(TURNABLE["3"])
    with pytest.raises(KeyError):
        turned_digit(L_SHAPE, "0", rng)


@pytest.fixture(scope="module")
def sources() -> MixSources:
    return load_sources(True, False)


def test_turned_digits_join_the_non_digits_only_when_asked(sources: MixSources) -> None:
    count = 24
    plain = non_digits(count, sources, np.random.default_rng(0))
    assert np.array_equal(
        plain, non_digits(count, sources, np.random.default_rng(0), MixRecipe(turned=0.0))
    )
    mixed = non_digits(count, sources, np.random.default_rng(0), MixRecipe(turned=1.0))
    # the oracle: the same draws, in the same order, made by hand
    rng = np.random.default_rng(0)
    rng.random(count), rng.integers(0, 1, count), rng.integers(0, len(TRAIN_KINDS), count)
    turnable = sources.turnable
    picks = rng.integers(0, len(turnable), count)
    assert (rng.random(count) < 1.0).all()
    strokes = [turned_digit(turnable[p].strokes, turnable[p].label, rng) for p in picks]
    assert np.array_equal(mixed, render_batch(strokes, rng))
    assert all(turnable[p].label in TURNABLE for p in picks)


def test_only_digits_with_a_safe_turn_are_turned(sources: MixSources) -> None:
    labels = {s.label for s in sources.turnable}
    assert labels == set(TURNABLE)
    left_out = [s for s in sources.digits if s.label not in TURNABLE]
    assert len(sources.turnable) + len(left_out) == len(sources.digits)
    assert {s.label for s in left_out} == {"0", "2", "5", "6"}


def test_a_pair_stands_side_by_side_at_one_height() -> None:
    seven = [np.array([[0, 0], [4, 0], [2, 8]], np.float32)]  # 4 wide, 8 tall
    bar_and_stem = [
        np.array([[10, 10], [12, 10]], np.float32),
        np.array([[11, 10], [11, 14]], np.float32),
    ]
    pair = side_by_side(seven, bar_and_stem, gap=0.25, drift=0.1)
    assert len(pair) == 3
    assert np.allclose(pair[0], [[0, 0], [0.5, 0], [0.25, 1]])  # height 1, top-left at 0
    # the second starts a quarter of the height after the first ends, a tenth lower
    assert np.allclose(pair[1], [[0.75, 0.1], [1.25, 0.1]])
    assert np.allclose(pair[2], [[1.0, 0.1], [1.0, 1.1]])
    overlapping = side_by_side(seven, bar_and_stem, gap=-0.05, drift=0.0)
    assert np.isclose(overlapping[1][:, 0].min(), 0.45)


def test_pairs_join_the_non_digits_only_when_asked(sources: MixSources) -> None:
    count = 24
    plain = non_digits(count, sources, np.random.default_rng(0), MixRecipe(turned=0.5))
    again = non_digits(count, sources, np.random.default_rng(0), MixRecipe(turned=0.5, pairs=0.0))
    assert np.array_equal(plain, again)
    paired = non_digits(count, sources, np.random.default_rng(0), MixRecipe(turned=0.5, pairs=1.0))
    # the oracle: the same draws, in the same order, made by hand
    rng = np.random.default_rng(0)
    rng.random(count), rng.integers(0, 1, count), rng.integers(0, len(TRAIN_KINDS), count)
    rng.integers(0, len(sources.turnable), count), rng.random(count)
    assert (rng.random(count) < 1.0).all()
    both = rng.integers(0, len(sources.pairable), (count, 2))
    gaps, drifts = rng.uniform(*PAIR_GAP, count), rng.uniform(-PAIR_DRIFT, PAIR_DRIFT, count)
    strokes = [
        side_by_side(sources.pairable[a].strokes, sources.pairable[b].strokes, g, d)
        for (a, b), g, d in zip(both, gaps, drifts, strict=True)
    ]
    assert np.array_equal(paired, render_batch(strokes, rng))
    assert "1" not in {s.label for s in sources.pairable}
    assert len(sources.pairable) > 0.8 * len(sources.digits)
