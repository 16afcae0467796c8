"""The service around the endpoints: security headers, request ids, the access log, CORS,
the OpenAPI document, start-up failures and a free event loop."""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import json
import logging
import tomllib
from dataclasses import replace

import pytest
from api_images import digit_png
from fastapi.testclient import TestClient

from app.service.registry import ModelLoadError
from app.settings import REPO_ROOT, Settings


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
    response = client.post("/predict", params={"top_k": 3}, files={"file": ("d.png", b"junk")})
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
