"""A JSON body that cannot hold one 28x28 grid or one image is refused before it is parsed.

Memory is measured for real (``tracemalloc``'s peak over the request, which sees
every Python object the parser would build): a 32 MB ``pixels`` body used to cost
about 960 MB, parsed on the event loop.
"""

from __future__ import annotations

import base64
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from api_images import digit_png
from fastapi.testclient import TestClient
from PIL import Image

from app.service.json_body import PIXELS_MAX_BYTES, json_limit
from app.settings import Settings

MIB = 1024 * 1024


def zeros_body(size: int) -> bytes:
    """``{"pixels": [[0, 0, ...]]}`` of about ``size`` bytes: one row far too long."""
    count = size // 3
    return b'{"pixels": [[' + b", ".join([b"0"] * count) + b"]]}"


def peak_mib(send: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        send()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def post_json(client: TestClient, body: bytes | Iterator[bytes]) -> dict:
    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    return {**response.json(), "http": response.status_code}


@pytest.mark.parametrize("size", [2 * MIB, 20 * MIB], ids=["2 MB", "20 MB"])
def test_a_pixels_body_too_large_for_28x28_is_refused_unparsed(
    client: TestClient, size: int
) -> None:
    body = zeros_body(size)
    answers: list[dict] = []
    peak = peak_mib(lambda: answers.append(post_json(client, body)))
    (answer,) = answers
    assert answer["http"] == 413 and "28" in answer["detail"], answer
    assert peak < 3 * len(body) / MIB + 8, f"{peak:.0f} MiB for a {len(body) / MIB:.0f} MiB body"


def test_a_body_without_length_is_read_only_up_to_the_limit(client: TestClient) -> None:
    limit = json_limit(Settings().max_upload_bytes)
    chunks = (b" " * MIB for _ in range(limit // MIB + 4))  # chunked: no Content-Length
    answer = post_json(client, chunks)
    assert answer["http"] == 413 and "MiB" in answer["detail"]


def test_honest_bodies_near_the_limits_are_still_read(client: TestClient) -> None:
    """A pretty-printed 28x28 grid of long floats, and a large image as base64."""
    grid = (np.random.default_rng(0).random((28, 28)) * 255).tolist()
    pretty = json.dumps({"pixels": grid}, indent=8).encode()
    assert len(pretty) < PIXELS_MAX_BYTES
    assert post_json(client, pretty)["http"] in (200, 422)  # read, parsed, judged
    noise = np.random.default_rng(1).integers(0, 255, (700, 700, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG")
    assert len(buffer.getvalue()) > PIXELS_MAX_BYTES
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    answer = post_json(client, json.dumps({"image": url}).encode())
    assert answer["http"] in (200, 422), answer  # not refused for its size
    seven = "data:image/png;base64," + base64.b64encode(digit_png(7)).decode()
    assert post_json(client, json.dumps({"image": seven}).encode())["digit"] == 7
