"""Where the CPU-bound part of a request runs: never on the event loop.

Decoding, preparing and running the network take milliseconds of pure CPU per
image. The event loop must keep answering other requests meanwhile, so every
prediction route hands its work (a function of ``app.predictor``: model, input,
options -> response) to a *runner*, chosen by ``DIGITS_PREDICT_PROCESSES``:

- ``0`` (the default) -- :class:`ThreadRunner`: a worker thread of the serving
  process, at most ``DIGITS_PREDICT_THREADS`` at a time (more would only take
  turns holding the GIL). Scale out with ``DIGITS_WORKERS``.
- ``N >= 1`` -- :class:`ProcessRunner`: a pool of ``N`` processes, each with its
  own copy of the models, fed from one queue by the serving process. The event
  loop then never waits for the GIL, and the work is spread evenly over the
  pool. With uvicorn workers, by contrast, each worker keeps the connections it
  happened to accept: 16 keep-alive clients arriving together were split 11 to 5
  or worse, and the busier worker set the tail latency.

A pool process that dies (killed, out of memory) fails only the requests it held,
with a 503 that says to retry, and the pool is rebuilt for the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

import anyio
from PIL import Image, ImageDraw

from app.errors import InputError
from app.inputs import ImageBytes
from app.predictor import Options, predict_digit
from app.registry import ModelRegistry, ServedModel, load_models
from app.settings import Settings

logger = logging.getLogger("digits.server")

Result = TypeVar("Result")
Work = Callable[[ServedModel, Any, Any], Result]
#: How long the pool may take to start and load its models.
START_TIMEOUT_S = 120.0


class WorkerLostError(RuntimeError):
    """A prediction process died while it held the request."""

    detail = "The prediction worker stopped unexpectedly; please retry the request."


class Runner(Protocol):
    async def run(self, work: Work[Result], model: ServedModel, data: Any, options: Any) -> Result:
        """``work(model, data, options)``, off the event loop."""
        ...

    async def close(self) -> None: ...


class ThreadRunner:
    """Work in worker threads of this process, at most ``threads`` at once, in order."""

    def __init__(self, threads: int) -> None:
        self.slots = anyio.CapacityLimiter(threads)

    async def run(self, work: Work[Result], model: ServedModel, data: Any, options: Any) -> Result:
        return await anyio.to_thread.run_sync(work, model, data, options, limiter=self.slots)

    async def close(self) -> None:
        return None


# -- the pool's side --------------------------------------------------------------------
_models: ModelRegistry | None = None  # in a pool process: its own copy of the models


def _load_in_worker(settings: Settings) -> None:
    """A pool process's start: its own models, and one prediction by each so that the
    first request does not pay for the imports and first calls."""
    global _models
    _models = load_models(settings)
    for name in _models.names:
        with contextlib.suppress(InputError):  # a warm-up: its answer does not matter
            predict_digit(_models.get(name), ImageBytes(_warm_up_png()), Options())


def _warm_up_png() -> bytes:
    """A drawn 7."""
    image = Image.new("L", (112, 112), 255)
    ImageDraw.Draw(image).line([(24, 20), (88, 20), (48, 96)], fill=0, width=9, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _process_id() -> int:
    """The pid of the pool process that ran this (briefly busy, so others get a turn)."""
    time.sleep(0.02)
    return os.getpid()


def _work_in_worker(work: Work[Result], model: str, data: Any, options: Any) -> Result:
    assert _models is not None, "the pool's initializer loads the models"
    return work(_models.get(model), data, options)


class ProcessRunner:
    """Work in a pool of ``processes`` processes that each load the models once.

    The processes are fresh interpreters (``spawn``, not forks of a server with
    running threads); :meth:`start` waits until every one has loaded its models,
    before the server reports healthy.
    """

    def __init__(self, settings: Settings, processes: int) -> None:
        self.settings, self.processes = settings, processes
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load_in_worker,
            initargs=(self.settings,),
        )

    async def start(self) -> None:
        """Start every process and wait until each has loaded its models."""
        seen: set[int] = set()
        with anyio.fail_after(START_TIMEOUT_S):
            while len(seen) < self.processes:
                calls = [self.pool.submit(_process_id) for _ in range(self.processes)]
                seen.update(await asyncio.gather(*map(asyncio.wrap_future, calls)))

    async def run(self, work: Work[Result], model: ServedModel, data: Any, options: Any) -> Result:
        pool = self.pool
        try:
            future = pool.submit(_work_in_worker, work, model.name, data, options)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._replace(pool)
            raise WorkerLostError(WorkerLostError.detail) from exc

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self.pool is broken:  # the first request to notice rebuilds it
            logger.error("a prediction process died; starting a new pool")
            broken.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()

    async def close(self) -> None:
        """Drop queued work, let running work finish, and wait for the processes to exit."""
        await anyio.to_thread.run_sync(lambda: self.pool.shutdown(wait=True, cancel_futures=True))


async def start_runner(settings: Settings) -> Runner:
    """The runner the settings ask for, ready to take work."""
    if settings.predict_processes == 0:
        return ThreadRunner(settings.predict_threads)
    runner = ProcessRunner(settings, settings.predict_processes)
    try:
        await runner.start()
    except BaseException:
        await runner.close()
        raise
    return runner
