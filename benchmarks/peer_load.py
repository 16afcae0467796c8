"""``http_load.py --peer``: Digits against the FastAPI + PyTorch service people write instead.

The peer (``benchmarks/torch_peer.py``: the same CNN in PyTorch, the usual demo
preprocessing) runs under uvicorn with as many processes as Digits predicts in, and
the same clients send both servers the same canvas. The two servers run side by side
and ``/predict`` runs alternate between them, ``rounds`` times, so a burst of load
elsewhere on the machine hits both; printed are each side's requests per second and
p99 latency per round, and the ratio of Digits' throughput to the peer's (the median of
the rounds' ratios), against the target: at least 1.5x, with a lower p99.

The peer is optional: without PyTorch installed the comparison says so and is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Digits must serve at least this many times the peer's requests per second
TARGET_THROUGHPUT = 1.5


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def start_peer(port: int, processes: int, weights: Path, log: Path) -> subprocess.Popen:
    """uvicorn serving ``benchmarks.torch_peer:app`` on ``processes`` worker processes."""
    command = [sys.executable, "-m", "uvicorn", "benchmarks.torch_peer:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(processes)]
    command += ["--no-access-log", "--log-level", "warning"]
    env = {**os.environ, "DIGITS_PEER_WEIGHTS": str(weights.resolve()), "PYTHONPATH": str(ROOT)}
    handle = log.open("w")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def compare(
    run: Callable[[int], dict[str, float]],
    digits_port: int,
    peer_port: int,
    rounds: int,
) -> list[str]:
    """Alternate ``run(port)`` (one timed ``/predict`` run) between the two servers."""
    digits, peer = [], []
    for _ in range(rounds):
        digits.append(run(digits_port))
        peer.append(run(peer_port))
    return report(digits, peer)


def _cpu(figures: dict[str, float]) -> str:
    """``, CPU 2.10 ms/req`` when the run measured the server's CPU per request."""
    return f", CPU {figures['server_cpu_ms']:.2f} ms/req" if "server_cpu_ms" in figures else ""


def report(digits: list[dict[str, float]], peer: list[dict[str, float]]) -> list[str]:
    """Per-round figures, the median throughput ratio, and the targets."""
    lines = []
    for index, (ours, theirs) in enumerate(zip(digits, peer, strict=True), 1):
        lines.append(
            f"round {index}: Digits {ours['rps']:.1f} req/s, p99 {ours['p99_ms']:.1f} ms"
            f"{_cpu(ours)}; FastAPI + PyTorch {theirs['rps']:.1f} req/s, "
            f"p99 {theirs['p99_ms']:.1f} ms{_cpu(theirs)}; "
            f"{ours['rps'] / max(theirs['rps'], 1e-9):.2f}x"
        )
    pairs = list(zip(digits, peer, strict=True))
    ratio = statistics.median(o["rps"] / max(t["rps"], 1e-9) for o, t in pairs)
    p99_ours = statistics.median(o["p99_ms"] for o in digits)
    p99_theirs = statistics.median(t["p99_ms"] for t in peer)
    errors = sum(o["errors"] + t["errors"] for o, t in pairs)
    cpu = ""
    if all("server_cpu_ms" in f for f in digits + peer):
        cpu_ours = statistics.median(o["server_cpu_ms"] for o in digits)
        cpu_theirs = statistics.median(t["server_cpu_ms"] for t in peer)
        cpu = f"; server CPU per request {cpu_ours:.2f} against {cpu_theirs:.2f} ms"
    lines.append(
        f"Digits / peer requests per second: {ratio:.2f}x (median of {len(digits)} "
        f"alternating rounds); p99 {p99_ours:.1f} against {p99_theirs:.1f} ms; "
        f"errors {errors:.0f}{cpu}"
    )
    lines.append(
        f"target Digits >= {TARGET_THROUGHPUT:g}x the peer's req/s: "
        f"{'met' if ratio >= TARGET_THROUGHPUT else 'MISSED'}"
    )
    lower = "met" if p99_ours < p99_theirs else "MISSED"
    lines.append(f"target a lower p99 than the peer: {lower}")
    return lines
