"""``GET /``: the drawing page's HTML and what the server fills in from its settings and models."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.service.pages import as_percent
from app.settings import Settings
from app.vision.formats import FORMAT_NAMES
from model.weights import load


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


@pytest.mark.parametrize(("value", "text"), [(0.9912, "99.1%"), (1, "100.0%"), (None, None)])
def test_accuracy_as_percent(value: float | None, text: str | None) -> None:
    assert as_percent(value) == text


def test_page_shows_the_default_model_and_offers_the_others(
    client: TestClient, models_dir: Path
) -> None:
    _, doc = load(models_dir / "mlp.json")
    accuracy = as_percent(doc["training"]["test_accuracy"])
    html = html_of(client.get("/"))
    assert accuracy is not None and re.search(
        rf"Model: <span id=\"model-name\">mlp</span>, {re.escape(accuracy)} on the MNIST", html
    )
    options = re.findall(r'<option value="(\w+)"( selected)?>([^<]*)<', html)
    # cnn.json has no test accuracy: its option shows the name alone
    assert options == [("cnn", "", "cnn"), ("mlp", " selected", f"mlp ({accuracy})")]


def test_page_follows_the_default_model_setting(
    api_settings: Settings, make_client, models_dir: Path
) -> None:
    with make_client(replace(api_settings, default_model="cnn")) as client:
        html = html_of(client.get("/"))
    assert re.search(r"Model: <span id=\"model-name\">cnn</span>\s*</p>", html)
    assert re.findall(r'<option value="(\w+)" selected>', html) == ["cnn"]
    assert 'data-default-model="cnn"' in html


def test_page_without_models_still_renders_and_asks_later(
    api_settings: Settings, make_client
) -> None:
    html = html_of(make_client(api_settings).get("/"))  # no `with`: the lifespan never ran
    assert 'data-default-model=""' in html  # the script then asks GET /model
    assert "<select" not in html


def test_page_is_fit_for_a_strict_content_security_policy(
    api_settings: Settings, make_client
) -> None:
    settings = replace(api_settings, max_upload_bytes=5 * 1024 * 1024)
    html = html_of(make_client(settings).get("/"))
    scripts = re.findall(r"<script[^>]*>", html)
    static = make_client(settings).app.state.static_url  # /static/<version>
    assert scripts == [f'<script type="module" src="{static}/js/app.js">']  # no inline script
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    assert not re.search(r"https?://", html)  # no CDN, no external fonts
    assert 'data-max-upload-bytes="5242880"' in html and f"{FORMAT_NAMES}, up to 5 MiB" in html
    assert f'data-image-formats="{FORMAT_NAMES}"' in html  # the script's words for a 415
    assert 'aria-live="polite"' in html and 'lang="en"' in html


def test_page_is_rendered_from_the_templates_folder_the_settings_name(
    api_settings: Settings, make_client, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text("<p>{{ max_upload_bytes }} {{ default_model }}</p>")
    settings = replace(api_settings, templates_dir=tmp_path, max_upload_bytes=1234)
    with make_client(settings) as client:
        assert html_of(client.get("/")) == "<p>1234 mlp</p>"
