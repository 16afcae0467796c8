"""One prediction process of the pool: its life in the child, and the server's end of its socket.

The child (``_serve``) loads its own copy of the models, warms them up, says it is
ready, then answers requests until the server closes the socket. Every message
each way is a 4-byte big-endian length and a pickle (``frame``). The server's end,
``PoolProcess``, reads the socket as an asyncio protocol and hands each answer to
the request waiting for it, in the order they were sent; ``app.service.pool`` feeds
the processes and keeps the pool at strength.
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
from collections.abc import Callable
from typing import Any, TypeVar, cast

from PIL import Image, ImageDraw

from app.service.inputs import ImageBytes
from app.service.predictor import Options, predict_digit
from app.service.registry import ModelLoadError, ModelRegistry, ServedModel, load_models
from app.settings import Settings
from app.vision.errors import InputError

logger = logging.getLogger("digits.server")

Result = TypeVar("Result")
Work = Callable[[ServedModel, Any, Any], Result]


# -- the child's side --------------------------------------------------------------------
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


def frame(payload: object) -> bytes:
    """One message: its length, then its pickle."""
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
        sock.sendall(frame(_READY))
        while (header := _receive_exactly(sock, _HEADER.size)) is not None:
            message = _receive_exactly(sock, _HEADER.unpack(header)[0])
            if message is None:
                return
            sock.sendall(frame(_outcome(*pickle.loads(message))))


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
