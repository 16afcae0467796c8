"""Every failure becomes JSON ``{"detail": "<a sentence>", "request_id": "..."}``.

- ``InputError`` (bad image, too large, no digit, malformed JSON...) keeps the
  status its class names and its message.
- FastAPI's validation errors (``top_k=0``, ``include_image=maybe``) become one
  422 sentence naming the parameter, without echoing the input back.
- Starlette's HTTP errors (404, 405...) keep their status and headers.
- A client that closed its connection (``ClientDisconnect``) gets status 499 in the
  access log and nothing else: not an error of the server's.
- Anything else is a bug: it is logged with its traceback under the request id,
  and the client gets a 500 with the id and no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.service.logs import request_id
from app.vision.errors import InputError

logger = logging.getLogger("digits.errors")

REQUEST_TIMEOUT = 408
_LOCATIONS = {"query": "Query parameter", "path": "Path parameter", "header": "Header"}


def error_response(
    request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"detail": detail, "request_id": request_id(request.scope)}
    headers = dict(headers or {})
    if status == REQUEST_TIMEOUT:  # the body was not read to its end: this connection is done
        headers["Connection"] = "close"
    return JSONResponse(body, status, headers=headers or None)


async def input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return error_response(request, exc.status_code, exc.detail)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(request, 422, describe_validation(exc))


def describe_validation(exc: RequestValidationError) -> str:
    sentences = []
    for error in exc.errors()[:3]:
        location = [str(part) for part in error.get("loc", ())]
        kind = _LOCATIONS.get(location[0], "Field") if location else "Field"
        name = ".".join(location[1:]) or "?"
        sentences.append(f"{kind} '{name}': {error.get('msg', 'invalid value')}.")
    return " ".join(sentences) or "The request is not valid."


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(request, exc.status_code, http_detail(request, exc), exc.headers)


def http_detail(request: Request, exc: StarletteHTTPException) -> str:
    """Starlette's one-word details (404, 405) made into sentences."""
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"Not found: there is no endpoint {where}. The API is described at /docs."
    if exc.status_code == 405 and exc.detail == "Method Not Allowed":
        allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow")
        use = f"; use {allowed}" if allowed else ""
        return f"Method not allowed: {where} is not served{use}. The API is described at /docs."
    return str(exc.detail)


#: nginx's "client closed request": the status the access log shows for a client that left.
CLIENT_CLOSED_REQUEST = 499


async def client_left(request: Request, exc: Exception) -> Response:
    """The client closed the connection (mid-upload, or while its prediction waited). It
    is the client's doing, not the server's: the access log's one line (status 499) says
    so, with no traceback; the answer goes nowhere."""
    assert isinstance(exc, ClientDisconnect)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    rid = request_id(request.scope)
    logger.error("unhandled error", exc_info=exc, extra={"request_id": rid})
    return error_response(
        request, 500, f"Internal error; it has been logged under request id {rid}."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputError, input_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(ClientDisconnect, client_left)
    app.add_exception_handler(Exception, unexpected_error)
