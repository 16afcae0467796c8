"""Real server processes writing corrections: at once, and killed right after answering.

Each test starts ``uvicorn app.main:app`` as separate processes (the way ``digits
serve --workers 2`` or two replicas run), on a SQLite file in WAL mode and on a
database of the test run's PostgreSQL server:

- two processes take corrections at the same time from several clients: every
  201 is a row, and there are no other rows;
- a process is killed (SIGKILL, no shutdown) the moment it answered 201: the row
  is there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.corrections.database import connect
from app.corrections.store import CorrectionStore

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
Server = tuple[str, subprocess.Popen]  # its URL and its process
PER_CLIENT = 15
CLIENTS_PER_SERVER = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def servers(count: int, models_dir: Path, database_url: str) -> Iterator[list[Server]]:
    """``count`` ``uvicorn app.main:app`` processes, started together; once ``/health`` answers."""
    env = {
        **os.environ,
        "DIGITS_MODELS_DIR": str(models_dir),
        "DIGITS_MODEL": "mlp",
        "DIGITS_DATABASE_URL": database_url,
        "DIGITS_FEEDBACK_PER_MINUTE": "100000",
        "DIGITS_ACCESS_LOG": "false",
        "DIGITS_LOG_LEVEL": "warning",
    }
    started: list[Server] = []
    try:
        for _ in range(count):
            port = free_port()
            command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
            )
            started.append((f"http://127.0.0.1:{port}", process))
        for url, process in started:
            wait_until_healthy(url, process)
        yield started
    finally:
        for _, process in started:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
            if process.stderr:
                process.stderr.close()


def wait_until_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {process.stderr.read() if process.stderr else ''}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail("the server did not start in time")


def pixels(seed: int) -> list[list[int]]:
    grid = np.zeros((28, 28), int)
    grid[4 + seed % 18 : 10 + seed % 18, 5:23] = 255
    return grid.tolist()


def send(url: str, client: int) -> list[int]:
    """``PER_CLIENT`` corrections from one client; the ids of those answered 201."""
    ids = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for n in range(PER_CLIENT):
            body = {"label": (client + n) % 10, "kind": "api", "pixels": pixels(client * 31 + n)}
            response = http.post("/feedback", json=body)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
    return ids


def test_two_server_processes_writing_at_once_lose_nothing(
    models_dir: Path, database_url: str
) -> None:
    with servers(2, models_dir, database_url) as running:
        urls = [url for url, _ in running] * CLIENTS_PER_SERVER
        with ThreadPoolExecutor(len(urls)) as pool:
            answered = [i for ids in pool.map(send, urls, range(len(urls))) for i in ids]
    engine = connect(database_url)
    try:
        kept = [c.id for c in CorrectionStore(engine).each()]
    finally:
        engine.dispose()
    assert len(answered) == len(urls) * PER_CLIENT
    assert sorted(answered) == sorted(kept)  # every 201 is a row, and nothing else is


def test_a_correction_answered_201_survives_a_kill_right_after(
    models_dir: Path, database_url: str
) -> None:
    with servers(1, models_dir, database_url) as [(url, process)]:
        response = httpx.post(url + "/feedback", json={"label": 8, "pixels": pixels(3)}, timeout=30)
        process.send_signal(signal.SIGKILL)  # no shutdown, no flush: gone the moment it answered
        process.wait(timeout=10)
    assert response.status_code == 201
    engine = connect(database_url)
    try:
        row = CorrectionStore(engine).get(response.json()["id"])
    finally:
        engine.dispose()
    assert row is not None and row.label == 8
