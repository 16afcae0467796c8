"""The batch-parallel helper: chunked work equals serial work; small work stays serial."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from model import parallel
from model.conv import Conv2D, MaxPool2D, im2col, input_gradient, parallel_im2col


@pytest.fixture
def two_threads() -> Iterator[None]:
    parallel.set_threads(2)
    yield
    parallel.set_threads(None)


def test_chunks_cover_the_batch_in_order() -> None:
    for n in (1, 2, 7, 128):
        for parts in (1, 2, 3, 4):
            rows = parallel.chunks(n, parts)
            covered = [i for s in rows for i in range(n)[s]]
            assert covered == list(range(n))
            sizes = [s.stop - s.start for s in rows]
            assert max(sizes) - min(sizes) <= 1


def test_small_work_runs_on_the_calling_thread(two_threads: None) -> None:
    seen: list[tuple[slice, str]] = []
    parallel.for_each_chunk(lambda s: seen.append((s, threading.current_thread().name)), 3, 300)
    assert seen == [(slice(0, 3), threading.current_thread().name)]


def test_disabled_or_one_thread_is_serial(two_threads: None) -> None:
    big = parallel.MIN_CHUNK_ELEMENTS * 8
    seen: list[slice] = []
    parallel.for_each_chunk(seen.append, 128, big, enabled=False)
    assert seen == [slice(0, 128)]
    parallel.set_threads(1)
    seen.clear()
    parallel.for_each_chunk(seen.append, 128, big)
    assert seen == [slice(0, 128)]


def test_large_work_is_split_over_threads(two_threads: None) -> None:
    names: set[str] = set()
    rows: list[slice] = []

    def work(s: slice) -> None:
        names.add(threading.current_thread().name)
        rows.append(s)

    parallel.for_each_chunk(work, 128, parallel.MIN_CHUNK_ELEMENTS * 8)
    assert sorted(s.start for s in rows) == [0, 64]
    assert len(names) == 2


def test_errors_in_a_chunk_reach_the_caller(two_threads: None) -> None:
    def fail(s: slice) -> None:
        if s.start:
            raise RuntimeError("chunk failed")

    with pytest.raises(RuntimeError, match="chunk failed"):
        parallel.for_each_chunk(fail, 128, parallel.MIN_CHUNK_ELEMENTS * 8)


def test_env_sets_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.ENV, "3")
    assert parallel.default_threads() == 3
    monkeypatch.setenv(parallel.ENV, "nope")
    with pytest.raises(ValueError, match=parallel.ENV):
        parallel.default_threads()


def test_parallel_im2col_equals_serial(two_threads: None) -> None:
    x = np.random.default_rng(0).random((64, 18, 18, 8), dtype=np.float32)
    out = np.empty((64, 14, 14, 5 * 5 * 8), dtype=np.float32)
    np.testing.assert_array_equal(parallel_im2col(x, 5, 5, 1, out, True), im2col(x, 5, 5, 1))


def test_input_gradient_chunked_equals_serial() -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 3, 8, 16)).astype(np.float32)
    grad = rng.normal(size=(64 * 14 * 14, 16)).astype(np.float32)
    parallel.set_threads(1)
    try:
        serial = input_gradient(grad, w, (64, 16, 16, 8), 1)
        parallel.set_threads(2)
        chunked = input_gradient(grad, w, (64, 16, 16, 8), 1)
    finally:
        parallel.set_threads(None)
    np.testing.assert_array_equal(chunked, serial)


def run_layers(threads: int) -> list[np.ndarray]:
    """A conv + pool forward and backward on a training-sized batch."""
    rng = np.random.default_rng(2)
    parallel.set_threads(threads)
    try:
        conv = Conv2D(4, 8, 5, padding=2, rng=np.random.default_rng(3))
        pool = MaxPool2D(2)
        x = rng.random((64, 28, 28, 4), dtype=np.float32)
        y = pool.forward(conv.forward(x, training=True), training=True)
        dx = conv.backward(pool.backward(rng.normal(size=y.shape).astype(np.float32)))
        return [y, dx, conv.grads["W"], conv.grads["b"]]
    finally:
        parallel.set_threads(None)


def test_layers_give_the_same_results_on_one_or_two_threads() -> None:
    for serial, chunked in zip(run_layers(1), run_layers(2), strict=True):
        np.testing.assert_array_equal(chunked, serial)
