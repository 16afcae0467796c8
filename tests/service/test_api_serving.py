"""Connections served by ``digits serve`` have Nagle's algorithm off, whatever the worker count."""

from __future__ import annotations

import socket
from typing import Any

from app.service.serving import disable_nagle


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
