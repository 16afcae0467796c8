"""Small edges found while attacking the service: HEAD, broken forms, redirects, the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from api_images import digit_png
from fastapi.testclient import TestClient
from log_records import Records, recorded
from starlette.types import Message, Receive, Scope, Send

from app.service.logs import AccessLog, JsonFormatter, configure_logging


def test_head_answers_on_the_page_and_health(client: TestClient) -> None:
    for path in ("/", "/health"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def form_body(closing: bool) -> bytes:
    part = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="d.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + digit_png(3) + b"\r\n"
    )
    return part + (b"--XX--\r\n" if closing else b"")


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_a_form_without_its_closing_boundary_is_malformed(client: TestClient, path: str) -> None:
    """It was answered "No field named 'file'", which sends the client looking elsewhere."""
    headers = {"Content-Type": "multipart/form-data; boundary=XX"}
    broken = client.post(path, content=form_body(closing=False), headers=headers)
    assert broken.status_code == 400
    detail = broken.json()["detail"]
    assert "malformed" in detail and "--XX--" in detail and "No field" not in detail
    assert client.post(path, content=form_body(closing=True), headers=headers).status_code == 200


def test_a_form_error_reads_as_sentences(client: TestClient) -> None:
    """ "Invalid multipart data.. Send": python-multipart's message ends with its own period."""
    answer = client.post("/predict", content=b"x", headers={"Content-Type": "multipart/form-data"})
    detail = answer.json()["detail"]
    assert answer.status_code == 400 and ".. Send" not in detail and "boundary" in detail


def test_the_static_redirect_does_not_repeat_the_host_header(client: TestClient) -> None:
    answer = client.get("/static", headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code in (301, 307, 308)
    assert answer.headers["location"] == "/static/"


@pytest.fixture
def access_records() -> Iterator[Records]:
    configure_logging("info")
    with recorded("digits.access") as records:
        yield records


def test_a_huge_url_is_not_logged_whole(access_records: Records) -> None:
    """A 100 KB URL went into the log whole, once per request."""

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    scope: Scope = {"type": "http", "method": "GET", "path": "/" + "a" * 100_000, "headers": []}
    asyncio.run(AccessLog(not_found)(scope, receive, send))
    (record,) = access_records.records
    logged = record.path
    assert len(logged) < 400 and "100,001" in logged, logged[:120]


def test_python_multipart_writes_json_lines_like_every_other_logger() -> None:
    """Its warnings ("Skipping data after last boundary") reached stderr as plain text."""
    configure_logging("info")
    for name in ("python_multipart", "multipart"):
        logger = logging.getLogger(name)
        assert not logger.propagate, name
        assert any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers), name
