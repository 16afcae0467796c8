"""A batch costs at most what its largest image costs, and does not hold up other clients.

Measured for real: the resident memory high-water mark of the pool process that
does the work (``/proc/<pid>/status`` ``VmHWM``, reset through ``clear_refs``), for
one large blank 16-bit PNG against a batch of copies of it. Before the fix each file
that failed kept its decoded image alive through the stored error's traceback, so
the batch cost one image per file.
"""

from __future__ import annotations

import concurrent.futures
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from api_images import digit_png
from fastapi.testclient import TestClient
from PIL import Image

from app.service.pool import ProcessRunner
from app.settings import Settings

#: The compose and Kubernetes pixel limit, and an image that reaches it.
MAX_PIXELS = 16_000_000
SIDE = 4000
COPIES = 8


def blank_16_bit_png() -> bytes:
    """4000x4000 16-bit grey, all zero: 31 KB compressed, 32 MB decoded."""
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((SIDE, SIDE), np.uint16)).save(buffer, "PNG")
    return buffer.getvalue()


def kilobytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for process {pid}")


def peak_growth_mib(pid: int, send: Callable[[], object]) -> float:
    """How far above its resting size the process's resident memory rose during ``send``."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the high-water mark := now
    resting = kilobytes(pid, "VmRSS")
    send()
    return (kilobytes(pid, "VmHWM") - resting) / 1024


@pytest.fixture(scope="module")
def one_process(
    api_settings: Settings, make_client: Callable[[Settings], TestClient]
) -> Iterator[TestClient]:
    settings = replace(api_settings, predict_processes=1, max_pixels=MAX_PIXELS)
    with make_client(settings) as client:
        yield client


def test_a_batch_of_large_blank_images_costs_what_one_costs(one_process: TestClient) -> None:
    runner: ProcessRunner = one_process.app.state.runner  # type: ignore[attr-defined]
    (pid,) = runner.pids
    png = blank_16_bit_png()

    def single() -> None:
        answer = one_process.post("/predict", files={"file": ("b.png", png, "image/png")})
        assert answer.status_code == 422

    def batch() -> None:
        files = [("file", (f"b{i}.png", png, "image/png")) for i in range(COPIES)]
        answer = one_process.post("/predict/batch", files=files)
        assert answer.status_code == 200 and answer.json()["failed"] == COPIES

    single()  # warm: the first large image grows the allocator's arenas once
    one = peak_growth_mib(pid, single)
    many = peak_growth_mib(pid, batch)
    print(f"peak growth: one image {one:.0f} MiB, a batch of {COPIES}: {many:.0f} MiB")
    assert one > 20, "the single image should cost its decoded size at least"
    assert many <= 1.5 * one, f"a batch of {COPIES} took {many:.0f} MiB, one image {one:.0f}"


def test_a_batch_takes_turns_with_other_clients(one_process: TestClient) -> None:
    """A single request sent while a long batch runs is answered before the batch ends."""
    png = blank_16_bit_png()
    files = [("file", (f"b{i}.png", png, "image/png")) for i in range(COPIES)]
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        batch = threads.submit(one_process.post, "/predict/batch", files=files)
        time.sleep(0.3)  # the batch is under way
        single = one_process.post("/predict", files={"file": ("d.png", digit_png(3), "image/png")})
        single_done = time.monotonic()
        assert not batch.done(), "the single request waited for the whole batch"
        batch_done = batch.result(120)
        finished = time.monotonic()
    assert single.status_code == 200 and batch_done.status_code == 200
    assert single_done < finished
