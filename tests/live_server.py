"""A real uvicorn server on a free port, in a thread of the test process, for the tests that
need real HTTP (a client that closes its connection, a body that stalls)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


@contextlib.contextmanager
def live_server(app: FastAPI) -> Iterator[tuple[str, int]]:
    """``(host, port)`` of ``app`` served by uvicorn until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(30)


def raw_request(address: tuple[str, int], head: str, body: bytes = b"") -> socket.socket:
    """Send a request by hand; the caller reads the answer or closes the socket."""
    sock = socket.create_connection(address, timeout=30)
    sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    return sock
