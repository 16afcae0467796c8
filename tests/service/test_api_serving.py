"""Connections served by ``digits serve``: Nagle's algorithm off whatever the worker count, and
what one event-loop turn writes sent as one piece, answers whole."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from typing import Any

import uvicorn

from app.service.serving import NoDelayHTTPProtocol, OneWritePerTurn, disable_nagle


class FakeTransport:
    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default


def test_nodelay_is_set_on_connections_accepted_from_a_protocol_0_socket() -> None:
    # What uvicorn binds for several workers: socket.socket(AF_INET), protocol number 0.
    with socket.socket(socket.AF_INET) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()) as _client:
            accepted, _address = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
                disable_nagle(FakeTransport(accepted))  # type: ignore[arg-type]
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_non_tcp_or_missing_sockets_are_left_alone() -> None:
    disable_nagle(FakeTransport(None))  # type: ignore[arg-type]
    left, right = socket.socketpair()
    with left, right:
        disable_nagle(FakeTransport(left))  # type: ignore[arg-type]


class RecordingTransport:
    """What a connection's transport was asked to do, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else default


def test_writes_of_one_loop_turn_leave_as_one_in_order() -> None:
    async def run() -> list[tuple[str, bytes]]:
        transport = RecordingTransport()
        one = OneWritePerTurn(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        one.write(b"HTTP/1.1 200 OK\r\n\r\n")
        one.write(bytearray(b"body"))
        assert transport.calls == []  # held until the turn ends
        await asyncio.sleep(0)
        one.write(b"next turn")
        await asyncio.sleep(0)
        assert one.get_extra_info("sockname") == ("127.0.0.1", 8000)  # the transport's own
        return transport.calls

    assert asyncio.run(run()) == [
        ("write", b"HTTP/1.1 200 OK\r\n\r\nbody"),
        ("write", b"next turn"),
    ]


def test_close_sends_what_is_held_first() -> None:
    async def run() -> list[tuple[str, bytes]]:
        transport = RecordingTransport()
        one = OneWritePerTurn(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        one.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        one.close()
        await asyncio.sleep(0)  # the turn's end finds nothing more to send
        return transport.calls

    assert asyncio.run(run()) == [("write", b"HTTP/1.1 400 Bad Request\r\n\r\n"), ("close", b"")]


async def _chunks(scope: dict, receive: Any, send: Any) -> None:
    """An ASGI app: a short answer, or a long one streamed in pieces."""
    if scope["type"] != "http":
        return
    pieces = [b"x" * 70_000, b"y" * 70_000, b"z"] if scope["path"] == "/stream" else [b"ok"]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for i, piece in enumerate(pieces):
        await send({"type": "http.response.body", "body": piece, "more_body": i < len(pieces) - 1})
        await asyncio.sleep(0)


def test_real_connections_get_whole_answers_short_and_streamed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(_chunks, host="127.0.0.1", port=port, http=NoDelayHTTPProtocol)
    config.log_level = "warning"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for path, expected in [("/", b"ok"), ("/stream", b"x" * 70_000 + b"y" * 70_000 + b"z")]:
            connection.request("GET", path)  # one keep-alive connection for both
            reply = connection.getresponse()
            assert (reply.status, reply.read()) == (200, expected)
        connection.close()
    finally:
        server.should_exit = True
        thread.join(10)
