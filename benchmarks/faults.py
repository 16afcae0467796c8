"""Fault run: ``digits serve`` with a pool of prediction processes, while things go wrong.

Starts the server as an operator would (``digits serve --predict-processes 2``,
``DIGITS_MAX_PIXELS=16000000`` as compose and Kubernetes set it) and, while a
prober asks ``/health/live`` every 50 ms and ``/health/ready`` every 500 ms,
goes through four phases:

1. **killed**: clients keep sending ``/predict``; one pool process is killed
   (SIGKILL). Every request must be answered (200, or 503 for those the process
   held), none later than the time limit, and the pool must be back at strength.
2. **stopped**: both pool processes are stopped (SIGSTOP). Requests must get 504
   within ``DIGITS_PREDICT_TIMEOUT_S`` (plus a second), readiness must say 503,
   and the stuck processes must be replaced until readiness says 200 again.
3. **memory**: the peak resident memory above rest of all the server's processes
   (``VmHWM`` after ``clear_refs``) for the worst single image within the limits
   (a blank 4000x4000 16-bit PNG: 31 KB that decodes to 16 MP), a batch of 32 of
   them (the issue's 1.2 MB request that took 1,185 MB), the same image as
   base64 JSON, and the largest ``pixels`` JSON the server parses. Target: each
   at most 2x the single image.
   A 20 MB ``pixels`` body must be refused (413) without the memory its parse
   would take.
4. **heavy clients**: two clients repeat the 32-file batch and the 20 MB
   ``pixels`` body while a third sends ordinary ``/predict`` requests: the
   ordinary ones must keep being answered (a batch takes turns, it does not hold
   the pool), and ``/health/live`` must stay fast (nothing big is parsed on the
   event loop).

Prints the figures and checks the targets; exit status 1 when one is missed.

    python benchmarks/faults.py                   # about two minutes
    python benchmarks/faults.py --timeout 3 --clients 2

Only loopback addresses are used; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import signal
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.fault_probes import (  # noqa: E402
    MAX_PIXELS,
    Prober,
    blank_16_bit_png,
    latency_line,
    multipart,
    peak_growth_mib,
    pool_pids,
    probing,
    send,
    start,
)
from benchmarks.http_load import canvas_png  # noqa: E402
from benchmarks.server_process import free_port, stop_server, wait_healthy  # noqa: E402

BATCH_FILES = 32
MEMORY_TARGET_RATIO = 2.0
MIB = 1024 * 1024


# -- the phases -------------------------------------------------------------------------
def under_load(
    port: int, clients: int, seconds: float, fault: Callable[[], None]
) -> tuple[Counter[int], float]:
    """Clients send /predict for ``seconds``; ``fault`` strikes after one second."""
    png = canvas_png()
    body, kind = multipart([png])
    statuses: Counter[int] = Counter()
    slowest = [0.0]
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        while time.monotonic() < deadline:
            status, took = send(port, "POST", "/predict", body, kind)
            with lock:
                statuses[status] += 1
                slowest[0] = max(slowest[0], took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    fault()
    for thread in threads:
        thread.join(seconds + 180)
    return statuses, slowest[0]


def wait_for(check: Callable[[], bool], seconds: float) -> float | None:
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if check():
            return time.monotonic() - began
        time.sleep(0.1)
    return None


def describe(statuses: Counter[int]) -> str:
    return ", ".join(
        f"{status or 'no answer'}: {count}" for status, count in sorted(statuses.items())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faults.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent /predict clients")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each load phase")
    parser.add_argument("--timeout", type=float, default=5.0, help="DIGITS_PREDICT_TIMEOUT_S")
    parser.add_argument("--log", type=Path, default=Path("/tmp/digits-faults.log"))
    args = parser.parse_args(argv)

    port = free_port()
    server = start(port, 2, args.timeout, args.log)
    missed: list[str] = []
    try:
        wait_healthy(port, server, timeout=120)
        print(
            f"digits serve --predict-processes 2, DIGITS_PREDICT_TIMEOUT_S={args.timeout:g}, "
            f"DIGITS_MAX_PIXELS={MAX_PIXELS}, {args.clients} clients, {os.cpu_count()} cores"
        )
        with probing(port) as prober:
            missed += phase_killed(port, server.pid, args, prober)
            missed += phase_stopped(port, server.pid, args, prober)
            missed += phase_memory(port, server.pid, prober)
            missed += phase_heavy(port, args, prober)
    finally:
        stop_server(server)
    print("targets:", "all met" if not missed else "MISSED: " + "; ".join(missed))
    return 1 if missed else 0


def phase_killed(port: int, server_pid: int, args: argparse.Namespace, prober: Prober) -> list[str]:
    victims = pool_pids(server_pid)
    statuses, slowest = under_load(
        port, args.clients, args.seconds, lambda: os.kill(victims[0], signal.SIGKILL)
    )
    back = wait_for(lambda: len(pool_pids(server_pid)) == 2, 60)
    live, _ready = prober.take()
    print(
        f"\n1. one pool process killed (SIGKILL) under load: {describe(statuses)}; "
        f"slowest {slowest:.2f} s; pool back at 2 processes: {'yes' if back is not None else 'NO'}"
    )
    print("   " + latency_line(live))
    missed = []
    if statuses[0] or set(statuses) - {200, 503}:
        missed.append("killed: a request without a 200/503 answer")
    if slowest > args.timeout + 1 or back is None:
        missed.append("killed: too slow, or the pool did not come back")
    return missed


def phase_stopped(
    port: int, server_pid: int, args: argparse.Namespace, prober: Prober
) -> list[str]:
    stopped = pool_pids(server_pid)

    def stop_all() -> None:
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)

    began = time.monotonic()
    statuses, slowest = under_load(port, args.clients, args.seconds, stop_all)
    ready_again = wait_for(
        lambda: (
            send(port, "GET", "/health/ready")[0] == 200
            and not set(pool_pids(server_pid)) & set(stopped)
        ),
        60,
    )
    for pid in stopped:  # any left over (it should have been killed)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    live, ready = prober.take()
    not_ready = [t - began for t, status in ready if status == 503]
    print(
        f"\n2. both pool processes stopped (SIGSTOP) under load: {describe(statuses)}; "
        f"slowest {slowest:.2f} s (limit {args.timeout:g} s)"
    )
    first = f"{min(not_ready):.1f} s" if not_ready else "never"
    again = f"{ready_again:.1f} s after the load" if ready_again is not None else "NOT"
    print(f"   /health/ready said 503 first {first} after the load began; ready again {again}")
    print("   " + latency_line(live))
    missed = []
    if statuses[0] or set(statuses) - {200, 503, 504}:
        missed.append("stopped: a request without a 200/503/504 answer")
    if slowest > args.timeout + 1.5:
        missed.append(f"stopped: a request took {slowest:.1f} s")
    if not not_ready or ready_again is None:
        missed.append("stopped: readiness did not tell, or the pool did not recover")
    return missed


def phase_memory(port: int, server_pid: int, prober: Prober) -> list[str]:
    png = blank_16_bit_png()
    one, one_kind = multipart([png])
    batch, batch_kind = multipart([png] * BATCH_FILES)
    as_json = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()})
    grid = (np.random.default_rng(0).random((28, 28)) * 255).tolist()
    pixels = json.dumps({"pixels": grid}, indent=8)  # the largest honest pixels body
    refused = b'{"pixels": [[' + b", ".join([b"0"] * (20 * MIB // 3)) + b"]]}"

    def post(body: bytes | str, kind: str, path: str = "/predict") -> Callable[[], int]:
        data = body.encode() if isinstance(body, str) else body
        return lambda: send(port, "POST", path, data, kind)[0]

    post(one, one_kind)()  # the first large image grows the allocators once
    prober.take()
    cases = [
        ("one blank 4000x4000 16-bit PNG (multipart)", post(one, one_kind)),
        (
            f"a batch of {BATCH_FILES} of them ({len(batch) / MIB:.1f} MB)",
            post(batch, batch_kind, "/predict/batch"),
        ),
        ("the same image as base64 JSON", post(as_json, "application/json")),
        (
            f"the largest pixels JSON parsed ({len(pixels) / 1024:.0f} KB)",
            post(pixels, "application/json"),
        ),
        (f"a {len(refused) / MIB:.0f} MB pixels JSON (refused)", post(refused, "application/json")),
    ]
    print("\n3. peak resident memory above rest, all server processes:")
    growth: dict[str, float] = {}
    for name, action in cases:
        answered: list[int] = []
        growth[name] = peak_growth_mib(
            server_pid, lambda act=action, out=answered: out.append(act())
        )
        live, _ready = prober.take()
        slowest = f"{max(live):.0f} ms" if live else "none answered"
        print(f"   {name}: {growth[name]:.0f} MiB", end=" ")
        print(f"(status {answered[0]}; slowest /health/live meanwhile {slowest})")
    single = growth[cases[0][0]]
    worst = max(growth[name] for name, _ in cases[1:])
    ratio = worst / single if single > 0 else float("inf")
    target = f"target at most {MEMORY_TARGET_RATIO:g}x"
    print(f"   worst of the others / one image: {ratio:.2f}x ({target})")
    return [] if ratio <= MEMORY_TARGET_RATIO else [f"memory: {ratio:.2f}x one image"]


def phase_heavy(port: int, args: argparse.Namespace, prober: Prober) -> list[str]:
    png = blank_16_bit_png()
    batch, batch_kind = multipart([png] * BATCH_FILES)
    refused = b'{"pixels": [[' + b", ".join([b"0"] * (20 * MIB // 3)) + b"]]}"
    ordinary, ordinary_kind = multipart([canvas_png()])
    deadline = time.monotonic() + args.seconds
    heavy: Counter[int] = Counter()
    light: list[tuple[int, float]] = []

    def repeat(path: str, body: bytes, kind: str) -> None:
        while time.monotonic() < deadline:
            heavy[send(port, "POST", path, body, kind)[0]] += 1

    def ordinary_client() -> None:
        while time.monotonic() < deadline:
            light.append(send(port, "POST", "/predict", ordinary, ordinary_kind))

    prober.take()
    threads = [
        threading.Thread(target=repeat, args=("/predict/batch", batch, batch_kind)),
        threading.Thread(target=repeat, args=("/predict", refused, "application/json")),
        threading.Thread(target=ordinary_client),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.seconds + 180)
    live, _ready = prober.take()
    times = sorted(seconds * 1000 for status, seconds in light if status == 200)
    print(
        f"\n4. two heavy clients (the batch of {BATCH_FILES}, the 20 MB pixels JSON) for "
        f"{args.seconds:g} s: {describe(heavy)}"
    )
    if times:
        print(
            f"   a third client's ordinary /predict: {len(times)} answered, median "
            f"{statistics.median(times):.0f} ms, slowest {times[-1]:.0f} ms"
        )
    print("   " + latency_line(live))
    missed = []
    if not times or len(times) < len(light):
        missed.append("heavy: an ordinary request was not answered")
    if live and max(live) > 1000:
        missed.append(f"heavy: /health/live took {max(live):.0f} ms")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
