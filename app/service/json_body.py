"""A JSON request body, refused early and cheaply when it cannot hold one image.

A JSON body carries either ``{"image": "<base64 of one file>"}`` or ``{"pixels":
[[...28 rows of 28 values...]]}``, so its largest honest size is known before a
byte of it is parsed: the base64 of the largest file (``DIGITS_MAX_UPLOAD_BYTES``,
4/3 of it) and a little JSON around it. Parsing ``{"pixels": [[0, 0, ... 16 million
zeros]]}`` (a 32 MB body) built about 960 MB of Python lists for one request, on
the event loop: with two clients repeating it, ``/health`` took 1.7 s.

So, in order, each step cheap:

1. ``Content-Length`` over :func:`json_limit` -> 413 before anything is read;
2. a body without ``Content-Length`` is read only up to that limit (413 past it);
3. a body too large for 28x28 numbers must be an ``image``: one holding more
   commas than 28x28 values need is refused (413) without parsing (``bytes.count``
   runs at memory speed; base64 holds no commas);
4. a body larger than ``PARSE_ON_LOOP_BYTES`` is parsed in a worker thread, so the
   event loop keeps answering other requests meanwhile (``app.service.inputs``).
"""

from __future__ import annotations

from fastapi import Request

from app.service.sizes import byte_size
from app.vision.errors import ImageTooLargeError

#: Room for the JSON around the base64 text: the key, quotes, a data URL's header.
JSON_OVERHEAD_BYTES = 4096
#: The most a 28x28 ``pixels`` body needs, pretty-printed with long floats (the
#: largest honest one is about 30 KB: 784 values of up to 24 characters, indented).
PIXELS_MAX_BYTES = 256 * 1024
#: Commas a 28x28 grid needs (27 per row, 27 between rows), with room for the object's.
PIXELS_MAX_COMMAS = 28 * 27 + 27 + 16
#: Bodies up to this size are parsed on the event loop (well under a millisecond).
PARSE_ON_LOOP_BYTES = 64 * 1024


def json_limit(max_upload_bytes: int) -> int:
    """The largest JSON body that can carry one image of at most ``max_upload_bytes``."""
    base64_size = 4 * -(-max_upload_bytes // 3)
    return max(base64_size, PIXELS_MAX_BYTES) + JSON_OVERHEAD_BYTES


def _too_large(size: str, max_upload_bytes: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"The JSON body is {size}: more than one image can need. An image's limit is "
        f"{byte_size(max_upload_bytes)} ({byte_size(json_limit(max_upload_bytes))} as "
        "base64 JSON); 28x28 pixels take a few kilobytes."
    )


def _declared_length(request: Request) -> int | None:
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


async def read_json_body(request: Request, max_upload_bytes: int) -> bytes:
    """The body, once it is known that it may hold one image (steps 1-3 above)."""
    limit = json_limit(max_upload_bytes)
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise _too_large(byte_size(declared), max_upload_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"over {byte_size(limit)}", max_upload_bytes)
        chunks.append(chunk)
    body = b"".join(chunks)
    if len(body) > PIXELS_MAX_BYTES and body.count(b",") > PIXELS_MAX_COMMAS:
        raise ImageTooLargeError(
            f"The JSON body holds more than {PIXELS_MAX_COMMAS} commas: more values than "
            "'pixels' may have (28 rows of 28 values) and none belong in 'image' "
            "(base64). Send 28x28 pixels or one image."
        )
    return body
