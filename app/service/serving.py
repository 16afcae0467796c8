"""uvicorn's HTTP protocol with Nagle's algorithm off and one write per response.

With ``--workers 2`` or more, uvicorn binds the listening socket itself as
``socket.socket(AF_INET)``, whose protocol number is 0; asyncio only sets
``TCP_NODELAY`` on sockets whose protocol is ``IPPROTO_TCP``, so the workers'
connections keep Nagle's algorithm on. A response written in two pieces (head,
then body) then waits for the client's delayed ACK: every keep-alive request
took ~44 ms instead of ~1 ms in ``benchmarks/http_load.py``.

``NoDelayHTTPProtocol`` sets ``TCP_NODELAY`` when a connection is made and is
otherwise the protocol uvicorn picks by itself: its httptools one (the C parser of
Node.js's HTTP) when httptools is installed, as it is with Digits, else h11 (pure
Python). httptools parses and frames a request in about a tenth of h11's CPU; with
one event loop per worker, that loop is what a ``/predict`` waits for
(``docs/benchmarks.md``). ``digits serve`` uses it; with plain uvicorn, pass
``--http app.service.serving:NoDelayHTTPProtocol``.

uvicorn writes a response's head and its body as two writes, each a ``send`` on the
socket; over TCP every ``send`` runs the network stack and wakes the client. The
two cost a fifth of the serving process's CPU per ``/predict`` (py-spy, 16 clients).
``OneWritePerTurn`` holds what the connection writes during one turn of the event
loop and sends it at the end of that turn as one piece: a response whose head and
body are written in one task step (every Starlette ``Response``) leaves in one
``send``; a streamed one still leaves chunk by chunk, each at its turn's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

if importlib.util.find_spec("httptools") is not None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as UvicornProtocol
else:  # pragma: no cover - a dependency of Digits; kept for installs without it
    UvicornProtocol = H11Protocol  # type: ignore[assignment,misc]

IMPORT_STRING = "app.service.serving:NoDelayHTTPProtocol"


def disable_nagle(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError):  # a closed socket: nothing to tune
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class OneWritePerTurn:
    """A connection's transport whose writes during one event-loop turn leave as one.

    Everything but ``write`` and ``close`` is the transport's own. Bytes are never
    reordered, and ``close`` sends what is held before closing."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self.held:
            self.loop.call_soon(self.flush)
        self.held.append(bytes(data))

    def flush(self) -> None:
        held, self.held = self.held, []
        if held and not self.transport.is_closing():
            self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class NoDelayHTTPProtocol(UvicornProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        disable_nagle(transport)
        one_write = OneWritePerTurn(transport, asyncio.get_running_loop())
        super().connection_made(one_write)  # type: ignore[arg-type]
