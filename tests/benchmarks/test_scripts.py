"""Every benchmark runs the way the README shows: ``python benchmarks/NAME.py``.

Run as a script, Python puts ``benchmarks/`` on the import path, not the
checkout, so a benchmark that imports ``benchmarks`` or ``app`` without making
the checkout importable itself fails at once (``latency.py`` did, while the
others ran). ``--help`` reaches argument parsing after every import, in a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    path
    for path in (REPO / "benchmarks").glob("*.py")
    if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
)


def test_the_benchmarks_are_found() -> None:
    names = {path.stem for path in SCRIPTS}
    assert {"latency", "robustness", "train_speed", "http_load"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_benchmark_runs_as_a_script(script: Path, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, str(script.relative_to(REPO)), "--help"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:"), result.stdout
    assert script.name in result.stdout
