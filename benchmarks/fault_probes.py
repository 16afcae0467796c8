"""How the fault run (``benchmarks/faults.py``) reaches the server and watches it.

Requests: the worst single image within the limits (a blank 16-bit PNG that
decodes big), multipart bodies of any number of files, and ``send``, which
answers status 0 when the connection failed instead of raising. The server:
``digits serve`` started with the fault run's limits, its prediction processes,
and the peak resident memory an action adds over all its processes. The
health prober: a thread asking ``/health/live`` every 50 ms and
``/health/ready`` every 500 ms, whose answers each phase takes in turn.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from benchmarks.server_process import HOST, server_pids

MAX_PIXELS = 16_000_000


# -- requests ---------------------------------------------------------------------------
def blank_16_bit_png(side: int = 4000) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((side, side), np.uint16)).save(buffer, "PNG")
    return buffer.getvalue()


def multipart(files: list[bytes]) -> tuple[bytes, str]:
    boundary = "faultrunboundary"
    parts = [
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="f{i}.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + data
        + b"\r\n"
        for i, data in enumerate(files)
    ]
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def send(port: int, method: str, path: str, body: bytes = b"", kind: str = "") -> tuple[int, float]:
    """``(status, seconds)``; status 0 when the connection failed or timed out."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        headers = {"Content-Type": kind} if kind else {}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - began
    except OSError:
        return 0, time.perf_counter() - began
    finally:
        connection.close()


# -- the server -------------------------------------------------------------------------
def start(port: int, processes: int, timeout: float, log: Path) -> Any:
    import subprocess

    env = {
        **os.environ,
        "DIGITS_MAX_PIXELS": str(MAX_PIXELS),
        "DIGITS_PREDICT_TIMEOUT_S": str(timeout),
        "DIGITS_ACCESS_LOG": "false",
        "DIGITS_FEEDBACK": "false",
        "OPENBLAS_NUM_THREADS": "1",
    }
    command = ["digits", "serve", "--host", HOST, "--port", str(port)]
    command += ["--predict-processes", str(processes)]
    return subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def pool_pids(server_pid: int) -> list[int]:
    """The prediction processes: the server's children running the pool (not the
    multiprocessing resource tracker)."""
    found = []
    for pid in server_pids(server_pid)[1:]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing.spawn" in command or b"spawn_main" in command:
            found.append(pid)
    return found


def kib(pid: int, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_growth_mib(server_pid: int, action: Callable[[], object]) -> float:
    """Peak resident memory above rest, summed over the server's processes."""
    pids = server_pids(server_pid)
    for pid in pids:
        with contextlib.suppress(OSError):  # a process that just ended
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    resting = sum(kib(pid, "VmRSS") for pid in pids)
    action()
    return (sum(kib(pid, "VmHWM") for pid in pids) - resting) / 1024


# -- the health prober ------------------------------------------------------------------
@dataclass
class Prober:
    port: int
    live_ms: list[float] = field(default_factory=list)
    ready: list[tuple[float, int]] = field(default_factory=list)  # (time, status)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        next_ready = 0.0
        while not self.stop.is_set():
            status, seconds = send(self.port, "GET", "/health/live")
            if status == 200:
                self.live_ms.append(seconds * 1000)
            now = time.monotonic()
            if now >= next_ready:
                self.ready.append((now, send(self.port, "GET", "/health/ready")[0]))
                next_ready = now + 0.5
            self.stop.wait(0.05)

    def take(self) -> tuple[list[float], list[tuple[float, int]]]:
        live, ready = self.live_ms, self.ready
        self.live_ms, self.ready = [], []
        return live, ready


@contextmanager
def probing(port: int):  # type: ignore[no-untyped-def]
    prober = Prober(port)
    thread = threading.Thread(target=prober.run, daemon=True)
    thread.start()
    try:
        yield prober
    finally:
        prober.stop.set()
        thread.join(30)


def latency_line(live_ms: list[float]) -> str:
    if not live_ms:
        return "/health/live: no answer"
    ordered = sorted(live_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"/health/live {len(ordered)} answers: median {statistics.median(ordered):.1f} ms, "
        f"p99 {p99:.1f} ms, max {ordered[-1]:.1f} ms"
    )
