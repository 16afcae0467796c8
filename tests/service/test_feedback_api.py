"""``POST /feedback`` over real HTTP semantics (TestClient), on SQLite and on PostgreSQL.

Each test that takes ``feedback_client`` runs twice: once with the corrections in a
SQLite file, once in a database of the test run's real PostgreSQL server.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from api_images import blank_png, digit_png, mnist_pixels
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.corrections.database import DatabaseError, connect
from app.corrections.export import input_pixels
from app.corrections.store import CorrectionStore
from app.corrections.table import NOT_A_DIGIT, corrections
from app.service.ratelimit import RateLimiter
from app.settings import Settings
from model import weights
from model.architectures import TrainConfig, build_network
from model.mnist import MNIST


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@pytest.fixture
def feedback_settings(api_settings: Settings, database_url: str) -> Settings:
    return replace(api_settings, database_url=database_url, feedback_per_minute=1000)


@pytest.fixture
def feedback_client(
    feedback_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> Iterator[TestClient]:
    with make_client(feedback_settings) as client:
        yield client


@pytest.fixture
def stored(feedback_settings: Settings) -> Iterator[CorrectionStore]:
    engine = connect(feedback_settings.database)
    yield CorrectionStore(engine)
    engine.dispose()


def predicted_with_image(client: TestClient, png: bytes) -> dict:
    response = client.post(
        "/predict",
        params={"include_image": "true"},
        files={"file": ("d.png", png, "image/png")},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_correction_of_a_drawing_is_kept_with_what_the_model_said(
    feedback_client: TestClient, stored: CorrectionStore
) -> None:
    drawing = digit_png(4)
    answer = predicted_with_image(feedback_client, drawing)
    label = (answer["digit"] + 1) % 10  # whatever the model said, the person says otherwise
    response = feedback_client.post(
        "/feedback",
        json={
            "label": label,
            "kind": "canvas",
            "input": answer["image"],
            "image": data_url(drawing),
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["predicted"] == answer["digit"]
    assert body["confidence"] == pytest.approx(answer["confidence"], abs=0.02)
    assert body["model_was_wrong"] is True and body["label"] == str(label)
    assert body["model"] == answer["model"]["name"]
    assert body["weights_sha256"].startswith(answer["model"]["sha256"])
    assert len(body["weights_sha256"]) == 64

    row = stored.get(body["id"])
    assert row is not None
    assert (row.label, row.predicted, row.kind) == (label, answer["digit"], "canvas")
    assert row.original == drawing
    seen = base64.b64decode(answer["image"].split(",", 1)[1])
    assert np.array_equal(input_pixels(row.network_input), input_pixels(seen))


def test_an_api_client_may_send_only_the_image(
    feedback_client: TestClient, stored: CorrectionStore
) -> None:
    response = feedback_client.post(
        "/feedback", json={"label": "7", "image": data_url(digit_png(7))}
    )
    assert response.status_code == 201, response.text
    row = stored.get(response.json()["id"])
    assert row is not None and row.kind == "api" and row.label == 7
    assert input_pixels(row.network_input).max() > 200  # the prepared 28x28 digit


def test_pixels_and_not_a_digit(
    feedback_client: TestClient, stored: CorrectionStore, mnist: MNIST
) -> None:
    pixels = mnist_pixels(mnist.test_images, 0)
    response = feedback_client.post(
        "/feedback", json={"label": "not_a_digit", "pixels": pixels, "kind": "photo"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["label"] == "not_a_digit"
    row = stored.get(response.json()["id"])
    assert row is not None and row.label == NOT_A_DIGIT and row.original is None
    assert np.array_equal(input_pixels(row.network_input), mnist.test_images[0])


def test_the_model_is_the_one_asked_for(feedback_client: TestClient) -> None:
    answer = predicted_with_image(feedback_client, digit_png(2))
    response = feedback_client.post(
        "/feedback", params={"model": "cnn"}, json={"label": 2, "input": answer["image"]}
    )
    assert response.status_code == 201
    assert response.json()["model"] == "cnn"


def test_nothing_that_identifies_the_person_is_kept(
    feedback_client: TestClient, stored: CorrectionStore
) -> None:
    marker = "Marker-Agent/9.9"
    feedback_client.post(
        "/feedback",
        json={"label": 1, "image": data_url(digit_png(1))},
        headers={"User-Agent": marker, "X-Forwarded-For": "203.0.113.77", "X-Request-ID": "r-77"},
    )
    with stored.engine.connect() as connection:
        rows = connection.execute(select(corrections)).all()
    assert len(rows) == 1
    text = repr([value for value in rows[0] if not isinstance(value, bytes)])
    for secret in (marker, "203.0.113.77", "testclient", "r-77"):
        assert secret not in text
    assert set(corrections.c.keys()).isdisjoint({"ip", "address", "user_agent", "client"})


def test_the_page_says_what_is_kept_before_offering_to_send(feedback_client: TestClient) -> None:
    page = feedback_client.get("/").text
    panel = page[page.index('id="teach"') :]
    assert panel.index("Nothing about you is kept") < panel.index('id="teach-right"')


def test_too_many_corrections_from_one_client_get_429(
    feedback_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> None:
    settings = replace(feedback_settings, feedback_per_minute=3)
    png = data_url(digit_png(3))
    with make_client(settings) as client:
        statuses = [
            client.post("/feedback", json={"label": 3, "image": png}).status_code for _ in range(4)
        ]
        refused = client.post("/feedback", json={"label": 3, "image": png})
    assert statuses == [201, 201, 201, 429]
    assert int(refused.headers["Retry-After"]) >= 1
    assert "at most 3 a minute" in refused.json()["detail"]


def test_switched_off_there_is_no_endpoint_and_no_database(
    api_settings: Settings, make_client: Callable[[Settings], TestClient], tmp_path: Path
) -> None:
    settings = replace(api_settings, feedback=False, feedback_dir=tmp_path / "unused")
    with make_client(settings) as client:
        response = client.post("/feedback", json={"label": 3, "image": data_url(digit_png(3))})
        page = client.get("/").text
    assert 'id="teach"' not in page  # the page offers no correction
    assert response.status_code == 404
    assert "DIGITS_FEEDBACK=false" in response.json()["detail"]
    assert not (tmp_path / "unused").exists()


def test_a_database_that_cannot_be_opened_stops_the_start_with_one_line(
    api_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> None:
    url = "postgresql+psycopg://digits:hunter2@127.0.0.1:1/digits?connect_timeout=2"
    client = make_client(replace(api_settings, database_url=url))
    with pytest.raises(DatabaseError) as caught, client:
        pass
    assert "cannot migrate postgresql+psycopg://digits:***@127.0.0.1:1/digits" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_blank_drawing_is_not_kept(feedback_client: TestClient, stored: CorrectionStore) -> None:
    response = feedback_client.post("/feedback", json={"label": 5, "image": data_url(blank_png())})
    assert response.status_code == 422
    assert stored.count() == 0


def test_the_rate_window_slides_and_memory_stays_bounded() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0], max_clients=3)
    assert limiter.admit("a") is None and limiter.admit("a") is None
    assert limiter.admit("a") == pytest.approx(60.0)
    now[0] = 30.0
    assert limiter.admit("a") == pytest.approx(30.0)
    now[0] = 60.5
    assert limiter.admit("a") is None  # the first two have left the window
    for client in "bcdef":
        limiter.admit(client)
    assert len(limiter.seen) <= 3


def test_a_network_that_says_not_a_digit_is_recorded_saying_so(
    api_settings: Settings, make_client: Callable[[Settings], TestClient], tmp_path: Path
) -> None:
    config = TrainConfig(hidden=[16], not_digit=0.1)  # an 11th output: "not a digit"
    weights.save(build_network(config, np.random.default_rng(0)), tmp_path / "refuser.json", {})
    settings = replace(
        api_settings,
        models_dir=tmp_path,
        model_names=("refuser",),
        default_model="refuser",
        feedback_dir=tmp_path / "data",
        not_a_digit_threshold=0.0,  # every answer is "not a digit"
    )
    with make_client(settings) as client:
        said = client.post("/feedback", json={"label": 3, "image": data_url(digit_png(3))})
    assert said.status_code == 201, said.text
    assert said.json()["predicted"] == NOT_A_DIGIT and said.json()["model_was_wrong"] is True
