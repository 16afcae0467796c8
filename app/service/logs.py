"""Structured logs: one JSON object per line, and an access log with request ids.

``configure_logging(level)`` sends the ``digits`` loggers to stderr as JSON lines
(``{"time", "level", "logger", "message", ...extra fields}``) and silences
uvicorn's own plain-text access log, which this one replaces.

``AccessLog`` is a pure ASGI middleware. Every HTTP request gets an id (the
client's ``X-Request-ID`` when it is a short token, else a fresh one), returned in
the ``X-Request-ID`` response header and in error bodies, and one log line when it
ends: method, path, status, duration, request and response sizes, client address.
The query string and the body are never logged, so no image content reaches the
logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "digits"
access_logger = logging.getLogger("digits.access")
REQUEST_ID_HEADER = "x-request-id"
#: The longest path a log line carries; a longer one is cut, with its length.
MAX_LOGGED_PATH = 200
#: Libraries whose own log lines must be JSON too (python-multipart warns about
#: malformed forms; its plain text broke the one-JSON-object-per-line log).
LIBRARY_LOGGERS = ("python_multipart", "multipart")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line; ``extra={...}`` fields become keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for the ``digits`` loggers; uvicorn's access log off."""
    for name in (LOGGER, *LIBRARY_LOGGERS):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper() if name == LOGGER else logging.WARNING)
        if not any(getattr(handler, "_digits", False) for handler in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            handler._digits = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


def logged_path(path: str) -> str:
    """The path, cut to ``MAX_LOGGED_PATH`` characters: a 100 KB URL is not logged whole."""
    if len(path) <= MAX_LOGGED_PATH:
        return path
    return f"{path[:MAX_LOGGED_PATH]}... ({len(path):,} characters)"


def request_id(scope: Scope) -> str | None:
    """The id ``AccessLog`` gave this request (``None`` outside it)."""
    state = scope.get("state")
    return state.get("request_id") if isinstance(state, dict) else None


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            if _SAFE_ID.match(text):
                return text
    return uuid.uuid4().hex[:16]


class AccessLog:
    """Give each request an id, echo it in the response, log one line when done."""

    def __init__(self, app: ASGIApp, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        began = time.perf_counter()
        sizes = {"in": 0, "out": 0}
        status = 500

        async def counting_receive() -> Message:
            message = await receive()
            sizes["in"] += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sizes["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        finally:
            if self.enabled:
                self._log(scope, rid, status, began, sizes)

    @staticmethod
    def _log(scope: Scope, rid: str, status: int, began: float, sizes: dict[str, int]) -> None:
        client = scope.get("client")
        access_logger.info(
            "request",
            extra={
                "request_id": rid,
                "method": scope.get("method"),
                "path": logged_path(str(scope.get("path", ""))),
                "status": status,
                "ms": round((time.perf_counter() - began) * 1000, 2),
                "bytes_in": sizes["in"],
                "bytes_out": sizes["out"],
                "client": client[0] if client else None,
            },
        )
