"""The README's example request, sent to the service as shipped, gets the README's answer.

The README once showed ``"test_accuracy": 0.9952`` while the server said
0.9961. Here its example ``curl`` (a canvas data URL of a 7) goes to the app
with the shipped weights and default settings, and the answer must match the
JSON the README prints: every key, the digit, the status, the ranking, the
model's name, size and accuracy exactly, probabilities to the last digit shown.
Only the timings may differ. When the weights change, paste the answer this
test prints into the README.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import REPO_ROOT, Settings

README = REPO_ROOT / "README.md"
EXAMPLE = re.compile(
    r"```sh\ncurl -H 'Content-Type: application/json' -d '(?P<body>\{.*?\})' "
    r"localhost:8000(?P<path>/\S+)\n```.*?```json\n(?P<answer>.*?)```",
    re.DOTALL,
)


@pytest.fixture(scope="module")
def shipped() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as client:
        yield client


def readme_example() -> tuple[str, dict[str, Any], dict[str, Any]]:
    found = EXAMPLE.search(README.read_text(encoding="utf-8"))
    assert found, "README.md has no example request followed by its JSON answer"
    return found["path"], json.loads(found["body"]), json.loads(found["answer"])


def without_timings(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "timing_ms": sorted(answer["timing_ms"])}


def test_the_readme_example_gets_the_readme_answer(shipped: TestClient) -> None:
    path, body, printed = readme_example()
    response = shipped.post(path, json=body)
    assert response.status_code == 200, response.text
    actual = response.json()
    assert without_timings(actual) == without_timings(printed), (
        "README.md's example answer is out of date; the server now says:\n"
        + json.dumps(actual, indent=2)
    )


def test_the_example_is_a_whole_request() -> None:
    path, body, printed = readme_example()
    assert path == "/predict"
    assert body["image"].startswith("data:image/png;base64,") and "..." not in body["image"]
    assert printed["digit"] == 7 and set(printed["timing_ms"]) >= {"total"}
