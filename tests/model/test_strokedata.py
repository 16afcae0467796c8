"""The real-writer data: loading, checksums, writer splits, and the stroke renderer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from model.mnist import DataError
from model.negatives import ALL_KINDS, DOODLE_MARKS, HELDOUT_KINDS, TRAIN_KINDS, doodle, draw
from model.render import BOX, mnist_style, render_batch, stroke_alpha
from model.strokedata import (
    DIGIT_LIKE_LETTERS,
    HELDOUT_PENDIGITS_WRITERS,
    HELDOUT_UJI_WRITERS,
    load_pendigits,
    load_uji_letters,
    negative_letters,
    parse_lines,
    split_writers,
)


@pytest.fixture(scope="module")
def pendigits():
    return load_pendigits()


def test_pendigits_loads_verified_with_thirty_writers(pendigits) -> None:
    assert len(pendigits) == 7494
    writers = {s.writer for s in pendigits}
    assert len(writers) == 30
    assert {s.label for s in pendigits} == {str(d) for d in range(10)}
    assert set(HELDOUT_PENDIGITS_WRITERS) <= writers and len(HELDOUT_PENDIGITS_WRITERS) == 10


def test_writer_split_never_shares_a_writer(pendigits) -> None:
    train, held = split_writers(pendigits, HELDOUT_PENDIGITS_WRITERS)
    assert {s.writer for s in train}.isdisjoint({s.writer for s in held})
    assert len(train) + len(held) == len(pendigits)
    assert 2400 < len(held) < 2600  # 10 writers of about 250 digits each


def test_uji_letters_split_and_digit_like_letters_left_out() -> None:
    letters = load_uji_letters()
    assert len(letters) == 1144
    train, held = split_writers(letters, HELDOUT_UJI_WRITERS)
    assert {s.writer for s in held} == set(HELDOUT_UJI_WRITERS)
    negatives = negative_letters(train)
    assert negatives and not any(s.label in DIGIT_LIKE_LETTERS for s in negatives)
    assert {"o", "O", "l", "I", "S"} <= DIGIT_LIKE_LETTERS


def test_a_changed_file_fails_its_checksum(tmp_path: Path) -> None:
    row = {"id": "x", "writer": "w01", "label": 1, "strokes": [[[0, 0], [0, 10]]]}
    (tmp_path / "strokes.jsonl.gz").write_bytes(gzip.compress(json.dumps(row).encode()))
    with pytest.raises(DataError, match="SHA-256"):
        load_pendigits(tmp_path)
    assert load_pendigits(tmp_path, verify=False)[0].label == "1"


def test_missing_folder_and_bad_lines_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_uji_letters(tmp_path)
    with pytest.raises(DataError, match="line 2"):
        parse_lines(
            b'{"id":"a","writer":"w","label":1,"strokes":[[[1,2]]]}\n{"id":1}', "f", "label"
        )


def test_mnist_style_fits_the_box_and_centres_by_mass(pendigits) -> None:
    image = mnist_style(pendigits[0].strokes, pen=2.0)
    assert image.shape == (28, 28) and image.dtype == np.float32
    rows, cols = np.nonzero(image > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 <= BOX + 1
    ys, xs = np.mgrid[0:28, 0:28]
    centre = (float((ys * image).sum() / image.sum()), float((xs * image).sum() / image.sum()))
    assert abs(centre[0] - 13.5) <= 1.0 and abs(centre[1] - 13.5) <= 1.0


def test_renderings_are_seeded_and_pens_differ(pendigits) -> None:
    strokes = [s.strokes for s in pendigits[:8]]
    a = render_batch(strokes, np.random.default_rng(3))
    b = render_batch(strokes, np.random.default_rng(3))
    c = render_batch(strokes, np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    thin = stroke_alpha(strokes[0], 100, 2.0).sum()
    thick = stroke_alpha(strokes[0], 100, 10.0).sum()
    assert thick > 2.5 * thin


def test_every_negative_kind_draws_ink() -> None:
    assert set(TRAIN_KINDS).isdisjoint(HELDOUT_KINDS)
    rng = np.random.default_rng(0)
    for kind in ALL_KINDS:
        image = mnist_style(draw(kind, rng), pen=2.0)
        assert image.sum() > 20, kind


def test_a_doodle_is_several_marks_spread_over_the_box() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        marks = doodle(rng)
        assert DOODLE_MARKS[0] <= len(marks) < DOODLE_MARKS[1]
        points = np.concatenate(marks)
        assert points.min() > -0.5 and points.max() < 1.5
        # scattered over the box, not piled on one spot
        assert np.ptp(points, axis=0).max() > 0.3


def test_doodles_join_the_non_digits_only_when_asked() -> None:
    from model.mixing import MixRecipe, MixSources, non_digits

    sources = MixSources(digits=[], digit_labels=np.zeros(0, np.int64), letters=[])

    def batch(seed: int, doodles: float) -> tuple[np.ndarray, dict]:
        rng = np.random.default_rng(seed)
        return non_digits(24, sources, rng, MixRecipe(doodles=doodles)), rng.bit_generator.state

    plain, plain_state = batch(0, 0.0)
    again, _ = batch(0, 0.0)
    mixed, mixed_state = batch(0, 0.5)
    assert np.array_equal(plain, again) and np.array_equal(mixed, batch(0, 0.5)[0])
    assert not np.array_equal(plain, mixed) and plain_state != mixed_state
    # without doodles the generator is drawn exactly as before the option existed
    rng = np.random.default_rng(0)
    rng.random(24), rng.integers(0, 1, 24)
    kinds = rng.integers(0, len(TRAIN_KINDS), 24)
    names = [tuple(TRAIN_KINDS)[k] for k in kinds]
    strokes = [draw(name, rng) for name in names]
    assert np.array_equal(plain, render_batch(strokes, rng))
