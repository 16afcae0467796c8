"""The API contract, endpoint by endpoint and input form by input form."""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import io
import json
import logging
import tomllib
from dataclasses import replace

import numpy as np
import pytest
from api_images import blank_png, digit_png, encode, mnist_pixels, number_png
from fastapi.testclient import TestClient
from PIL import Image

from app.service.registry import ModelLoadError
from app.settings import REPO_ROOT, Settings
from model.mnist import MNIST
from model.weights import load


def post_file(client: TestClient, data: bytes, url: str = "/predict", **params: object):
    return client.post(url, params=params, files={"file": ("digit.png", data, "image/png")})


def probabilities(body: dict) -> dict[int, float]:
    return {entry["digit"]: entry["probability"] for entry in body["top"]}


# -- /health and /model ---------------------------------------------------------------
def test_health_lists_the_loaded_models(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "default_model": "mlp", "models": ["cnn", "mlp"]}


def test_health_is_503_until_the_models_are_loaded(api_settings: Settings, make_client) -> None:
    response = make_client(api_settings).get("/health")  # no `with`: the lifespan never ran
    assert response.status_code == 503
    assert "not loaded" in response.json()["detail"]


def test_model_describes_the_default_model(client: TestClient, models_dir) -> None:
    network, doc = load(models_dir / "mlp.json")
    body = client.get("/model").json()
    assert body["name"] == "mlp" and body["architecture"] == "mlp" and body["default"] is True
    assert body["parameters"] == network.parameter_count()
    assert body["test_accuracy"] == pytest.approx(doc["training"]["test_accuracy"])
    assert body["val_accuracy"] == pytest.approx(doc["training"]["val_accuracy"])
    assert body["available"] == ["cnn", "mlp"]
    assert [layer["type"] for layer in body["layers"]] == ["dense", "relu", "dense"]
    assert body["training"]["epochs_run"] == len(doc["training"]["history"])
    assert body["training"]["hyperparameters"]["hidden"] == [64]
    assert body["training"]["date"] == "2026-01-01"


def test_model_parameter_selects_another_model(client: TestClient) -> None:
    body = client.get("/model", params={"model": "cnn"}).json()
    assert body["name"] == "cnn" and body["architecture"] == "cnn" and body["default"] is False
    assert "conv2d" in [layer["type"] for layer in body["layers"]]
    answer = post_file(client, digit_png(3), model="cnn").json()
    assert answer["model"]["name"] == "cnn" and answer["model"]["architecture"] == "cnn"


def test_unknown_model_is_422_listing_the_available_ones(client: TestClient) -> None:
    for response in (
        client.get("/model", params={"model": "resnet"}),
        post_file(client, digit_png(3), model="resnet"),
    ):
        assert response.status_code == 422
        assert "'resnet'" in response.json()["detail"]
        assert "cnn, mlp" in response.json()["detail"]


# -- /predict: the answer ---------------------------------------------------------------
def test_predict_multipart_answers_in_the_documented_shape(client: TestClient) -> None:
    response = post_file(client, digit_png(7))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "digit",
        "confidence",
        "status",
        "top",
        "image",
        "digits_found",
        "model",
        "timing_ms",
    }
    assert body["digits_found"] == 1
    assert body["digit"] == body["top"][0]["digit"]
    assert body["confidence"] == body["top"][0]["probability"]
    assert body["status"] == ("ok" if body["confidence"] >= 0.6 else "unsure")
    assert len(body["top"]) == 3
    ranked = [entry["probability"] for entry in body["top"]]
    assert ranked == sorted(ranked, reverse=True)
    assert body["image"] is None
    assert body["model"]["name"] == "mlp"
    assert {"decode", "preprocess", "inference", "total"} <= set(body["timing_ms"])


def test_predict_probabilities_are_the_networks_calibrated_ones(
    client: TestClient, mnist: MNIST, models_dir
) -> None:
    network, _doc = load(models_dir / "mlp.json")
    image = mnist.test_images[0]
    expected = network.predict_proba(image[None].astype(np.float32) / 255.0)[0]
    body = client.post(
        "/predict", params={"top_k": 10}, json={"pixels": mnist_pixels(mnist.test_images, 0)}
    ).json()
    got = probabilities(body)
    assert sorted(got) == list(range(10))
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-4)
    for digit in range(10):
        assert got[digit] == pytest.approx(float(expected[digit]), abs=2e-6)
    assert body["digit"] == int(expected.argmax())


def test_pixels_in_0_to_1_and_0_to_255_give_the_same_answer(
    client: TestClient, mnist: MNIST
) -> None:
    image = mnist.test_images[1].astype(float)
    as_bytes = client.post("/predict", json={"pixels": image.tolist()}).json()
    as_unit = client.post("/predict", json={"pixels": (image / 255).tolist()}).json()
    assert [t["digit"] for t in as_bytes["top"]] == [t["digit"] for t in as_unit["top"]]
    probabilities = [t["probability"] for t in as_unit["top"]]
    assert [t["probability"] for t in as_bytes["top"]] == pytest.approx(probabilities)


def test_predict_reads_mnist_test_digits(client: TestClient, mnist: MNIST) -> None:
    right = 0
    for index in range(40):
        body = client.post(
            "/predict", json={"pixels": mnist_pixels(mnist.test_images, index)}
        ).json()
        right += body["digit"] == int(mnist.test_labels[index])
    assert right >= 32  # the fixture network is ~90% accurate


def test_the_four_input_forms_agree(client: TestClient) -> None:
    png = digit_png(2)
    encoded = base64.b64encode(png).decode()
    answers = [
        post_file(client, png).json(),
        client.post("/predict", json={"image": f"data:image/png;base64,{encoded}"}).json(),
        client.post("/predict", json={"image": encoded}).json(),
        client.post("/predict", content=png, headers={"Content-Type": "image/png"}).json(),
    ]
    for answer in answers[1:]:
        assert answer["digit"] == answers[0]["digit"]
        assert answer["top"] == answers[0]["top"]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_every_accepted_format_is_read(client: TestClient, fmt: str) -> None:
    image = Image.open(io.BytesIO(digit_png(4))).convert("RGB")
    reference = post_file(client, encode(image, "PNG")).json()
    response = client.post(
        "/predict", files={"file": (f"four.{fmt.lower()}", encode(image, fmt), "image/x")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["digit"] == reference["digit"]


@pytest.mark.parametrize("top_k", [1, 5, 10])
def test_top_k_sets_the_length_of_top(client: TestClient, top_k: int) -> None:
    body = post_file(client, digit_png(1), top_k=top_k).json()
    assert len(body["top"]) == top_k
    assert len({entry["digit"] for entry in body["top"]}) == top_k


def test_include_image_returns_what_the_network_saw(client: TestClient, mnist) -> None:
    pixels = mnist.test_images[2]
    body = client.post(
        "/predict", params={"include_image": "true"}, json={"pixels": pixels.tolist()}
    ).json()
    prefix = "data:image/png;base64,"
    assert body["image"].startswith(prefix)
    seen = Image.open(io.BytesIO(base64.b64decode(body["image"][len(prefix) :])))
    assert seen.size == (28, 28)
    assert np.abs(np.asarray(seen, dtype=int) - pixels.astype(int)).max() <= 1


@pytest.mark.parametrize(("threshold", "status"), [(1.0, "unsure"), (0.0, "ok")])
def test_unsure_threshold_decides_the_status(
    api_settings, threshold: float, status: str, make_client
) -> None:
    settings = replace(api_settings, unsure_threshold=threshold)
    with make_client(settings) as client:
        body = post_file(client, digit_png(0)).json()
    assert body["status"] == status


def test_blank_image_is_422_no_digit(client: TestClient) -> None:
    response = post_file(client, blank_png())
    assert response.status_code == 422
    assert "no digit" in response.json()["detail"].lower()


# -- /predict/number ------------------------------------------------------------------
def test_number_reads_the_digits_left_to_right(client: TestClient) -> None:
    response = post_file(client, number_png("1984"), url="/predict/number")
    assert response.status_code == 200
    body = response.json()
    assert len(body["digits"]) == 4
    assert body["number"] == "".join(str(d["digit"]) for d in body["digits"])
    lefts = [d["box"][0] for d in body["digits"]]
    assert lefts == sorted(lefts)
    for digit in body["digits"]:
        x, y, w, h = digit["box"]
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 560 and y + h <= 200
    product = float(np.prod([d["confidence"] for d in body["digits"]]))
    assert body["confidence"] == pytest.approx(product, abs=1e-5)
    unsure = any(d["status"] == "unsure" for d in body["digits"])
    assert body["status"] == ("unsure" if unsure else "ok")


def test_a_number_sent_to_predict_is_said_to_hold_its_digits(client: TestClient) -> None:
    """``digit`` then reads both squeezed into one image: the caller is told."""
    body = post_file(client, number_png("17", size=(360, 200))).json()
    assert body["digits_found"] == 2
    assert (
        post_file(client, number_png("17", size=(360, 200)), url="/predict/number").json()["number"]
        == "17"
    )


def test_number_of_one_digit_matches_predict(client: TestClient) -> None:
    png = digit_png(6)
    single = post_file(client, png).json()
    number = post_file(client, png, url="/predict/number").json()
    assert number["number"] == str(single["digit"])


# -- /predict/batch --------------------------------------------------------------------
def test_batch_answers_each_file_in_order_and_isolates_bad_ones(client: TestClient) -> None:
    files = [
        ("file", ("three.png", digit_png(3), "image/png")),
        ("file", ("junk.png", b"not an image at all", "image/png")),
        ("file", ("blank.png", blank_png(), "image/png")),
        ("file", ("five.png", digit_png(5), "image/png")),
        ("file", ("number.png", number_png("42", size=(360, 200)), "image/png")),
    ]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200
    body = response.json()
    assert [item["filename"] for item in body["results"]] == [
        "three.png",
        "junk.png",
        "blank.png",
        "five.png",
        "number.png",
    ]
    assert [item["index"] for item in body["results"]] == [0, 1, 2, 3, 4]
    assert body["succeeded"] == 3 and body["failed"] == 2
    assert [item["digits_found"] for item in body["results"]] == [1, None, None, 1, 2]
    assert body["results"][1]["error"]["status_code"] == 415
    assert body["results"][2]["error"]["status_code"] == 422
    assert "no digit" in body["results"][2]["error"]["detail"].lower()
    for index, digit in ((0, 3), (3, 5)):
        single = post_file(client, digit_png(digit)).json()
        result = body["results"][index]["result"]
        assert body["results"][index]["error"] is None
        assert result["digit"] == single["digit"]
        assert result["confidence"] == pytest.approx(single["confidence"], abs=1e-5)


def test_batch_over_the_file_limit_is_refused(api_settings: Settings, make_client) -> None:
    settings = replace(api_settings, max_batch_files=2)
    files = [("file", (f"{i}.png", digit_png(i), "image/png")) for i in range(3)]
    with make_client(settings) as client:
        response = client.post("/predict/batch", files=files)
        assert response.status_code == 400
        assert "maximum number of files is 2" in response.json()["detail"].lower()
        assert client.post("/predict/batch", files=files[:2]).status_code == 200


# -- headers, logs, CORS, docs -------------------------------------------------------------
def test_security_headers(client: TestClient) -> None:
    for path in ("/", "/health"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    for path in ("/docs", "/redoc"):  # their own policy: this origin, their inline script by hash
        docs = client.get(path)
        assert docs.status_code == 200
        policy = docs.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        scripts = next(part for part in policy.split(";") if "script-src" in part)
        assert "http" not in policy and "'unsafe-inline'" not in scripts


def test_request_id_is_echoed_and_put_in_errors(client: TestClient) -> None:
    response = post_file(client, b"junk", top_k=3)
    assert response.headers["x-request-id"] == response.json()["request_id"]
    given = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    unsafe = client.get("/health", headers={"X-Request-ID": "a b\tc" * 30})
    assert unsafe.headers["x-request-id"] != "a b\tc" * 30


class Collector(logging.Handler):
    """Keeps every record it is handed."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_access_log_has_one_line_per_request_without_image_content(client: TestClient) -> None:
    logger = logging.getLogger("digits.access")
    collected = Collector()  # our own handler: caplog's capture differs across pytest versions
    logger.addHandler(collected)
    try:
        png = digit_png(8)
        encoded = base64.b64encode(png).decode()
        client.post("/predict", json={"image": encoded}, headers={"X-Request-ID": "log-test-1"})
    finally:
        logger.removeHandler(collected)
    records = [r for r in collected.records if getattr(r, "request_id", None) == "log-test-1"]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status) == ("POST", "/predict", 200)
    assert record.ms > 0 and record.bytes_in > len(encoded)
    assert encoded[:40] not in json.dumps(vars(record), default=str)


def test_cors_is_off_by_default_and_on_when_configured(api_settings: Settings, make_client) -> None:
    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    with make_client(api_settings) as client:
        closed = client.options("/predict", headers=preflight)
        assert "access-control-allow-origin" not in closed.headers
    settings = replace(api_settings, cors_origins=("https://example.org",))
    with make_client(settings) as client:
        opened = client.options("/predict", headers=preflight)
        assert opened.headers["access-control-allow-origin"] == "https://example.org"


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/predict", "/predict/number", "/predict/batch"):
        content = paths[path]["post"]["requestBody"]["content"]
        assert "multipart/form-data" in content
        assert {"413", "415", "422"} <= set(paths[path]["post"]["responses"])
    assert "application/json" in paths["/predict"]["post"]["requestBody"]["content"]
    assert "examples" in paths["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert {"/health", "/model"} <= set(paths)
    assert "examples" in json.dumps(schema["components"]["schemas"]["PredictResponse"])


def test_openapi_gives_the_version_pyproject_declares(client: TestClient) -> None:
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert client.get("/openapi.json").json()["info"]["version"] == declared


# -- start-up ---------------------------------------------------------------------------
def test_missing_weights_stop_the_start_naming_the_file(tmp_path, make_client) -> None:
    missing = tmp_path / "gone.json"
    with (
        pytest.raises(ModelLoadError, match=r"gone\.json: no such file"),
        make_client(Settings(weights_path=missing)),
    ):
        pass


def test_invalid_weights_stop_the_start_naming_the_problem(tmp_path, make_client) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "digits-weights", "version": 1}')
    with (
        pytest.raises(ModelLoadError, match=r"broken\.json: missing key 'architecture'"),
        make_client(Settings(weights_path=broken)),
    ):
        pass


def test_startup_failure_is_reported_as_one_line(tmp_path) -> None:
    import asyncio

    from app.main import create_app

    app = create_app(Settings(weights_path=tmp_path / "gone.json"))
    sent: list[dict] = []

    async def run() -> None:
        messages = iter([{"type": "lifespan.startup"}])

        async def receive() -> dict:
            return next(messages)

        async def send(message: dict) -> None:
            sent.append(message)

        with contextlib.suppress(ModelLoadError):
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    asyncio.run(run())
    failed = [m for m in sent if m["type"] == "lifespan.startup.failed"]
    assert len(failed) == 1
    assert failed[0]["message"].startswith("digits: cannot start: ")
    assert "gone.json: no such file" in failed[0]["message"]
    assert "Traceback" not in failed[0]["message"]


# -- the event loop -------------------------------------------------------------------------
def test_a_slow_prediction_does_not_block_other_requests(
    api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import time

    import httpx

    from app.main import create_app
    from app.service import api
    from app.service.offload import ThreadRunner
    from app.service.registry import load_models

    real = api.predict_digit

    def slow_predict(*args: object) -> object:
        time.sleep(0.6)  # CPU-bound work stands in the worker thread, not the event loop
        return real(*args)

    monkeypatch.setattr(api, "predict_digit", slow_predict)
    app = create_app(api_settings)
    app.state.registry = load_models(api_settings)  # what the lifespan does (httpx runs none)
    app.state.runner = ThreadRunner(api_settings.predict_threads)
    png = digit_png(4)

    async def race() -> tuple[float, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            began = time.perf_counter()

            async def predict() -> float:
                response = await client.post("/predict", files={"file": ("4.png", png)})
                assert response.status_code == 200
                return time.perf_counter() - began

            async def health() -> float:
                await asyncio.sleep(0.1)
                assert (await client.get("/health/live")).status_code == 200
                return time.perf_counter() - began

            return tuple(await asyncio.gather(predict(), health()))  # type: ignore[return-value]

    predicted_at, healthy_at = asyncio.run(race())
    assert healthy_at < 0.5 < predicted_at


@pytest.mark.parametrize("slots", [1, 2])
def test_predictions_run_at_most_predict_threads_at_once(
    slots: int, api_settings: Settings, make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent requests to one process queue for the prediction slot(s) instead of
    running side by side in threads that would fight over the GIL."""
    import threading
    import time as clock

    import app.service.api as api_module

    running, peak, lock = 0, 0, threading.Lock()
    real = api_module.predict_digit

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        clock.sleep(0.02)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(api_module, "predict_digit", counted)
    png = digit_png(7)
    with make_client(replace(api_settings, predict_threads=slots)) as client:

        def post() -> int:
            return client.post("/predict", files={"file": ("d.png", png, "image/png")}).status_code

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda _: post(), range(12)))
    assert statuses == [200] * 12
    assert peak == slots
