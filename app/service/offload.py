"""Where the CPU-bound part of a request runs: never on the event loop.

Decoding, preparing and running the network take milliseconds of pure CPU per
image. The event loop must keep answering other requests meanwhile, so every
prediction route hands its work (a function of ``app.service.predictor``: model, input,
options -> response) to a *runner*, chosen by ``DIGITS_PREDICT_PROCESSES``:

- ``0`` (the default) -- :class:`ThreadRunner`: a worker thread of the serving
  process, at most ``DIGITS_PREDICT_THREADS`` at a time (more would only take
  turns holding the GIL). Scale out with ``DIGITS_WORKERS``.
- ``N >= 1`` -- :class:`ProcessRunner` (``app.service.pool``): a pool of ``N``
  processes, each with its own copy of the models, fed from one queue by the
  serving process; a lost or stuck process is replaced.

Either way a prediction has ``DIGITS_PREDICT_TIMEOUT_S`` seconds, waiting
included; past them the request gets a 504 (``PredictionTimeoutError``).

Whichever runner it is, a worker process holds at most ``DIGITS_MAX_PENDING``
prediction requests at once, waiting or running (:class:`Backlog`; a batch counts
once). One more is refused at once with a 503 and ``Retry-After``: under more load
than the cores can take, the requests let in are answered in bounded time, instead
of every request waiting longer and longer in a queue that only grows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol

import anyio

from app.service.pool import PredictionTimeoutError, ProcessRunner, WorkerLostError
from app.service.pool_process import PoolProcess, Result, Work
from app.service.registry import ServedModel
from app.settings import Settings

__all__ = [
    "Backlog",
    "PoolProcess",
    "PredictionTimeoutError",
    "ProcessRunner",
    "Result",
    "Runner",
    "ServerBusyError",
    "ThreadRunner",
    "Work",
    "WorkerLostError",
    "start_runner",
]


class ServerBusyError(RuntimeError):
    """Too many prediction requests already waiting or running in this worker process."""


class Backlog:
    """Count the prediction requests a worker process holds; refuse one over ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit, self.held = limit, 0

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one request for the ``with`` block; ``ServerBusyError`` when full."""
        if self.held >= self.limit:
            raise ServerBusyError(
                f"The server is busy: {self.limit} prediction requests are already waiting "
                "or running. Retry in a moment."
            )
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1


class Runner(Protocol):
    async def run(self, work: Work[Result], model: ServedModel, data: Any, options: Any) -> Result:
        """``work(model, data, options)``, off the event loop, in line with other requests,
        within the time limit (``PredictionTimeoutError``)."""
        ...

    async def probe(
        self, work: Work[Result], model: ServedModel, data: Any, options: Any
    ) -> Result:
        """The same, ahead of the line: the readiness check's test prediction."""
        ...

    async def close(self) -> None: ...


class ThreadRunner:
    """Work in worker threads of this process, at most ``threads`` at once, in order.

    A thread cannot be stopped: past the time limit the request is answered (504) and
    the thread's work is left to finish, its answer dropped. Work whose request was
    cancelled (its client left) before a thread took it never runs.
    """

    def __init__(self, threads: int, timeout: float = Settings.predict_timeout_s) -> None:
        self.slots = anyio.CapacityLimiter(threads)
        self.timeout = timeout

    async def run(self, work: Work[Result], model: ServedModel, data: Any, options: Any) -> Result:
        return await self._within_limit(work, model, data, options, self.slots)

    async def probe(
        self, work: Work[Result], model: ServedModel, data: Any, options: Any
    ) -> Result:
        return await self._within_limit(work, model, data, options, None)

    async def _within_limit(
        self,
        work: Work[Result],
        model: ServedModel,
        data: Any,
        options: Any,
        limiter: anyio.CapacityLimiter | None,
    ) -> Result:
        try:
            with anyio.fail_after(self.timeout):
                return await anyio.to_thread.run_sync(
                    work, model, data, options, limiter=limiter, abandon_on_cancel=True
                )
        except TimeoutError:
            raise PredictionTimeoutError(self.timeout) from None

    async def close(self) -> None:
        return None


async def start_runner(settings: Settings) -> Runner:
    """The runner the settings ask for, ready to take work."""
    if settings.predict_processes == 0:
        return ThreadRunner(settings.predict_threads, settings.predict_timeout_s)
    runner = ProcessRunner(settings, settings.predict_processes)
    try:
        await runner.start()
    except BaseException:
        await runner.close()
        raise
    return runner
