"""``GET /``: the drawing page's HTML and what the server fills in."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.service.pages import as_percent, router, served_models


def page_for(**state: object) -> str:
    app = FastAPI()
    app.include_router(router)
    for name, value in state.items():
        setattr(app.state, name, value)
    response = TestClient(app).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def registry(default: str, **accuracies: float | None) -> SimpleNamespace:
    models = {
        name: SimpleNamespace(name=name, architecture=name, test_accuracy=accuracy)
        for name, accuracy in accuracies.items()
    }
    return SimpleNamespace(models=models, default=default)


@pytest.mark.parametrize(
    ("value", "text"), [(0.9912, "99.1%"), (98.25, "98.2%"), (1, "100.0%"), (None, None)]
)
def test_accuracy_as_percent(value: float | None, text: str | None) -> None:
    assert as_percent(value) == text


def test_served_models_reads_the_registry() -> None:
    state = SimpleNamespace(registry=registry("cnn", mlp=0.981, cnn=0.9921))
    models, default = served_models(state)
    assert default == "cnn"
    assert {m["name"]: m["accuracy"] for m in models} == {"mlp": "98.1%", "cnn": "99.2%"}
    assert served_models(SimpleNamespace()) == ([], None)


def test_page_shows_the_default_model_and_offers_the_others() -> None:
    html = page_for(registry=registry("cnn", mlp=0.981, cnn=0.9921))
    assert re.search(r"Model: <span id=\"model-name\">cnn</span>, 99\.2% on the MNIST", html)
    options = re.findall(r'<option value="(\w+)"( selected)?>', html)
    assert options == [("mlp", ""), ("cnn", " selected")]


def test_page_without_models_still_renders_and_asks_later() -> None:
    html = page_for()
    assert 'data-default-model=""' in html  # the script then asks GET /model
    assert "<select" not in html


def test_page_is_fit_for_a_strict_content_security_policy() -> None:
    html = page_for(settings=SimpleNamespace(max_upload_bytes=5 * 1024 * 1024))
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="module" src="/static/js/app.js">']  # no inline script
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    assert not re.search(r"https?://", html)  # no CDN, no external fonts
    assert 'data-max-upload-bytes="5242880"' in html and "up to 5 MB" in html
    assert 'aria-live="polite"' in html and 'lang="en"' in html
