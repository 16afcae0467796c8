"""The pool of prediction processes (``DIGITS_PREDICT_PROCESSES`` >= 1), fed from one queue.

Each process loads its own copy of the models and talks to the event loop over its
own socket pair (a length-prefixed pickle each way; ``app.service.pool_process``), with
no executor thread or shared lock between them. The event loop then never waits for the GIL, and the
work is spread evenly over the pool. With uvicorn workers, by contrast, each
worker keeps the connections it happened to accept: 16 keep-alive clients
arriving together were split 11 to 5 or worse, and the busier worker set the tail
latency. The pool runs ``DIGITS_PREDICT_NICE`` steps below the serving process's
CPU priority, so the event loop is never queued behind a prediction.

Faults, and what the pool does about them:

- A process that dies (killed, out of memory) fails only the requests it held,
  with a 503 that says to retry.
- A process that holds a request past ``DIGITS_PREDICT_TIMEOUT_S`` (stopped,
  stuck, or given work far beyond the limits) is killed: the request gets a 504,
  the others it held a 503.
- Either way the pool goes back to full strength by itself: a *keeper* starts
  new processes, and when one cannot start (its weights file gone, say) it tries
  again with a growing pause until one can. While no process runs, a request is
  refused with a 503 at once instead of waiting.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

import anyio

from app.service.pool_process import PoolProcess, Result, Work, frame
from app.service.registry import ServedModel
from app.settings import Settings

logger = logging.getLogger("digits.server")

#: How long the pool may take to start and load its models.
START_TIMEOUT_S = 120.0
#: The keeper's first pause after a process failed to start, and its longest.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0


class WorkerLostError(RuntimeError):
    """A prediction process died while it held the request, or none is running."""

    detail = "The prediction worker stopped unexpectedly; please retry the request."


class PredictionTimeoutError(RuntimeError):
    """The prediction did not finish within ``DIGITS_PREDICT_TIMEOUT_S``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The prediction did not finish within the server's limit of {seconds:g} s "
            "(DIGITS_PREDICT_TIMEOUT_S); the work was stopped. Retry, or send a smaller image."
        )
        self.seconds = seconds


class ProcessRunner:
    """Work in ``processes`` processes that each load the models once, fed from one queue.

    Requests wait in one first-come-first-served line. A request goes to an idle
    process if there is one, else to the least busy process as its next job
    (``QUEUED_PER_PROCESS`` in all), so a process never waits for the server between
    two jobs. The processes are fresh interpreters (``spawn``, not forks of a server
    with running threads); :meth:`start` waits until every one has loaded its models,
    before the server reports healthy. Every request has ``timeout`` seconds, queue
    included; a request whose client left (its future cancelled) is never sent.
    """

    QUEUED_PER_PROCESS = 2

    def __init__(self, settings: Settings, processes: int) -> None:
        self.settings, self.processes = settings, processes
        self.timeout = settings.predict_timeout_s
        self.members: list[PoolProcess] = []
        self.waiting: collections.deque[tuple[bytes, asyncio.Future[Any]]] = collections.deque()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.starting = 0  # processes being started
        self.keeper: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()  # a request found no process: try to start one now
        self.retrying = False  # the keeper is pausing after a failed start

    @property
    def pids(self) -> list[int]:
        return [pid for member in self.members if (pid := member.process.pid) is not None]

    @property
    def strength(self) -> tuple[int, int]:
        """``(running, wanted)`` processes."""
        return len(self.members), self.processes

    async def start(self) -> None:
        """Start every process and wait until each has loaded its models."""
        with anyio.fail_after(START_TIMEOUT_S):
            await asyncio.gather(*(self._add() for _ in range(self.processes)))

    async def _add(self) -> None:
        self.starting += 1
        try:
            member = await anyio.to_thread.run_sync(PoolProcess, self.settings)
            try:
                await member.connect(self._answered, self._lost)
            except BaseException:
                member.hang_up()
                await anyio.to_thread.run_sync(member.stop)
                raise
        finally:
            self.starting -= 1
        self.members.append(member)
        self._dispatch()

    def _background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def run(self, work: Work[Result], model: ServedModel, data: Any, options: Any) -> Result:
        if not self.members and self.retrying:  # none can start now: say so at once
            self.wake.set()
            raise WorkerLostError(WorkerLostError.detail)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.waiting.append((frame((work, model.name, data, options)), future))
        if not self.members and not self.starting:  # every process lost, none starting
            self._keep_strength()
            self.wake.set()
        self._dispatch()
        return await self._within_limit(future)

    async def probe(
        self, work: Work[Result], model: ServedModel, data: Any, options: Any
    ) -> Result:
        """``work`` on the least busy process at once, ahead of the line: the readiness
        check's test prediction, which must not wait behind a queue of requests."""
        member = min(self.members, key=lambda m: len(m.pending), default=None)
        if member is None:
            raise WorkerLostError("No prediction process is running; one is being started.")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        member.send(frame((work, model.name, data, options)), future)
        return await self._within_limit(future)

    async def _within_limit(self, future: asyncio.Future[Result]) -> Result:
        """The answer, or after ``timeout`` seconds a ``PredictionTimeoutError``. A timer
        on the loop, not a cancel scope: it costs a tenth as much per request."""
        timer = asyncio.get_running_loop().call_later(self.timeout, self._expire, future)
        try:
            return await future
        finally:
            timer.cancel()

    def _expire(self, future: asyncio.Future[Any]) -> None:
        """A request's time is up: it gets a 504, and the process that held it that long
        is killed (stopped or stuck), so that it holds no one else's request and the
        keeper replaces it. A request still waiting in line is dropped from it."""
        if future.done():
            return
        future.set_exception(PredictionTimeoutError(self.timeout))
        holder = next((m for m in self.members if future in m.pending), None)
        if holder is not None:
            self._lost(holder, f"held a request over {self.timeout:g} s")

    def _dispatch(self) -> None:
        """Hand waiting requests to the least busy processes that can take one."""
        while self.waiting:
            member = min(self.members, key=lambda m: len(m.pending), default=None)
            if member is None or len(member.pending) >= self.QUEUED_PER_PROCESS:
                return
            message, future = self.waiting.popleft()
            if not future.done():  # a request whose client has gone is dropped here
                member.send(message, future)

    def _answered(self, member: PoolProcess, answer: tuple[bool, Any]) -> None:
        """Pass an answer of ``member`` to its request, and hand it the next one."""
        done, value = answer
        future = member.pending.popleft()
        if not future.done():
            (future.set_result if done else future.set_exception)(value)
        self._dispatch()

    def _lost(self, member: PoolProcess, why: str) -> None:
        if member not in self.members:  # closing, or already lost
            return
        logger.error("a prediction process %s; starting a new one", why)
        self.members.remove(member)
        _fail(member.pending)
        member.hang_up()
        member.stop(timeout=0)
        self._keep_strength()
        self._dispatch()

    def _keep_strength(self) -> None:
        """Start the keeper unless it is already at work."""
        if self.keeper is None or self.keeper.done():
            self.keeper = self._background(self._restore())

    async def _restore(self) -> None:
        """Start processes until the pool is at full strength again. A start that fails
        (the weights file gone, say) is tried again after a pause that doubles up to
        ``RETRY_MAX_S``, or at once when a request wakes it; while no process runs,
        the requests waiting get a 503 (retry)."""
        pause = RETRY_FIRST_S
        while len(self.members) + self.starting < self.processes:
            try:
                await self._add()
                pause = RETRY_FIRST_S
            except Exception as exc:
                logger.error("could not start a prediction process: %s", exc)
                if not self.members and not self.starting:
                    _fail(future for _message, future in self.waiting)
                    self.waiting.clear()
                self.retrying = True
                self.wake.clear()
                await asyncio.sleep(RETRY_FIRST_S)  # a request's wake-up waits this long
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), pause - RETRY_FIRST_S)
                self.retrying = False
                pause = min(pause * 2, RETRY_MAX_S)

    async def close(self) -> None:
        """Let the work the processes hold finish, then stop them and wait for them."""
        held = [future for member in self.members for future in member.pending]
        await asyncio.gather(*held, return_exceptions=True)
        for _message, future in self.waiting:
            future.cancel()
        members, self.members = self.members, []
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for member in members:
            member.hang_up()
        await anyio.to_thread.run_sync(_stop_all, members)


def _fail(futures: Iterable[asyncio.Future[Any]]) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(WorkerLostError(WorkerLostError.detail))


def _stop_all(members: list[PoolProcess]) -> None:
    for member in members:
        member.stop()
