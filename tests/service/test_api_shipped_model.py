"""The service as shipped: default settings, the weights in ``weights/``, drawn digits.

This is the README's promise end to end: ``digits serve`` with nothing
configured loads ``weights/cnn.json`` (``weights/mlp.json`` while there is no
CNN), and a digit drawn like on the page comes back as that digit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import strokes
from api_images import encode, number_png
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import REPO_ROOT, Settings


@pytest.fixture(scope="module")
def shipped() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as client:
        yield client


def test_the_default_model_is_the_cnn_when_shipped_else_the_mlp(shipped: TestClient) -> None:
    expected = "cnn" if (REPO_ROOT / "weights" / "cnn.json").exists() else "mlp"
    health = shipped.get("/health").json()
    assert health["default_model"] == expected
    model = shipped.get("/model").json()
    assert model["name"] == expected and model["architecture"] == expected
    assert model["test_accuracy"] is not None and model["test_accuracy"] > 0.98


def test_drawn_digits_are_read(shipped: TestClient) -> None:
    wrong = []
    for digit in range(10):
        png = encode(strokes.render(strokes.strokes_for(digit)))
        body = shipped.post("/predict", files={"file": (f"{digit}.png", png)}).json()
        if body["digit"] != digit:
            wrong.append((digit, body["digit"], body["confidence"]))
    assert len(wrong) <= 1, wrong


def test_a_drawn_number_is_read(shipped: TestClient) -> None:
    body = shipped.post("/predict/number", files={"file": ("year.png", number_png("1984"))})
    assert body.json()["number"] == "1984"
