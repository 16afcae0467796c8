"""HTTP load benchmark: ``digits serve`` under many concurrent keep-alive clients.

Starts the server as a user would (``digits serve --port ... --workers ...``),
waits for ``/health``, then drives it for a fixed time with ``--concurrency``
clients, each on its own keep-alive connection, first against ``/health`` and
then against ``/predict`` with a canvas PNG as the drawing page sends it (a 7 drawn
on the 280x280 pad, sent grey at 140x140 as the raw ``image/png`` body; ``--body
multipart`` sends it as a form's file instead). Prints for each endpoint the requests per second,
p50/p95/p99 latency and errors, the ratio of the two throughputs, the server's
CPU time per request (read from /proc, so it holds even on a busy machine), the
clients' own CPU time per request (they share the machine's cores with the
server) and its peak memory (VmHWM summed over the server's processes), and checks
them against the targets: no errors, ``/predict`` at least 25% of ``/health``'s
throughput, p99 under 50 ms. It also says where a ``/predict``'s time goes: the
mean of the decode, preprocess and inference times the answers report in
``timing_ms`` (every eighth answer is read), against the server's CPU per request,
and how much CPU a ``/predict`` may cost for the throughput target on this
machine's cores.

The clients are one asyncio process writing pre-built requests on raw sockets
(far lighter than an HTTP library, so the server, not the client, is measured).
On a 2-core machine client and server share the cores; the figures say what one
machine does, not what a server does behind a load balancer.

    python benchmarks/http_load.py                      # 16 clients, 10 s per endpoint
    python benchmarks/http_load.py --duration 5 --workers 2 --weights weights/mlp.json
    python benchmarks/http_load.py --predict-processes 2   # one worker, a pool of two
    python benchmarks/http_load.py --predict-processes 2 --peer --rounds 3   # and the peer

``--peer`` also drives the service people write instead (FastAPI + PyTorch, the same
network, the usual demo preprocessing: ``benchmarks/peer_load.py``) when PyTorch is
installed, in ``/predict`` runs that alternate with Digits', and prints both and the ratio.
The peer gets the same PNG, as the form file its ``UploadFile`` route reads.

Only loopback addresses are used; every loop is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from benchmarks.server_process import (  # noqa: E402
    HOST,
    cpu_seconds,
    free_port,
    peak_memory_mb,
    server_pids,
    start_server,
    stop_server,
    wait_healthy,
)

TARGET_RATIO = 0.25
TARGET_P99_MS = 50.0
#: Every this many answers, the client reads the stage times the JSON reports.
TIMING_SAMPLE = 8


#: The drawing page sends its 280x280 pad at half size (static/js/pad.js).
PAGE_CANVAS = 140


def canvas_png(size: int = PAGE_CANVAS, mode: str = "L") -> bytes:
    """A 7 drawn with round strokes (18 pixels on the 280 pad) on white: by default grey at
    the size the page sends; ``canvas_png(280, "RGBA")`` is what the page sent before."""
    image = Image.new(mode, (size, size), "white")
    draw = ImageDraw.Draw(image)
    s = size / 280
    points = [(70 * s, 62 * s), (205 * s, 58 * s), (168 * s, 130 * s), (120 * s, 225 * s)]
    draw.line(points, fill="black", width=round(18 * s), joint="curve")
    for x, y in points[:1] + points[-1:]:
        r = 9 * s
        draw.ellipse((x - r, y - r, x + r, y + r), fill="black")
    draw.line([(110 * s, 140 * s), (175 * s, 140 * s)], fill="black", width=round(14 * s))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def multipart_request(path: str, port: int, png: bytes) -> bytes:
    boundary = "----digitsbench7c2f"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="canvas.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + png
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: keep-alive\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def png_request(path: str, port: int, png: bytes) -> bytes:
    """The PNG as the raw body, as the drawing page sends it."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: keep-alive\r\n"
        f"Content-Type: image/png\r\nContent-Length: {len(png)}\r\n\r\n"
    )
    return head.encode() + png


def predict_request(body: str, port: int, png: bytes) -> bytes:
    """``/predict`` with the PNG as the raw body (``body="raw"``) or a form's file."""
    build = png_request if body == "raw" else multipart_request
    return build("/predict", port, png)


def get_request(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: sums of the ``timing_ms`` stages the responses report (decode, preprocess, ...)
    stage_ms: dict[str, float] = field(default_factory=dict)
    timed: int = 0  # responses that reported them

    def add_timing(self, body: bytes) -> None:
        """Add the stage times a prediction's JSON reports (not every answer has them)."""
        try:
            timing = json.loads(body).get("timing_ms")
        except (ValueError, AttributeError):
            return
        if isinstance(timing, dict):
            self.timed += 1
            for stage, ms in timing.items():
                self.stage_ms[stage] = self.stage_ms.get(stage, 0.0) + float(ms)

    def mean_stages(self) -> dict[str, float]:
        return {stage: total / self.timed for stage, total in self.stage_ms.items()}

    def summary(self) -> dict[str, float]:
        values = np.array(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        return {
            "requests": len(self.latencies_ms),
            "rps": len(self.latencies_ms) / self.seconds if self.seconds else 0.0,
            "p50_ms": float(np.percentile(values, 50)),
            "p95_ms": float(np.percentile(values, 95)),
            "p99_ms": float(np.percentile(values, 99)),
            "max_ms": float(values.max()),
            "errors": self.errors,
        }


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response: its status, whether the server keeps the connection, its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close", body


async def client(port: int, request: bytes, deadline: float, result: Result) -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            assert reader is not None
            began = time.perf_counter()
            writer.write(request)
            status, keep, body = await asyncio.wait_for(read_response(reader), timeout=30)
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status != 200:
                result.errors += 1
            elif len(result.latencies_ms) % TIMING_SAMPLE == 0:
                result.add_timing(body)
            if not keep:
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def drive(port: int, request: bytes, concurrency: int, seconds: float) -> Result:
    result = Result()
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(*(client(port, request, deadline, result) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - began
    return result


# -- the report -----------------------------------------------------------------------
def where_the_time_goes(
    figures: dict[str, dict[str, float]], stages: dict[str, float], cores: int
) -> list[str]:
    """The prediction's own stages (the responses' ``timing_ms``) against the server's
    CPU per ``/predict``, and the CPU a ``/predict`` may cost for the throughput target:
    with every core busy, ``cores`` seconds of CPU per second serve ``TARGET_RATIO`` of
    ``/health``'s requests."""
    predict = figures["/predict"]
    spent = predict["server_cpu_ms"] + predict["client_cpu_ms"]
    budget = 1000 * cores / max(TARGET_RATIO * figures["/health"]["rps"], 1e-9)
    out = []
    work = {k: v for k, v in stages.items() if k != "total"}
    if work:
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in work.items())
        out.append(
            f"/predict work per request (the responses' timing_ms, mean): {parts} ms, "
            f"{sum(work.values()):.2f} ms in all (wall time, waits for a core included); "
            f"the server's CPU per request: {predict['server_cpu_ms']:.2f} ms"
        )
    out.append(
        f"CPU per /predict for the {TARGET_RATIO:.0%} target on {cores} cores: at most "
        f"{budget:.2f} ms (server + client); measured {spent:.2f} ms"
    )
    return out


def line(name: str, figures: dict[str, float]) -> str:
    return (
        f"{name:<9} {figures['requests']:>7.0f} req  {figures['rps']:>8.1f} req/s  "
        f"p50 {figures['p50_ms']:>6.1f} ms  p95 {figures['p95_ms']:>6.1f} ms  "
        f"p99 {figures['p99_ms']:>6.1f} ms  max {figures['max_ms']:>6.1f} ms  "
        f"errors {figures['errors']:.0f}  server CPU {figures['server_cpu_ms']:.2f} ms/req  "
        f"client CPU {figures['client_cpu_ms']:.2f} ms/req"
    )


def compare_with_peer(
    args: argparse.Namespace, png: bytes, digits_port: int, digits_pid: int
) -> list[str]:
    """Alternating ``/predict`` runs against Digits and the FastAPI + PyTorch peer, each
    with its server's CPU time per request (all its processes)."""
    from benchmarks import peer_load

    if not peer_load.torch_installed():
        return ["peer (FastAPI + PyTorch): PyTorch is not installed, no comparison"]
    processes = max(args.workers, args.predict_processes, 1)
    weights = args.weights or ROOT / "weights" / "cnn.json"
    port = free_port()
    peer = peer_load.start_peer(port, processes, weights, args.log.with_suffix(".peer.log"))
    try:
        wait_healthy(port, peer)

        pids = {digits_port: server_pids(digits_pid), port: server_pids(peer.pid)}

        def run(target: int) -> dict[str, float]:
            body = args.body if target == digits_port else "multipart"  # the peer's UploadFile
            request = predict_request(body, target, png)
            asyncio.run(drive(target, request, args.concurrency, args.warmup))
            before = cpu_seconds(pids[target])
            figures = asyncio.run(drive(target, request, args.concurrency, args.duration)).summary()
            spent = cpu_seconds(pids[target]) - before
            figures["server_cpu_ms"] = 1000 * spent / max(figures["requests"], 1)
            return figures

        heading = f"peer: FastAPI + PyTorch ({weights.name}), uvicorn --workers {processes}"
        return [heading, *peer_load.compare(run, digits_port, port, args.rounds)]
    finally:
        stop_server(peer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each run")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument(
        "--predict-processes",
        type=int,
        default=0,
        help="prediction processes per worker (0: threads; see DIGITS_PREDICT_PROCESSES)",
    )
    parser.add_argument("--weights", type=Path, help="weights file (default: the server's)")
    parser.add_argument(
        "--body",
        choices=("raw", "multipart"),
        default="raw",
        help="send Digits the PNG as the raw body (as the page does) or a form's file",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--peer", action="store_true", help="compare with FastAPI + PyTorch (if installed)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs with --peer")
    parser.add_argument("--log", type=Path, default=Path("/tmp/digits-http-load.log"))
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    png = canvas_png()
    port = free_port()
    server = start_server(port, args.workers, args.predict_processes, args.weights, args.log)
    try:
        wait_healthy(port, server)
        runs = {
            "/health": get_request("/health", port),
            "/predict": predict_request(args.body, port, png),
        }
        figures: dict[str, dict[str, float]] = {}
        statuses: dict[str, dict[int, int]] = {}
        stages: dict[str, dict[str, float]] = {}
        pids = server_pids(server.pid)
        for path, request in runs.items():
            asyncio.run(drive(port, request, args.concurrency, args.warmup))
            cpu_before, client_before = cpu_seconds(pids), time.process_time()
            result = asyncio.run(drive(port, request, args.concurrency, args.duration))
            cpu, client_cpu = cpu_seconds(pids) - cpu_before, time.process_time() - client_before
            figures[path], statuses[path] = result.summary(), result.statuses
            stages[path] = result.mean_stages()
            count = max(len(result.latencies_ms), 1)
            figures[path]["server_cpu_ms"] = 1000 * cpu / count
            figures[path]["client_cpu_ms"] = 1000 * client_cpu / count
        memory = peak_memory_mb(server_pids(server.pid))
        peer_lines = compare_with_peer(args, png, port, server.pid) if args.peer else []
    finally:
        stop_server(server)

    ratio = figures["/predict"]["rps"] / max(figures["/health"]["rps"], 1e-9)
    errors = figures["/health"]["errors"] + figures["/predict"]["errors"]
    cores = os.cpu_count()
    print(
        f"digits serve --workers {args.workers} --predict-processes {args.predict_processes}: "
        f"{args.concurrency} keep-alive clients, "
        f"{args.duration:g} s per endpoint, {cores} cores, "
        f"load average before {load_before:.1f}, canvas PNG {len(png)} bytes, "
        f"{args.body} body"
    )
    for path in runs:
        print(line(path, figures[path]))
    cpu_ratio = figures["/health"]["server_cpu_ms"] / max(
        figures["/predict"]["server_cpu_ms"], 1e-9
    )
    print(f"throughput ratio /predict : /health = {ratio:.1%}")
    print(
        f"server CPU per request /health : /predict = {cpu_ratio:.1%} "
        "(the throughput ratio a server with the cores to itself would reach)"
    )
    print(f"server peak memory (VmHWM, all processes) = {memory:.0f} MB")
    for text in where_the_time_goes(figures, stages["/predict"], cores or 1):
        print(text)
    checks = {
        "zero errors": errors == 0,
        f"/predict >= {TARGET_RATIO:.0%} of /health": ratio >= TARGET_RATIO,
        f"/predict p99 < {TARGET_P99_MS:g} ms": figures["/predict"]["p99_ms"] < TARGET_P99_MS,
    }
    for name, ok in checks.items():
        print(f"target {name}: {'met' if ok else 'MISSED'}")
    if errors:
        print(f"statuses: {statuses}")
    for text in peer_lines:
        print(text)
    if args.json:
        print(json.dumps({"figures": figures, "ratio": ratio, "peak_memory_mb": memory}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
