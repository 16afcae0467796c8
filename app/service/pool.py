"""The pool of prediction processes (``DIGITS_PREDICT_PROCESSES`` >= 1), fed from one queue.

Each process loads its own copy of the models and talks to the event loop over its
own socket pair (a length-prefixed pickle each way), with no executor thread or
shared lock between them. The event loop then never waits for the GIL, and the
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
import io
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar, cast

import anyio
from PIL import Image, ImageDraw

from app.service.inputs import ImageBytes
from app.service.predictor import Options, predict_digit
from app.service.registry import ModelLoadError, ModelRegistry, ServedModel, load_models
from app.settings import Settings
from app.vision.errors import InputError

logger = logging.getLogger("digits.server")

Result = TypeVar("Result")
Work = Callable[[ServedModel, Any, Any], Result]
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


# -- the pool's side --------------------------------------------------------------------
_models: ModelRegistry | None = None  # in a pool process: its own copy of the models
#: Each message on a pool process's socket: a 4-byte big-endian length, then a pickle.
_HEADER = struct.Struct("!I")
_READY = "ready"


def _load_in_worker(settings: Settings) -> None:
    """A pool process's start: its own models, and one prediction by each so that the
    first request does not pay for the imports and first calls."""
    global _models
    _models = load_models(settings)
    for name in _models.names:
        with contextlib.suppress(InputError):  # a warm-up: its answer does not matter
            predict_digit(_models.get(name), ImageBytes(_warm_up_png()), Options.of(settings))


def _warm_up_png() -> bytes:
    """A drawn 7."""
    image = Image.new("L", (112, 112), 255)
    ImageDraw.Draw(image).line([(24, 20), (88, 20), (48, 96)], fill=0, width=9, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _frame(payload: object) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes from a blocking socket; ``None`` when the other end closed it."""
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _outcome(work: Work[Any], model: str, data: Any, options: Any) -> tuple[bool, Any]:
    """``(True, answer)``, or ``(False, exception)`` with an exception that pickles."""
    assert _models is not None, "the pool process loads the models first"
    try:
        return True, work(_models.get(model), data, options)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))  # the server must be able to read it back
        except Exception:
            return False, RuntimeError(f"{type(exc).__name__}: {exc}")
        return False, exc


def lower_priority(steps: int) -> None:
    """Give this process ``steps`` more niceness, so that the serving process, whose event
    loop takes every request in and every answer out, runs first when both want a core.
    A prediction is many milliseconds of CPU; the loop's share of a request is a fraction
    of one, and a request it cannot take in waits for a whole time slice (p99 at 16
    clients about 4 ms lower in 9 of 10 interleaved runs of benchmarks/http_load.py)."""
    if steps > 0:
        with contextlib.suppress(OSError):  # a platform without nice: same priority
            os.nice(steps)


def _serve(settings: Settings, sock: socket.socket) -> None:
    """A pool process: load the models, say so, then answer requests until the server
    closes the socket (or goes away). Ctrl-C is the server's to handle: it then closes
    the socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lower_priority(settings.predict_nice)
    try:
        _load_in_worker(settings)
    except ModelLoadError as exc:  # one line for the server's log, not a traceback
        print(f"digits: a prediction process cannot start: {exc}", file=sys.stderr)
        sys.exit(1)
    with sock, contextlib.suppress(ConnectionError):  # the server went: so do we
        sock.sendall(_frame(_READY))
        while (header := _receive_exactly(sock, _HEADER.size)) is not None:
            message = _receive_exactly(sock, _HEADER.unpack(header)[0])
            if message is None:
                return
            sock.sendall(_frame(_outcome(*pickle.loads(message))))


class PoolProcess(asyncio.Protocol):
    """One prediction process, the server's end of the socket to it, and the requests
    it holds (answered in the order they were sent).

    The socket is read as an asyncio protocol: each answer, as soon as its bytes are
    in, goes to the request waiting for it (``on_answer``), with no reader task in
    between to wake (asyncio streams and a task reading them cost one more task step
    and the stream's bookkeeping per request)."""

    def __init__(self, settings: Settings) -> None:
        ours, theirs = socket.socketpair()
        context = multiprocessing.get_context("spawn")  # not a fork of a threaded server
        self.process = context.Process(target=_serve, args=(settings, theirs), daemon=True)
        self.process.start()
        theirs.close()
        self.socket = ours
        self.transport: asyncio.Transport | None = None
        self.pending: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.received = bytearray()
        self.ready: asyncio.Future[None] | None = None
        #: the pool's handlers, set by ``connect``: an answer ``(done, value)``; the
        #: process gone or unreadable (why)
        self.on_answer: Callable[[PoolProcess, Any], None] = _unexpected
        self.on_lost: Callable[[PoolProcess, str], None] = _ignore

    async def connect(
        self,
        on_answer: Callable[[PoolProcess, Any], None],
        on_lost: Callable[[PoolProcess, str], None],
    ) -> None:
        """Read the socket and wait for the process to have loaded its models; then hand
        its answers to ``on_answer`` and its loss to ``on_lost``."""
        loop = asyncio.get_running_loop()
        self.ready = loop.create_future()
        await loop.connect_accepted_socket(lambda: self, sock=self.socket)
        await self.ready
        self.on_answer, self.on_lost = on_answer, on_lost

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream socket's transport (uvloop's is not a subclass of asyncio's)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received += data
        while len(self.received) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.received)
            end = _HEADER.size + size
            if len(self.received) < end:
                return
            message = bytes(self.received[_HEADER.size : end])
            del self.received[:end]
            try:
                answer = pickle.loads(message)
            except Exception:  # an answer that cannot be read: this process is no use now
                logger.exception("unreadable answer from a prediction process")
                self._gone("sent an unreadable answer")
                return
            if self.ready is not None and not self.ready.done():
                self._started(answer)
            else:
                self.on_answer(self, answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone("exited")

    def _started(self, answer: Any) -> None:
        assert self.ready is not None
        if answer == _READY:
            self.ready.set_result(None)
        else:
            self.ready.set_exception(RuntimeError("a prediction process sent no ready sign"))

    def _gone(self, why: str) -> None:
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(
                RuntimeError("a prediction process exited before it was ready")
            )
        self.on_lost(self, why)

    # -- the server's side ----------------------------------------------------------------
    def send(self, message: bytes, future: asyncio.Future[Any]) -> None:
        assert self.transport is not None, "connect() first"
        self.transport.write(message)
        self.pending.append(future)

    def hang_up(self) -> None:
        """Close the server's end of the socket; the process reads its end and exits.

        On the event loop's thread: a transport is not thread-safe, and closed from
        another thread its close may wait for the loop's next wake-up, which at shutdown
        never comes (the process then lives until ``stop`` kills it)."""
        self.on_lost = _ignore
        if self.transport is not None:
            self.transport.close()
        self.socket.close()

    def stop(self, timeout: float = 10.0) -> None:
        """After ``hang_up``, wait for the process to exit; kill it if it hangs. Blocks:
        off the event loop unless ``timeout`` is 0."""
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _unexpected(member: PoolProcess, answer: Any) -> None:
    raise RuntimeError("an answer before the pool took the process in")


def _ignore(member: PoolProcess, why: str) -> None:
    return None


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
        self.waiting.append((_frame((work, model.name, data, options)), future))
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
        member.send(_frame((work, model.name, data, options)), future)
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
