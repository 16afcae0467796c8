"""Letters drawn from templates: the helpers' geometry, the table, and the mixing's draws."""

from __future__ import annotations

import numpy as np
import pytest

from model.letter_shapes import LETTERS, NAMES, bowl, draw_letter, hump, joined
from model.mixing import KIND_NAMES, MixRecipe, MixSources, load_sources, non_digits
from model.render import render_batch
from model.strokedata import DIGIT_LIKE_LETTERS


def test_a_bowl_leaves_the_stem_at_its_top_and_comes_back_at_its_bottom() -> None:
    shape = bowl(0.0, 0.5, 0.6)
    assert np.allclose(shape[0], [0, 0]) and np.allclose(shape[-1], [0, 0.5], atol=1e-6)
    assert np.isclose(shape[:, 0].max(), 0.6, atol=1e-3)  # it reaches out this far ...
    middle = shape[np.argmax(shape[:, 0])]
    assert np.isclose(middle[1], 0.25, atol=0.02)  # ... halfway down


def test_a_hump_rises_from_the_left_to_its_top_and_comes_down_on_the_right() -> None:
    shape = hump(0.0, 0.5, 0.3)
    assert np.allclose(shape[0], [0, 0.45], atol=1e-6)
    assert np.isclose(shape[:, 1].min(), 0.3, atol=1e-3)
    assert np.allclose(shape[-1], [0.5, 1.0])


def test_joined_pieces_are_one_stroke() -> None:
    a = np.array([[0, 0], [1, 0]], np.float32)
    b = np.array([[1, 0], [1, 1]], np.float32)
    assert joined(a, b).shape == (4, 2) and joined(a, b).dtype == np.float32


def test_the_templates_are_letters_no_one_writes_as_a_digit() -> None:
    assert not set(LETTERS) & DIGIT_LIKE_LETTERS
    assert len(NAMES) == len(set(NAMES)) >= 30
    for name, strokes in LETTERS.items():
        points = np.concatenate([np.asarray(s, np.float32).reshape(-1, 2) for s in strokes])
        assert np.isfinite(points).all(), name
        assert points.min() >= -0.05 and points.max() <= 1.35, name  # a box one unit tall
        assert np.ptp(points[:, 1]) >= 0.7, name  # a letter's height, not a mark


def test_a_drawn_letter_varies_its_template_and_keeps_its_strokes() -> None:
    rng = np.random.default_rng(0)
    for name in NAMES:
        drawn = draw_letter(name, rng)
        assert [len(s) for s in drawn] == [len(s) for s in LETTERS[name]], name
        assert all(s.dtype == np.float32 for s in drawn)
    again = draw_letter("R", np.random.default_rng(1))
    same = draw_letter("R", np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(again, same, strict=True))
    assert not np.array_equal(draw_letter("R", np.random.default_rng(2))[0], again[0])


@pytest.fixture(scope="module")
def sources() -> MixSources:
    return load_sources(False, True)


def test_letter_shapes_join_the_non_digits_only_when_asked(sources: MixSources) -> None:
    count = 24
    plain = non_digits(count, sources, np.random.default_rng(0))
    again = non_digits(count, sources, np.random.default_rng(0), MixRecipe(letter_shapes=0.0))
    assert np.array_equal(plain, again)
    shaped = non_digits(count, sources, np.random.default_rng(0), MixRecipe(letter_shapes=1.0))
    # the oracle: the same draws, in the same order, made by hand
    rng = np.random.default_rng(0)
    rng.random(count), rng.integers(0, len(sources.letters), count)
    rng.integers(0, len(KIND_NAMES), count)
    assert (rng.random(count) < 1.0).all()
    picks = rng.integers(0, len(NAMES), count)
    strokes = [draw_letter(NAMES[p], rng) for p in picks]
    assert np.array_equal(shaped, render_batch(strokes, rng))
    assert len(set(picks)) > 10
