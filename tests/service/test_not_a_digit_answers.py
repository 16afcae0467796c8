"""The not-a-digit network (``weights/mlp-refuse.json``) through the API, both ways.

A star and a held-out writer's letter are answered ``not_a_digit`` (with a best
guess); a held-out writer's digit is answered as a digit. The floors of
``tests/benchmarks/test_real_writers.py`` hold the rates on larger samples.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from app.settings import Settings
from benchmarks import stroke_scenes
from model.negatives import draw
from model.strokedata import HELDOUT_PENDIGITS_WRITERS, load_pendigits, split_writers

REPO = Path(__file__).resolve().parents[2]


def png(strokes, rng: np.random.Generator) -> bytes:
    image = stroke_scenes.scene("canvas_white", strokes, "x", rng).image
    assert image is not None
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_star_is_not_a_digit_and_a_real_digit_is(
    make_client: Callable[[Settings], TestClient], tmp_path: Path
) -> None:
    settings = Settings(weights_path=REPO / "weights" / "mlp-refuse.json", feedback_dir=tmp_path)
    rng = np.random.default_rng(5)
    held = split_writers(load_pendigits(), HELDOUT_PENDIGITS_WRITERS)[1]
    with make_client(settings) as client:
        star = client.post("/predict", files={"file": ("s.png", png(draw("star", rng), rng))})
        assert star.status_code == 200
        body = star.json()
        threshold = settings.not_a_digit_threshold
        assert body["status"] == "not_a_digit" and body["not_a_digit"] >= threshold
        assert 0 <= body["digit"] <= 9 and body["top"]  # the best guess is kept
        digit = held[0]
        seven = client.post("/predict", files={"file": ("d.png", png(digit.strokes, rng))})
        answer = seven.json()
        assert answer["status"] != "not_a_digit" and answer["digit"] == int(digit.label)
        assert answer["not_a_digit"] < threshold


def test_look_inside_a_star_names_digits_and_says_it_is_none(
    make_client: Callable[[Settings], TestClient], tmp_path: Path
) -> None:
    settings = Settings(weights_path=REPO / "weights" / "mlp-refuse.json", feedback_dir=tmp_path)
    rng = np.random.default_rng(5)
    with make_client(settings) as client:
        star = png(draw("star", rng), rng)
        said = client.post("/predict", files={"file": ("s.png", star)}).json()
        inside = client.post("/explain", files={"file": ("s.png", star)})
    assert inside.status_code == 200, inside.text
    (digit,) = inside.json()["digits"]
    assert 0 <= digit["digit"] <= 9 and digit["digit"] == said["digit"]
    assert len(digit["probabilities"]) == 10 and abs(sum(digit["probabilities"]) - 1) < 1e-3
    assert abs(digit["not_a_digit"] - said["not_a_digit"]) < 1e-3
