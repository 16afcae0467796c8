"""The import contract in pyproject.toml holds today and catches a wrong import.

``lint-imports`` runs in ``.ci/run``; this test makes sure the contract is not a
rule that passes whatever the code does: the same checker, run on a copy of the
code with one import pointing the wrong way, must fail and name the import.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = shutil.which("lint-imports")

pytestmark = pytest.mark.skipif(LINT is None, reason="import-linter is a dev dependency")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    assert LINT is not None
    return subprocess.run(
        [LINT, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120
    )


def copy_of_code(tmp_path: Path) -> Path:
    for folder in ("app", "model"):
        shutil.copytree(
            REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract(tmp_path: Path) -> None:
    result = lint(copy_of_code(tmp_path))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("app/vision/geometry.py", "import app.service.schemas", "Rooms import one way"),
        ("app/vision/decode.py", "import fastapi", "know nothing of HTTP"),
        ("model/layers.py", "import app.settings", "model/ imports nothing of app/"),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    root = copy_of_code(tmp_path)
    source = root / module
    source.write_text(source.read_text() + f"\n{wrong_import}  # noqa\n")
    result = lint(root)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken
