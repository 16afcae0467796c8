"""The batch-parallel helper: chunked work equals serial work; small work stays serial."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from model import parallel
from model.conv import Conv2D, input_gradient
from model.pooling import MaxPool2D


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


def test_fixed_chunks_depend_on_the_batch_not_the_threads(two_threads: None) -> None:
    assert parallel.fixed_chunks(70, 32) == [slice(0, 32), slice(32, 64), slice(64, 70)]
    assert parallel.fixed_chunks(0, 32) == []
    for threads in (1, 2, 3):
        parallel.set_threads(threads)
        assert parallel.map_chunks(lambda s: (s.start, s.stop), 70, 32) == [
            (0, 32),
            (32, 64),
            (64, 70),
        ]


def test_map_chunks_shares_the_chunks_among_the_threads(two_threads: None) -> None:
    names: set[str] = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(rows: slice) -> int:
        names.add(threading.current_thread().name)
        if rows.start < 64:  # the first two chunks wait for each other: two threads run them
            barrier.wait()
        return rows.start

    assert parallel.map_chunks(work, 128, 32) == [0, 32, 64, 96]
    assert len(names) == 2


def test_map_chunks_raises_a_chunks_error_after_every_thread_stopped(two_threads: None) -> None:
    done: list[int] = []

    def fail(rows: slice) -> None:
        if rows.start == 32:
            raise RuntimeError("chunk failed")
        done.append(rows.start)

    with pytest.raises(RuntimeError, match="chunk failed"):
        parallel.map_chunks(fail, 128, 32)
    assert sorted(done) == [0, 64, 96]


def test_input_gradient_into_a_buffer_zeroes_it_first() -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 3, 8, 16)).astype(np.float32)
    grad = rng.normal(size=(4 * 14 * 14, 16)).astype(np.float32)
    buffer = np.full((4, 16, 16, 8), np.nan, dtype=np.float32)
    input_gradient(grad, w, (4, 16, 16, 8), 1, out=buffer)
    np.testing.assert_array_equal(buffer, input_gradient(grad, w, (4, 16, 16, 8), 1))


def test_training_forward_matches_inference() -> None:
    """The chunked, threaded training path computes the same convolution."""
    rng = np.random.default_rng(4)
    conv = Conv2D(4, 8, 5, padding=2, rng=rng)
    x = rng.random((70, 14, 14, 4), dtype=np.float32)
    np.testing.assert_allclose(
        conv.forward(x, training=True), conv.forward(x), rtol=1e-5, atol=1e-5
    )


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
