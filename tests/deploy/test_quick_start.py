"""CI runs the README's Quick start line for line, so the Quick start is what CI proves.

``.ci/run`` must run the same install, activation and test commands as the
README shows, in the same order (it adds the linters, and it does not clone or
serve). A README that says one thing while CI does another fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_IN_CI = ("git clone", "digits serve")  # CI has its checkout and starts no server to keep


def quick_start_lines() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the Quick start has no sh block"
    return [line.strip() for line in block[1].splitlines() if line.strip()]


def test_ci_runs_the_quick_start_in_order() -> None:
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    steps = [line for line in quick_start_lines() if not line.startswith(NOT_IN_CI)]
    assert steps == ["bash scripts/install.sh", ". .venv/bin/activate", "python -m pytest"]
    positions = [ci.index(step) for step in steps]  # ValueError: CI does not run a step
    assert positions == sorted(positions), "CI runs the Quick start's steps in another order"


def test_the_install_script_makes_the_environment_the_readme_activates() -> None:
    script = (REPO / "scripts" / "install.sh").read_text()
    assert "VENV=.venv" in script and 'python3 -m venv "$VENV"' in script
