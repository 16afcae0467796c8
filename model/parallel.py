"""Batch-parallel NumPy work on a small persistent thread pool, for training only.

OpenBLAS threads the matrix products, but everything else in a training step (the
im2col copy, max pooling, the elementwise passes of batch norm and ReLU, the
strided adds of a convolution's input gradient) is plain NumPy and runs on one
core. NumPy releases the GIL inside large ufunc loops and array copies, so the
same work split along the batch axis into one chunk per thread runs on every
core. Each chunk does exactly the arithmetic the whole batch would (elementwise
operations do not care how the rows are grouped), so results are bitwise equal.

The matrix products of a convolution are split too, but into chunks of a fixed
number of images (:data:`CHUNK_ITEMS`) rather than one per thread: a product's
rounding depends on its shape, and a weight gradient is a sum of the chunks'
partial sums, so fixing the chunks, not the threads, is what keeps the trained
weights identical on any number of cores. Training runs BLAS on one thread (the
``digits`` command pins it; see ``app/__init__.py``) and this pool puts the chunks
on every core instead: OpenBLAS's own threads, spinning for work after each
product, would otherwise fight the pool's threads for the same cores.

Only training uses this, and only for large arrays: inference (the web service
answers one image per request and pins BLAS to one thread per worker) calls the
layers with ``training=False`` and always takes the plain single-threaded path,
and so do tiny training batches, where handing work to a thread costs more than
it saves (tens of microseconds against a few microseconds of work).

``DIGITS_TRAIN_THREADS`` sets the number of threads (default: the machine's cores,
at most :data:`MAX_THREADS`); ``DIGITS_TRAIN_THREADS=1`` turns the pool off.
:func:`set_threads` does the same from code (tests and benchmarks).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

ENV = "DIGITS_TRAIN_THREADS"
#: more threads than this only add hand-off cost for batches of a few hundred images
MAX_THREADS = 4
#: arrays with fewer elements than this (per chunk) are processed on the calling thread
MIN_CHUNK_ELEMENTS = 1 << 16
#: images per chunk of :func:`map_chunks`, whatever the thread count (see above)
CHUNK_ITEMS = 32

_lock = threading.Lock()
_threads: int | None = None  # None: not decided yet (read ENV on first use)
_pool: ThreadPoolExecutor | None = None


def default_threads() -> int:
    """``DIGITS_TRAIN_THREADS`` if set, else the core count capped at MAX_THREADS."""
    value = os.environ.get(ENV, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{ENV} must be a positive integer, got {value!r}") from None
    return max(1, min(os.cpu_count() or 1, MAX_THREADS))


def threads() -> int:
    """How many threads batch work is split over (1: no pool)."""
    global _threads
    if _threads is None:
        _threads = default_threads()
    return _threads


def set_threads(count: int | None) -> None:
    """Use ``count`` threads from now on (``None``: back to the environment's default).

    The pool is rebuilt lazily with the new size; call this between training steps,
    never while one runs.
    """
    global _threads, _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None
        _threads = None if count is None else max(1, int(count))


def _executor(workers: int) -> ThreadPoolExecutor:
    """The shared pool of helper threads, created on first use (inference never starts one).

    The calling thread always takes a chunk itself, so ``threads() - 1`` helpers suffice.
    """
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digits-train")
        return _pool


def chunks(n: int, parts: int) -> list[slice]:
    """``parts`` contiguous slices covering ``range(n)``, sizes differing by at most one."""
    parts = max(1, min(parts, n))
    bounds = [n * k // parts for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts)]


def split_count(n: int, elements: int) -> int:
    """Chunks to split a batch of ``n`` items (``elements`` values in all) into; 1 = serial."""
    workers = threads()
    if workers <= 1 or n < 2:
        return 1
    return max(1, min(workers, n, elements // MIN_CHUNK_ELEMENTS))


def for_each_chunk(
    fn: Callable[[slice], object], n: int, elements: int, enabled: bool = True
) -> None:
    """Run ``fn(rows)`` over batch slices ``rows`` that together cover ``range(n)``.

    ``fn`` must write its results into preallocated outputs indexed by ``rows`` (the
    chunks run concurrently and their return values are dropped). ``elements`` is the
    size of the largest array the work touches; below ``MIN_CHUNK_ELEMENTS`` per
    chunk, with one thread, or when not ``enabled`` (inference), ``fn(slice(0, n))``
    runs right here, as before. Exceptions raised in a chunk propagate to the caller.
    """
    parts = split_count(n, elements) if enabled else 1
    if parts == 1:
        fn(slice(0, n))
        return
    rows = chunks(n, parts)
    pool = _executor(threads() - 1)
    futures = [pool.submit(fn, s) for s in rows[1:]]
    fn(rows[0])  # the calling thread takes the first chunk instead of waiting idle
    for future in futures:
        future.result()


def fixed_chunks(n: int, size: int = CHUNK_ITEMS) -> list[slice]:
    """Slices of ``size`` items covering ``range(n)`` in order (the last may be shorter)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def map_chunks(fn: Callable[[slice], T], n: int, size: int = CHUNK_ITEMS) -> list[T]:
    """``[fn(rows) for rows in fixed_chunks(n, size)]``, the chunks shared among the threads.

    The chunks depend only on ``n`` and ``size``; the threads take the next chunk
    not yet taken, the calling thread among them, and each result lands at its
    chunk's index. Exceptions propagate once every thread has stopped.
    """
    rows = fixed_chunks(n, size)
    results: list[T | None] = [None] * len(rows)
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(rows)):
        pending.put(index)

    def drain() -> None:
        while True:
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            results[index] = fn(rows[index])

    helpers = min(threads(), len(rows)) - 1
    futures = [_executor(threads() - 1).submit(drain) for _ in range(helpers)]
    try:
        drain()
    finally:
        errors = [future.exception() for future in futures]
    if any(errors):
        raise next(error for error in errors if error is not None)
    return results  # type: ignore[return-value]  # every index was filled
