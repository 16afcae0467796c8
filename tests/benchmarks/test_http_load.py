"""benchmarks/http_load.py: its bookkeeping, and one short run against a real server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import http_load


def test_stage_times_are_averaged_over_the_answers_that_report_them() -> None:
    result = http_load.Result()
    result.add_timing(json.dumps({"timing_ms": {"decode": 1.0, "total": 3.0}}).encode())
    result.add_timing(json.dumps({"timing_ms": {"decode": 2.0, "total": 5.0}}).encode())
    result.add_timing(b'{"status": "ok"}')  # /health: no timing
    result.add_timing(b"<html>not json</html>")
    result.add_timing(b"[1, 2]")
    assert result.timed == 2
    assert result.mean_stages() == {"decode": 1.5, "total": 4.0}


def test_the_cpu_budget_follows_from_health_throughput_and_cores() -> None:
    figures = {
        "/health": {"rps": 2000.0, "server_cpu_ms": 0.5, "client_cpu_ms": 0.1},
        "/predict": {"rps": 400.0, "server_cpu_ms": 4.5, "client_cpu_ms": 0.25},
    }
    stages = {"decode": 0.9, "preprocess": 1.5, "inference": 0.6, "total": 3.1}
    lines = http_load.where_the_time_goes(figures, stages, cores=2)
    # 25% of 2,000 req/s is 500 req/s; two cores give each 4 ms of CPU
    assert "at most 4.00 ms (server + client); measured 4.75 ms" in lines[-1]
    assert "decode 0.90, preprocess 1.50, inference 0.60 ms, 3.00 ms in all" in lines[0]
    assert "the server's CPU per request: 4.50 ms" in lines[0]
    assert "total" not in lines[0]


@pytest.mark.skipif(shutil.which("digits") is None, reason="needs the installed digits command")
def test_a_short_run_reports_both_endpoints_and_the_targets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["--duration", "0.6", "--warmup", "0.1", "--concurrency", "4", "--json"]
    assert http_load.main([*argv, "--log", str(tmp_path / "server.log")]) == 0
    out = capsys.readouterr().out
    report = json.loads(out.strip().splitlines()[-1])
    for path in ("/health", "/predict"):
        assert report["figures"][path]["requests"] > 0
        assert report["figures"][path]["errors"] == 0
    assert "/predict work per request (the responses' timing_ms, mean): decode" in out
    assert "target /predict p99 < 50 ms:" in out
