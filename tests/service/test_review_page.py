"""The review page: off without a token, a sign-in form, the grid and its filters."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from api_images import digit_png
from fastapi.testclient import TestClient

from app.settings import Settings

TOKEN = "a-review-token-for-the-tests"


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@pytest.fixture
def review_client(
    api_settings: Settings, database_url: str, make_client: Callable[[Settings], TestClient]
) -> Iterator[TestClient]:
    settings = replace(api_settings, database_url=database_url, review_token=TOKEN)
    with make_client(settings) as client:
        yield client


def teach(client: TestClient, digit: int, label: str, model: str = "mlp") -> dict:
    response = client.post(
        "/feedback",
        params={"model": model},
        json={"label": label, "kind": "canvas", "image": data_url(digit_png(digit))},
    )
    assert response.status_code == 201, response.text
    return response.json()


def card_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'class="review-card[^"]*" data-id="(\d+)"', html)]


def test_without_a_token_the_page_is_not_there(
    api_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> None:
    with make_client(api_settings) as client:
        assert client.get("/review").status_code == 404
        assert client.post("/review/session", data={"token": "x" * 20}).status_code == 404


def test_signing_in_then_the_grid_and_its_filters(review_client: TestClient) -> None:
    client = review_client
    taught = [teach(client, 4, "9"), teach(client, 3, "3", "cnn"), teach(client, 5, "not_a_digit")]
    first, second, third = (answer["id"] for answer in taught)

    page = client.get("/review")
    assert page.status_code == 401 and 'name="token"' in page.text and "data-id" not in page.text
    wrong = client.post("/review/session", data={"token": "not-the-token-at-all"})
    assert wrong.status_code == 401 and "not the review token" in wrong.text
    signed = client.post("/review/session", data={"token": TOKEN}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/review"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/review" in cookie
    assert TOKEN not in signed.headers["set-cookie"]

    grid = client.get("/review")
    assert grid.status_code == 200
    assert card_ids(grid.text)[:3] == [third, second, first]
    assert 'src="data:image/png;base64,' in grid.text
    assert card_ids(client.get("/review", params={"label": "9"}).text) == [first]
    assert card_ids(client.get("/review", params={"model": "cnn"}).text) == [second]
    assert card_ids(client.get("/review", params={"label": "not_a_digit"}).text) == [third]
    only_wrong = card_ids(client.get("/review", params={"wrong": "true"}).text)
    assert only_wrong == [a["id"] for a in reversed(taught) if a["model_was_wrong"]]
    assert third in only_wrong  # "not a digit" is never the model's answer

    original = client.get(f"/review/corrections/{first}/original")
    assert original.status_code == 200 and original.content == digit_png(4)
    assert original.headers["content-type"] == "image/png"


def test_a_program_may_use_the_token_as_a_bearer(review_client: TestClient) -> None:
    teach(review_client, 2, "2")
    fresh = TestClient(review_client.app)  # no cookie
    assert fresh.get("/review").status_code == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert fresh.get("/review", headers=bearer).status_code == 200
    wrong = {"Authorization": "Bearer " + TOKEN[:-1] + "x"}
    assert fresh.get("/review", headers=wrong).status_code == 401
    assert fresh.get("/review/corrections/1/original").status_code == 401
