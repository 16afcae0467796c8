"""ASGI middleware that guards every request: body size, security headers, clean start-up failures.

- ``BodyLimit`` refuses a request body over ``DIGITS_MAX_REQUEST_BYTES`` with 413:
  at once from ``Content-Length``, or, for a chunked upload, as soon as the bytes
  read pass the limit (the read raises ``ImageTooLargeError``, which the error
  handlers turn into the 413 answer). Nothing larger is ever buffered. A body that
  stalls (nothing for ``DIGITS_BODY_TIMEOUT_S``) gets 408 and its connection closed,
  instead of being held for ever.
- ``SecurityHeaders`` adds ``X-Content-Type-Options: nosniff`` to every response
  and the drawing page's strict Content-Security-Policy to every response that
  has none of its own (the interactive docs set theirs: ``app.service.docs``), and
  turns a redirect to this server (``/static`` -> ``/static/``) into a path, so the
  client's Host header is never echoed back in ``Location``.
- ``StartupFailure`` replaces the traceback Starlette reports when the lifespan
  fails (no weights file, say) with the one sentence the lifespan stored in
  ``app.state.startup_error``, so the server stops with a message, not a stack.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.service.logs import request_id
from app.service.sizes import byte_size
from app.vision.errors import ImageTooLargeError, InputError

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def too_large_message(limit: int) -> str:
    return (
        f"The request body is larger than the limit of {byte_size(limit)}. "
        "Send a smaller image (a digit needs only a few kilobytes)."
    )


class BodyTimeoutError(InputError):
    """The client stopped sending its request body."""

    status_code = 408


def stalled_message(seconds: float) -> str:
    return (
        f"The request body stalled: nothing arrived for {seconds:g} s "
        "(DIGITS_BODY_TIMEOUT_S). Send the whole body without pausing."
    )


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_json(send, 413, too_large_message(self.max_bytes), request_id(scope))
            return
        received, complete = 0, False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body: waiting for a disconnect is not a stall
                return await receive()
            try:
                async with asyncio.timeout(self.timeout):  # half an anyio scope's cost
                    message = await receive()
            except TimeoutError:
                raise BodyTimeoutError(stalled_message(self.timeout)) from None
            received += len(message.get("body", b""))
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            if received > self.max_bytes:
                raise ImageTooLargeError(too_large_message(self.max_bytes))
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, detail: str, rid: str | None) -> None:
    body = json.dumps({"detail": detail, "request_id": rid}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        host = _header(scope, b"host")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, _relative(value, host) if name == b"location" else value)
                    for name, value in message.get("headers", [])
                ]
                headers.append((b"x-content-type-options", b"nosniff"))
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value)
    return None


def _relative(location: bytes, host: bytes | None) -> bytes:
    """A redirect to this very server, as a path: Starlette builds the ``/static`` ->
    ``/static/`` redirect from the request's Host header, which then came back to the
    client as ``Location: http://<whatever it sent>/static/``."""
    parts = urlsplit(location.decode("latin-1"))
    if host is None or parts.scheme not in ("http", "https") or parts.netloc.encode() != host:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)).encode("latin-1")


class StartupFailure:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def plain_send(message: Message) -> None:
            error = getattr(scope["app"].state, "startup_error", None) if "app" in scope else None
            if message["type"] == "lifespan.startup.failed" and error:
                message = {**message, "message": error}
            await send(message)

        await self.app(scope, receive, plain_send)
