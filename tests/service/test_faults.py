"""Faults an operator meets, and what the service does: honest health, a time limit on every
prediction, a pool that comes back to full strength, and work dropped when its client leaves."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from api_images import digit_png
from fastapi.testclient import TestClient
from live_server import live_server, raw_request
from log_records import recorded

from app.main import create_app
from app.service import api
from app.service.pool import ProcessRunner
from app.service.predictor import predict_digit
from app.settings import Settings

LIMIT_S = 2.0


def post_png(client: TestClient, png: bytes) -> tuple[int, dict]:
    response = client.post("/predict", files={"file": ("d.png", png, "image/png")})
    return response.status_code, response.json()


def wait_until(done: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def pool_client(
    api_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> Iterator[TestClient]:
    settings = replace(api_settings, predict_processes=2, predict_timeout_s=LIMIT_S)
    with make_client(settings) as client:
        yield client


def test_live_and_ready_answer_get_and_head(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == client.get("/health").json()
    assert ready.json()["status"] == "ok" and ready.json()["models"] == ["cnn", "mlp"]
    for path in ("/health", "/health/live", "/health/ready"):
        head = client.head(path)
        assert head.status_code == 200 and head.content == b"", path


def test_a_stopped_pool_is_not_ready_answers_504_in_time_and_is_replaced(
    pool_client: TestClient,
) -> None:
    """Both pool processes stopped (SIGSTOP): requests hung until the client gave up and
    /health said 200. Now: 504 within the limit, 503 from readiness, and the stuck
    processes are killed and replaced."""
    runner: ProcessRunner = pool_client.app.state.runner  # type: ignore[attr-defined]
    stopped = set(runner.pids)
    assert post_png(pool_client, digit_png(3))[0] == 200
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        status, body = post_png(pool_client, digit_png(3))
        took = time.monotonic() - began
        assert status == 504 and "DIGITS_PREDICT_TIMEOUT_S" in body["detail"]
        assert took < LIMIT_S + 1.5, f"answered after {took:.1f} s"
        ready = pool_client.get("/health/ready")
        assert ready.status_code == 503 and "Not ready" in ready.json()["detail"]
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):  # killed and gone, as it should be
                os.kill(pid, signal.SIGCONT)
    wait_until(lambda: len(runner.pids) == 2 and not set(runner.pids) & stopped)
    assert len(runner.pids) == 2 and not set(runner.pids) & stopped
    assert post_png(pool_client, digit_png(3))[0] == 200
    wait_until(lambda: pool_client.get("/health/ready").status_code == 200, 10)
    assert pool_client.get("/health").status_code == 200


def test_a_pool_that_cannot_start_is_not_ready_until_it_can(
    pool_client: TestClient, tmp_path: os.PathLike[str]
) -> None:
    runner: ProcessRunner = pool_client.app.state.runner  # type: ignore[attr-defined]
    good = runner.settings
    runner.settings = replace(good, weights_path=tmp_path / "gone.json")  # type: ignore[operator]
    try:
        for pid in runner.pids:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: runner.retrying)
        time.sleep(1.1)  # past the cached verdict
        ready = pool_client.get("/health/ready")
        assert ready.status_code == 503 and "restarted" in ready.json()["detail"]
        assert pool_client.get("/health/live").status_code == 200
    finally:
        runner.settings = good
    wait_until(lambda: len(runner.pids) == 2)
    assert len(runner.pids) == 2
    wait_until(lambda: pool_client.get("/health").status_code == 200, 10)
    assert pool_client.get("/health").status_code == 200


def slow_prediction(seconds: float) -> Callable[..., object]:
    def work(model: object, data: object, options: object) -> object:
        time.sleep(seconds)
        return predict_digit(model, data, options)  # type: ignore[arg-type]

    return work


def test_a_prediction_in_a_thread_is_held_to_the_time_limit(
    api_settings: Settings,
    make_client: Callable[[Settings], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "predict_digit", slow_prediction(LIMIT_S + 2))
    with make_client(replace(api_settings, predict_timeout_s=LIMIT_S)) as slow:
        began = time.monotonic()
        status, body = post_png(slow, digit_png(3))
        assert status == 504 and f"{LIMIT_S:g} s" in body["detail"]
        assert time.monotonic() - began < LIMIT_S + 1.5


class CountingGate:
    """Prediction work that counts its calls; the first waits until the gate opens."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.calls = 0

    def __call__(self, model: object, data: object, options: object) -> object:
        self.calls += 1
        assert self.open.wait(30), "the test never opened the gate"
        return predict_digit(model, data, options)  # type: ignore[arg-type]


def predict_request(png: bytes) -> tuple[str, bytes]:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + png
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST /predict HTTP/1.1\nHost: test\nContent-Type: multipart/form-data; "
        f"boundary={boundary}\nContent-Length: {len(body)}\n"
    )
    return head, body


def test_requests_whose_clients_left_are_never_run(
    api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One prediction thread, held; ten more requests queue behind it and their clients
    close. Before: all ten still ran once the first finished. Now: none of them runs."""
    gate = CountingGate()
    monkeypatch.setattr(api, "predict_digit", gate)
    head, body = predict_request(digit_png(3))
    with live_server(create_app(replace(api_settings, predict_threads=1))) as address:
        first = raw_request(address, head, body)
        wait_until(lambda: gate.calls == 1, 30)
        leaving = [raw_request(address, head, body) for _ in range(10)]
        time.sleep(0.5)  # all ten are read and waiting for the thread
        for sock in leaving:
            sock.close()
        time.sleep(0.5)  # the server sees them go
        gate.open.set()
        answer = first.recv(65536)
        first.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
        later = raw_request(address, head, body)
        assert later.recv(65536).startswith(b"HTTP/1.1 200")
        later.close()
    assert gate.calls == 2, f"{gate.calls - 2} abandoned requests still ran"


SERVICE_LOGGERS = ("digits.access", "digits.errors", "digits.server")


def test_a_client_that_leaves_mid_upload_costs_one_log_line(api_settings: Settings) -> None:
    """Before: status 500 and two full tracebacks per aborted upload."""
    head, body = predict_request(digit_png(3))
    with live_server(create_app(api_settings)) as address, recorded(*SERVICE_LOGGERS) as records:
        sock = raw_request(address, head, body[: len(body) // 2])
        time.sleep(0.3)
        sock.close()
        wait_until(lambda: any(r.name == "digits.access" for r in records.records), 10)
    assert [(r.name, getattr(r, "status", None)) for r in records.records] == [
        ("digits.access", 499)
    ]
    assert not any(r.exc_info for r in records.records)


def test_a_stalled_upload_gets_408_after_the_body_timeout(api_settings: Settings) -> None:
    """Before: a stalled upload was held for ever (and SIGTERM waited for it)."""
    head, body = predict_request(digit_png(3))
    settings = replace(api_settings, body_timeout_s=1.0)
    with live_server(create_app(settings)) as address:
        began = time.monotonic()
        sock = raw_request(address, head, body[:100])
        answer = b""
        while chunk := sock.recv(65536):  # to the end: the server closes the connection
            answer += chunk
        took = time.monotonic() - began
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert b"DIGITS_BODY_TIMEOUT_S" in answer and b"connection: close" in answer.lower()
    assert 0.9 < took < 5
