"""Predictions in a pool of processes (``DIGITS_PREDICT_PROCESSES``) answer exactly as
predictions in threads do, errors included, and a pool process that dies costs one
503 (retry), not the service."""

from __future__ import annotations

import base64
import concurrent.futures
import io
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from api_images import blank_png, digit_png
from fastapi.testclient import TestClient
from PIL import Image

from app.service import api, offload, pool_process
from app.service.offload import PoolProcess, ProcessRunner, ThreadRunner
from app.service.predictor import predict_digit
from app.settings import Settings


@pytest.fixture(scope="module")
def pool_client(
    api_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> Iterator[TestClient]:
    with make_client(replace(api_settings, predict_processes=2)) as client:
        yield client


def post_png(client: TestClient, png: bytes, path: str = "/predict") -> dict:
    response = client.post(path, files={"file": ("d.png", png, "image/png")})
    return {**response.json(), "http": response.status_code}


def test_the_settings_choose_the_runner(pool_client: TestClient, client: TestClient) -> None:
    assert isinstance(pool_client.app.state.runner, ProcessRunner)  # type: ignore[attr-defined]
    assert isinstance(client.app.state.runner, ThreadRunner)  # type: ignore[attr-defined]


def test_pool_processes_run_at_a_lower_priority_than_the_server(
    pool_client: TestClient, api_settings: Settings
) -> None:
    runner: ProcessRunner = pool_client.app.state.runner  # type: ignore[attr-defined]
    server = os.getpriority(os.PRIO_PROCESS, 0)
    pool = [os.getpriority(os.PRIO_PROCESS, pid) for pid in runner.pids]
    expected = min(server + api_settings.predict_nice, 19)
    assert api_settings.predict_nice > 0 and pool and set(pool) == {expected}


@pytest.mark.parametrize("path", ["/predict", "/predict/number", "/explain"])
def test_a_pool_answers_as_threads_do(
    pool_client: TestClient, client: TestClient, path: str
) -> None:
    png = digit_png(4)
    pooled, threaded = post_png(pool_client, png, path), post_png(client, png, path)
    for answer in (pooled, threaded):
        answer.pop("timing_ms")
    assert pooled["http"] == threaded["http"] == 200
    if path == "/explain":  # its pictures are scaled by float32 sums: see assert_alike
        assert_alike(pooled, threaded)
        seven = post_png(client, digit_png(7), path)
        seven.pop("timing_ms")
        with pytest.raises(AssertionError):  # ... and another digit's answer is not alike
            assert_alike(pooled, seven)
    else:
        assert pooled == threaded


def assert_alike(pooled: object, threaded: object) -> None:
    """The same answer, but a float may differ in its last place and a pixel by one level.

    NumPy's float32 reductions may add in another order in another process (its
    vector loops depend on where an array happens to sit in memory), and one rounding
    step more or less moves a scale in its fourth decimal or a grey level by one.
    """
    if isinstance(pooled, dict) and isinstance(threaded, dict):
        assert pooled.keys() == threaded.keys()
        for key in pooled:
            assert_alike(pooled[key], threaded[key])
    elif isinstance(pooled, list) and isinstance(threaded, list):
        assert len(pooled) == len(threaded)
        for a, b in zip(pooled, threaded, strict=True):
            assert_alike(a, b)
    elif isinstance(pooled, float) and isinstance(threaded, float):
        assert pooled == pytest.approx(threaded, abs=1e-3)
    elif isinstance(pooled, str) and pooled.startswith(PNG_URL) and isinstance(threaded, str):
        a, b = picture(pooled), picture(threaded)
        assert a.shape == b.shape and np.abs(a - b).max() <= 1
    else:
        assert pooled == threaded


PNG_URL = "data:image/png;base64,"


def picture(url: str) -> np.ndarray:
    with Image.open(io.BytesIO(base64.b64decode(url.removeprefix(PNG_URL)))) as image:
        return np.asarray(image, dtype=np.int16)


def test_a_batch_with_a_bad_file_is_answered_by_the_pool(pool_client: TestClient) -> None:
    files = [
        ("file", ("a.png", digit_png(2), "image/png")),
        ("file", ("b.png", b"junk", "image/png")),
    ]
    body = pool_client.post("/predict/batch", files=files).json()
    assert [item["result"] is not None for item in body["results"]] == [True, False]
    assert "PNG" in body["results"][1]["error"]["detail"]


@pytest.mark.parametrize(
    ("png", "status", "says"),
    [(digit_png(5)[:300], 415, "damaged"), (blank_png(), 422, "No digit")],
)
def test_errors_raised_in_the_pool_keep_their_status_and_message(
    pool_client: TestClient, png: bytes, status: int, says: str
) -> None:
    answer = post_png(pool_client, png)
    assert answer["http"] == status and says in answer["detail"]


def test_the_pool_takes_requests_side_by_side(pool_client: TestClient, client: TestClient) -> None:
    pngs = [digit_png(d) for d in range(10)]
    expected = [post_png(client, png)["digit"] for png in pngs]
    with concurrent.futures.ThreadPoolExecutor(8) as threads:
        answers = list(threads.map(lambda png: post_png(pool_client, png), pngs * 3))
    assert [a["digit"] for a in answers] == expected * 3


class Crash:
    """Unpickling it ends the process that does so: a pool process dying mid-request."""

    def __reduce__(self) -> tuple[Callable[[int], None], tuple[int]]:
        return os._exit, (7,)


def kill(member: PoolProcess) -> None:
    os.kill(member.process.pid, signal.SIGKILL)
    member.process.join(10)


def wait_until(done: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_pool_process_dying_mid_request_costs_one_retry(
    pool_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner: ProcessRunner = pool_client.app.state.runner  # type: ignore[attr-defined]
    before = set(runner.pids)
    with monkeypatch.context() as patch:
        patch.setattr(api, "predict_digit", Crash())  # the work sent to the pool
        lost = pool_client.post("/predict", files={"file": ("d.png", digit_png(3), "image/png")})
    assert lost.status_code == 503 and "retry" in lost.json()["detail"]
    assert lost.headers["retry-after"] == "1"
    answers = [post_png(pool_client, digit_png(3)) for _ in range(4)]
    assert [(a["http"], a["digit"]) for a in answers] == [(200, 3)] * 4
    assert len(before - set(runner.pids)) == 1  # the dead one is gone


def test_a_pool_process_found_dead_while_idle_is_skipped(pool_client: TestClient) -> None:
    runner: ProcessRunner = pool_client.app.state.runner  # type: ignore[attr-defined]
    victim = runner.members[0]
    kill(victim)
    answers = [post_png(pool_client, digit_png(3)) for _ in range(4)]
    assert [(a["http"], a["digit"]) for a in answers] == [(200, 3)] * 4
    assert victim not in runner.members
    wait_until(lambda: len(runner.pids) == 2)
    assert len(runner.pids) == 2  # replaced


def test_while_no_process_can_start_requests_get_a_503(
    pool_client: TestClient, tmp_path: Path
) -> None:
    """Every process lost and the weights gone meanwhile: a clear 503 at once, not a
    request waiting for ever; once the weights are back, the pool comes back to full
    strength by itself (it stayed at 1 of 2 processes for good before)."""
    runner: ProcessRunner = pool_client.app.state.runner  # type: ignore[attr-defined]
    good = runner.settings
    runner.settings = replace(good, weights_path=tmp_path / "missing.json")
    try:
        for member in list(runner.members):
            kill(member)
        answer = post_png(pool_client, digit_png(3))
        assert answer["http"] == 503 and "retry" in answer["detail"]
        wait_until(lambda: runner.retrying)  # the starts are failing
        again = post_png(pool_client, digit_png(3))
        assert again["http"] == 503 and "retry" in again["detail"]
    finally:
        runner.settings = good
    wait_until(lambda: len(runner.pids) == 2)
    assert len(runner.pids) == 2
    answer = post_png(pool_client, digit_png(3))
    assert (answer["http"], answer["digit"]) == (200, 3)


class TwoPartError(Exception):
    """An exception pickle cannot rebuild (its ``__init__`` wants two arguments)."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")


def raise_two_part_error(model: object, data: object, options: object) -> None:
    raise TwoPartError("the work", "failed")


def test_an_error_the_server_could_not_read_back_arrives_as_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool_process, "_models", SimpleNamespace(get=lambda name: None))
    done, error = pool_process._outcome(raise_two_part_error, "cnn", None, None)
    assert not done and isinstance(error, RuntimeError)
    assert str(error) == "TwoPartError: the work: failed"


# -- the backlog: how many predictions a worker holds ----------------------------------
def test_the_backlog_refuses_one_more_than_its_limit_and_frees_every_slot() -> None:
    backlog = offload.Backlog(2)
    with backlog.admit(), backlog.admit():
        assert backlog.held == 2
        refused = pytest.raises(offload.ServerBusyError, match="busy: 2 prediction requests")
        with refused, backlog.admit():
            pass  # pragma: no cover - never admitted
    with pytest.raises(ValueError), backlog.admit():
        raise ValueError("the work failed")
    assert backlog.held == 0


class Gate:
    """Prediction work that waits until the test opens the gate, then predicts."""

    def __init__(self) -> None:
        self.open = threading.Event()

    def __call__(self, model: object, data: object, options: object) -> object:
        assert self.open.wait(30), "the test never opened the gate"
        return predict_digit(model, data, options)  # type: ignore[arg-type]


def test_a_full_backlog_answers_503_at_once_and_frees_as_work_ends(
    api_settings: Settings,
    make_client: Callable[[Settings], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate()
    monkeypatch.setattr(api, "predict_digit", gate)
    with (
        make_client(replace(api_settings, max_pending=2, predict_threads=1)) as busy,
        concurrent.futures.ThreadPoolExecutor(2) as threads,
    ):
        backlog: offload.Backlog = busy.app.state.backlog  # type: ignore[attr-defined]
        held = [threads.submit(post_png, busy, digit_png(d)) for d in (3, 7)]
        wait_until(lambda: backlog.held == 2, seconds=30)
        refused = busy.post("/predict", files={"file": ("d.png", digit_png(1), "image/png")})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert "busy" in refused.json()["detail"] and "Retry" in refused.json()["detail"]
        assert busy.get("/health").status_code == 200  # the service itself still answers
        gate.open.set()
        assert [(a["http"], a["digit"]) for a in (f.result(30) for f in held)] == [
            (200, 3),
            (200, 7),
        ]
        assert backlog.held == 0
        assert post_png(busy, digit_png(1))["http"] == 200
