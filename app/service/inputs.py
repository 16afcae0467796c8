"""What a client sent, turned into image bytes or a pixel grid, with every check a person can read.

A prediction request carries its image in one of four ways:

- a multipart form with the file in the field ``file`` (``curl -F file=@seven.png``);
- JSON ``{"image": "data:image/png;base64,..."}`` or plain base64 (a canvas's ``toDataURL``);
- JSON ``{"pixels": [[...28 values...], ...28 rows]}``, MNIST convention;
- the raw file as the body with an ``image/*`` content type.

``read_source`` returns an ``ImageBytes`` or a ``PixelGrid``; ``read_uploads`` returns
every ``file`` of a batch with its name, each either ``ImageBytes`` or the
``InputError`` that one file earned. Nothing here decodes pixels: the pipeline
does that, off the event loop (``app.service.offload``). Malformed content raises the ``InputError``
subclass with the status the API reports.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import anyio
import numpy as np
from fastapi import Request
from pydantic import ValidationError
from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from app.service.json_body import PARSE_ON_LOOP_BYTES, read_json_body
from app.service.schemas import ImagePayload
from app.service.sizes import byte_size
from app.vision.errors import (
    ImageTooLargeError,
    InputError,
    InvalidInputError,
    UnsupportedImageError,
)
from app.vision.formats import FORMAT_NAMES, IMAGE_MEDIA_TYPES

FILE_FIELD = "file"
HOW_TO_SEND = (
    "Send the image as a multipart form field named 'file' "
    '(curl -F file=@digit.png), or as JSON {"image": "data:image/png;base64,..."} '
    'or {"pixels": [[...28 values...], ...28 rows]}.'
)


@dataclass(frozen=True)
class ImageBytes:
    """An encoded image file, still undecoded."""

    data: bytes
    filename: str | None = None


@dataclass(frozen=True)
class PixelGrid:
    """A ready 2-D array of grey values (the pipeline checks shape and range)."""

    pixels: np.ndarray


Source = ImageBytes | PixelGrid


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_source(request: Request, max_bytes: int, max_files: int) -> Source:
    """The one image of a ``/predict`` or ``/predict/number`` request."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        uploads = await form_uploads(request, max_files)
        if len(uploads) > 1:
            raise InvalidInputError(
                f"Got {len(uploads)} files; this endpoint reads one. "
                "Use POST /predict/batch for several."
            )
        return await read_upload(uploads[0], max_bytes)
    if kind == "application/json" or kind.endswith("+json"):
        body = await read_json_body(request, max_bytes)
        if len(body) > PARSE_ON_LOOP_BYTES:  # milliseconds of CPU: not on the event loop
            return await anyio.to_thread.run_sync(parse_json, body, max_bytes)
        return parse_json(body, max_bytes)
    if kind in IMAGE_MEDIA_TYPES:
        return image_bytes(await request.body(), max_bytes)
    if not kind:
        if not await request.body():
            raise InvalidInputError(f"The request has no body. {HOW_TO_SEND}")
        raise UnsupportedImageError(f"The request has no Content-Type header. {HOW_TO_SEND}")
    raise UnsupportedImageError(f"Content-Type {kind!r} is not accepted. {HOW_TO_SEND}")


async def read_uploads(
    request: Request, max_bytes: int, max_files: int
) -> list[tuple[str | None, ImageBytes | InputError]]:
    """Every ``file`` of a ``/predict/batch`` form, in order, named; a bad file is its error."""
    if media_type(request) != "multipart/form-data":
        raise UnsupportedImageError(
            "A batch is a multipart form with one field named 'file' per image "
            "(curl -F file=@one.png -F file=@two.png)."
        )
    items: list[tuple[str | None, ImageBytes | InputError]] = []
    for upload in await form_uploads(request, max_files):
        try:
            items.append((upload.filename, await read_upload(upload, max_bytes)))
        except InputError as error:
            items.append((upload.filename, error))
    return items


async def form_uploads(request: Request, max_files: int) -> list[UploadFile]:
    """The form's ``file`` fields, checked to be files; at least one."""
    tail = BodyTail()
    try:
        form = await Request(request.scope, tail.watching(request.receive)).form(
            max_files=max_files, max_fields=max_files + 16
        )
    except HTTPException as exc:
        reason = str(exc.detail).rstrip(". ")
        raise InputError(f"The multipart form cannot be read: {reason}. {HOW_TO_SEND}") from None
    closing = closing_boundary(request)
    if closing is not None and not tail.ends_with(closing):
        raise InputError(
            f"The multipart form is malformed: it does not end with its closing boundary "
            f"{closing.decode('latin-1')} (was the upload cut short?). {HOW_TO_SEND}"
        )
    values = form.getlist(FILE_FIELD)
    if not values:
        names = sorted(set(form.keys()))
        got = f"; the form has {', '.join(repr(n) for n in names)}" if names else ""
        raise InvalidInputError(f"No field named 'file' in the form{got}. {HOW_TO_SEND}")
    uploads = [value for value in values if isinstance(value, UploadFile)]
    if len(uploads) != len(values):
        raise InvalidInputError(
            "The field 'file' holds text, not a file: attach the image as a file "
            "(curl -F file=@digit.png, note the @)."
        )
    return uploads


class BodyTail:
    """The last bytes of a request body, kept while the form parser reads it."""

    KEEP = 256  # bytes: a closing boundary is at most 74 (RFC 2046), plus line ends

    def __init__(self) -> None:
        self.data = b""

    def watching(self, receive: Receive) -> Receive:
        async def remembering_receive() -> Message:
            message = await receive()
            self.data = (self.data + message.get("body", b""))[-self.KEEP :]
            return message

        return remembering_receive

    def ends_with(self, closing: bytes) -> bool:
        return self.data.rstrip(b"\r\n \t").endswith(closing)


def closing_boundary(request: Request) -> bytes | None:
    """``--<boundary>--``, the line a multipart body ends with, from the Content-Type."""
    _kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    return b"--" + boundary + b"--" if boundary else None


async def read_upload(upload: UploadFile, max_bytes: int) -> ImageBytes:
    if upload.size is not None and upload.size > max_bytes:
        raise _too_many_bytes(upload.size, max_bytes)
    data = await upload.read(max_bytes + 1)
    return image_bytes(data, max_bytes, upload.filename)


def image_bytes(data: bytes, max_bytes: int, filename: str | None = None) -> ImageBytes:
    if len(data) > max_bytes:
        raise _too_many_bytes(len(data), max_bytes)
    if not data:
        raise UnsupportedImageError(f"The file is empty (0 bytes). Send a {FORMAT_NAMES} image.")
    return ImageBytes(data, filename)


def parse_json(body: bytes, max_bytes: int) -> Source:
    """A JSON body: ``{"image": ...}`` -> ``ImageBytes``, ``{"pixels": ...}`` -> ``PixelGrid``."""
    if not body.strip():
        raise InvalidInputError(f"The request has no body. {HOW_TO_SEND}")
    try:
        payload = ImagePayload.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInputError(describe_json_errors(exc)) from None
    if payload.image is not None:
        return image_bytes(decode_image_text(payload.image, max_bytes), max_bytes)
    assert payload.pixels is not None
    return PixelGrid(pixel_array(payload.pixels))


def describe_json_errors(exc: ValidationError) -> str:
    """Pydantic's errors as one sentence, without echoing the input back."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    if any(error["type"] == "json_invalid" for error in errors):
        return f"The body is not valid JSON. {HOW_TO_SEND}"
    if any(error["type"] == "model_type" for error in errors):
        return f"The JSON body must be an object. {HOW_TO_SEND}"
    if any(error["type"] == "extra_forbidden" for error in errors):
        fields = sorted({str(error["loc"][0]) for error in errors if error["loc"]})
        return f"Unknown field(s) {', '.join(fields)} in the JSON body. {HOW_TO_SEND}"
    parts = []
    for error in errors[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"Invalid JSON body: {'; '.join(parts)}{more}. {HOW_TO_SEND}"


def decode_image_text(text: str, max_bytes: int) -> bytes:
    """A data URL or plain base64 -> the file's bytes."""
    payload = text.strip()
    if payload[:5].lower() == "data:":
        payload = _data_url_payload(payload)
    payload = "".join(payload.split())
    if not payload:
        raise InvalidInputError("The 'image' field is empty: send a data URL or base64.")
    if len(payload) * 3 // 4 > max_bytes + 3:
        raise _too_many_bytes(len(payload) * 3 // 4, max_bytes)
    altchars = b"-_" if ("-" in payload or "_" in payload) else None
    padded = payload + "=" * (-len(payload) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), altchars=altchars, validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise InvalidInputError(
            "The 'image' field is not valid base64; send a data URL "
            "(data:image/png;base64,...) or the file's bytes in base64."
        ) from None


def _data_url_payload(url: str) -> str:
    header, comma, payload = url.partition(",")
    if not comma:
        raise InvalidInputError("The data URL has no comma before its data.")
    parts = [part.strip().lower() for part in header[5:].split(";")]
    kind = parts[0] or "text/plain"
    if kind not in IMAGE_MEDIA_TYPES:
        raise UnsupportedImageError(
            f"The data URL holds {kind!r}, not an image we read. Send a {FORMAT_NAMES} image "
            "(data:image/png;base64,...)."
        )
    if "base64" not in parts[1:]:
        raise InvalidInputError("The data URL must be base64-encoded (data:image/png;base64,...).")
    return payload


def pixel_array(rows: list[list[float]]) -> np.ndarray:
    """Nested lists -> a 2-D float array; rows of different lengths are an error."""
    lengths = {len(row) for row in rows}
    if len(lengths) > 1:
        raise InvalidInputError(
            f"'pixels' rows have different lengths ({', '.join(map(str, sorted(lengths)))}); "
            "send 28 rows of 28 values."
        )
    if not rows or not lengths or 0 in lengths:
        raise InvalidInputError("'pixels' is empty; send 28 rows of 28 values.")
    return np.asarray(rows, dtype=np.float64)


def _too_many_bytes(size: int, limit: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"The image is {byte_size(size)}; the limit is {byte_size(limit)}. "
        "Send a smaller file (a digit needs only a few kilobytes)."
    )
