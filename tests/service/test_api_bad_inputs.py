"""The bad-input corpus: everything a careless or hostile client might send.

Each case names a request, the status the API documents for it and words its
``detail`` must contain. Every answer must be JSON with a sentence for a person,
no stack trace, and the server must keep answering afterwards.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from api_images import (
    blank_png,
    digit_png,
    encode,
    jpeg_header_bomb,
    noise_bytes,
    png_bomb,
)
from fastapi.testclient import TestClient
from PIL import Image

from app.settings import Settings

MB = 1024 * 1024
FORMATS = "PNG, JPEG"  # every "not an image" message names the accepted formats


@dataclass(frozen=True)
class Bad:
    name: str
    request: Callable[[], dict[str, Any]]  # keyword arguments for client.request
    status: int
    says: str  # case-insensitive words the detail must contain
    path: str = "/predict"
    method: str = "POST"


def upload(data: bytes, name: str = "digit.png", field: str = "file", kind: str = "image/png"):
    return lambda: {"files": {field: (name, data, kind)}}


def as_json(value: Any):
    return lambda: {"json": value}


def raw(body: bytes, content_type: str | None = None):
    headers = {"Content-Type": content_type} if content_type else {}
    return lambda: {"content": body, "headers": headers}


def data_url(kind: str, payload: bytes) -> str:
    return f"data:{kind};base64," + base64.b64encode(payload).decode()


def grid(rows: int = 28, cols: int = 28, value: Any = 0) -> list[list[Any]]:
    return [[value] * cols for _ in range(rows)]


def with_value(value: Any) -> list[list[Any]]:
    pixels = grid()
    pixels[14][14] = value
    return pixels


def truncated_png() -> bytes:
    data = digit_png(5)
    return data[: len(data) // 2]


def truncated_jpeg() -> bytes:
    image = Image.open(io.BytesIO(digit_png(5))).convert("RGB")
    data = encode(image, "JPEG", quality=90)
    return data[: len(data) // 2]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M1 1L9 9"/></svg>'
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
NOT_BASE64 = "this is *not* base64 !!!"
CORPUS = [
    # -- bodies that carry no image ----------------------------------------------------
    Bad("empty body", raw(b""), 422, "no body"),
    Bad("empty JSON body", raw(b"", "application/json"), 422, "no body"),
    Bad("no content type", raw(b"\x89PNG..."), 415, "content-type"),
    Bad("text/plain body", raw(b"seven", "text/plain"), 415, "not accepted"),
    Bad("url-encoded form", lambda: {"data": {"file": "x"}}, 415, "not accepted"),
    Bad("wrong field name", upload(digit_png(7), field="image"), 422, "no field named 'file'"),
    Bad(
        "file field is text",
        lambda: {"data": {"file": "abc"}, "files": {"other": ("a", b"x")}},
        422,
        "holds text",
    ),
    Bad(
        "two files to /predict",
        lambda: {"files": [("file", ("a.png", digit_png(1))), ("file", ("b.png", digit_png(2)))]},
        422,
        "/predict/batch",
    ),
    Bad(
        "malformed multipart",
        raw(b"--xyz\r\nnonsense", "multipart/form-data; boundary=abc"),
        400,
        "multipart form",
    ),
    # -- files that are not (whole) images ---------------------------------------------
    Bad("zero-byte file", upload(b""), 415, "empty"),
    Bad("random bytes named .png", upload(noise_bytes(5000)), 415, FORMATS),
    Bad("text file named .jpg", upload(b"hello world\n" * 20, "seven.jpg"), 415, FORMATS),
    Bad("truncated PNG", upload(truncated_png()), 415, FORMATS),
    Bad("truncated JPEG", upload(truncated_jpeg(), "seven.jpg", kind="image/jpeg"), 415, FORMATS),
    Bad("PNG signature only", upload(b"\x89PNG\r\n\x1a\n"), 415, FORMATS),
    Bad("SVG upload", upload(SVG, "seven.svg", kind="image/svg+xml"), 415, "svg"),
    Bad("PDF upload", upload(PDF, "seven.pdf", kind="application/pdf"), 415, "pdf"),
    Bad("raw body of noise", raw(noise_bytes(3000, 1), "image/png"), 415, FORMATS),
    # -- images without a digit ----------------------------------------------------------
    Bad("1x1 image", upload(encode(Image.new("L", (1, 1), 0))), 422, "no digit"),
    Bad("blank white canvas", upload(blank_png()), 422, "no digit"),
    Bad("blank black canvas", upload(blank_png(colour=0)), 422, "no digit"),
    Bad("all-zero pixels", as_json({"pixels": grid()}), 422, "no digit"),
    # -- too large ------------------------------------------------------------------------
    Bad("20000x20000 PNG bomb", upload(png_bomb()), 413, "megapixels"),
    Bad("JPEG header claiming 60000x60000", upload(jpeg_header_bomb(), "x.jpg"), 413, "megapixels"),
    Bad("file over 10 MiB", upload(b"\x89PNG\r\n\x1a\n" + bytes(10 * MB)), 413, "limit is 10 MiB"),
    Bad(
        "huge JSON body",
        raw(b'{"image": "' + b"A" * (33 * MB) + b'"}', "application/json"),
        413,
        "limit of 32 MiB",
    ),
    Bad("base64 image over 10 MiB", as_json({"image": "A" * (14 * MB)}), 413, "limit is 10 MiB"),
    # -- JSON that is wrong ------------------------------------------------------------------
    Bad("invalid JSON", raw(b'{"image": ', "application/json"), 422, "not valid json"),
    Bad("JSON array", as_json([1, 2, 3]), 422, "must be an object"),
    Bad("JSON string", as_json("data:image/png;base64,AAAA"), 422, "must be an object"),
    Bad("empty JSON object", as_json({}), 422, "exactly one"),
    Bad("image and pixels", as_json({"image": "AAAA", "pixels": grid()}), 422, "exactly one"),
    Bad("unknown JSON field", as_json({"picture": "AAAA"}), 422, "unknown field"),
    Bad(
        "deeply nested JSON",
        raw(b"[" * 100000 + b"]" * 100000, "application/json"),
        422,
        "not valid json",
    ),
    Bad("image is a number", as_json({"image": 7}), 422, "image"),
    Bad("invalid base64", as_json({"image": NOT_BASE64}), 422, "base64"),
    Bad(
        "invalid base64 in data URL",
        as_json({"image": "data:image/png;base64,@@@@"}),
        422,
        "base64",
    ),
    Bad("empty image string", as_json({"image": ""}), 422, "empty"),
    Bad(
        "data URL of text", as_json({"image": data_url("text/plain", b"seven")}), 415, "text/plain"
    ),
    Bad("data URL of SVG", as_json({"image": data_url("image/svg+xml", SVG)}), 415, "svg"),
    Bad("data URL without base64", as_json({"image": "data:image/png,rawbytes"}), 422, "base64"),
    Bad("data URL without comma", as_json({"image": "data:image/png;base64"}), 422, "comma"),
    Bad(
        "base64 of noise",
        as_json({"image": base64.b64encode(noise_bytes(900)).decode()}),
        415,
        FORMATS,
    ),
    # -- pixels that are wrong ---------------------------------------------------------------
    Bad("pixels 27x28", as_json({"pixels": grid(27, 28)}), 422, "28x28"),
    Bad("pixels 28x29", as_json({"pixels": grid(28, 29)}), 422, "28x28"),
    Bad("pixels ragged", as_json({"pixels": [[0] * 28] * 27 + [[0] * 5]}), 422, "lengths"),
    Bad("pixels empty", as_json({"pixels": []}), 422, "empty"),
    Bad("pixels flat list", as_json({"pixels": [0] * 784}), 422, "pixels"),
    Bad(
        "pixels with NaN",
        raw(json.dumps({"pixels": with_value(float("nan"))}).encode(), "application/json"),
        422,
        "nan",
    ),
    Bad(
        "pixels with infinity",
        raw(json.dumps({"pixels": with_value(float("inf"))}).encode(), "application/json"),
        422,
        "infinity",
    ),
    Bad("pixels above 255", as_json({"pixels": with_value(300)}), 422, "0..255"),
    Bad("pixels negative", as_json({"pixels": with_value(-1)}), 422, "0..255"),
    Bad("pixels of strings", as_json({"pixels": with_value("white")}), 422, "number"),
    Bad("pixels a 3-D array", as_json({"pixels": [grid()]}), 422, "pixels"),
    # -- query parameters ------------------------------------------------------------------
    Bad("top_k 0", lambda: {"params": {"top_k": 0}, **upload(digit_png(7))()}, 422, "top_k"),
    Bad("top_k 11", lambda: {"params": {"top_k": 11}, **upload(digit_png(7))()}, 422, "top_k"),
    Bad(
        "top_k not a number",
        lambda: {"params": {"top_k": "three"}, **upload(digit_png(7))()},
        422,
        "top_k",
    ),
    Bad(
        "include_image not a boolean",
        lambda: {"params": {"include_image": "maybe"}, **upload(digit_png(7))()},
        422,
        "include_image",
    ),
    Bad(
        "unknown model",
        lambda: {"params": {"model": "gpt"}, **upload(digit_png(7))()},
        422,
        "available models",
    ),
    # -- the other endpoints -----------------------------------------------------------------
    Bad("number: blank image", upload(blank_png()), 422, "no digit", path="/predict/number"),
    Bad("number: SVG", upload(SVG, "n.svg"), 415, "svg", path="/predict/number"),
    Bad("batch: JSON body", as_json({"image": "AAAA"}), 415, "multipart", path="/predict/batch"),
    Bad(
        "batch: no file fields",
        lambda: {"files": {"image": ("a.png", b"x")}},
        422,
        "no field named 'file'",
        path="/predict/batch",
    ),
    Bad(
        "batch: top_k 0",
        lambda: {"params": {"top_k": 0}, **upload(digit_png(7))()},
        422,
        "top_k",
        path="/predict/batch",
    ),
    # -- /feedback: the corrections people send -----------------------------------------------
    *[
        Bad(f"feedback: {name}", request, status, says, path="/feedback")
        for name, request, status, says in [
            ("no label", as_json({"image": data_url("image/png", digit_png(7))}), 422, "label"),
            ("label 12", as_json({"label": 12, "pixels": grid(value=9)}), 422, "0-9"),
            ("label a word", as_json({"label": "seven", "pixels": grid(value=9)}), 422, "0-9"),
            ("label true", as_json({"label": True, "pixels": grid(value=9)}), 422, "label"),
            ("label null", as_json({"label": None, "pixels": grid(value=9)}), 422, "label"),
            ("unknown kind", as_json({"label": 1, "kind": "fax", "pixels": grid()}), 422, "kind"),
            ("no image at all", as_json({"label": 1}), 422, "send the image"),
            (
                "input and pixels",
                as_json({"label": 1, "input": "AAAA", "pixels": grid(value=9)}),
                422,
                "not both",
            ),
            ("input not base64", as_json({"label": 1, "input": "%%%"}), 422, "base64"),
            (
                "input not 28x28",
                as_json({"label": 1, "input": data_url("image/png", digit_png(1))}),
                422,
                "28x28",
            ),
            (
                "input not a PNG",
                as_json({"label": 1, "input": data_url("image/png", b"hello, world")}),
                422,
                "not a png",
            ),
            (
                "input blank",
                as_json({"label": 1, "input": data_url("image/png", blank_png((28, 28), 0))}),
                422,
                "no ink",
            ),
            ("pixels 27 rows", as_json({"label": 1, "pixels": grid(rows=27)}), 422, "28x28"),
            ("pixels all 0", as_json({"label": 1, "pixels": grid()}), 422, "no ink"),
            ("pixels NaN", as_json({"label": 1, "pixels": with_value("NaN")}), 422, "pixels"),
            (
                "image SVG",
                as_json({"label": 1, "image": data_url("image/svg+xml", SVG)}),
                415,
                "svg",
            ),
            (
                "image not an image",
                as_json({"label": 1, "image": data_url("image/png", noise_bytes(500))}),
                415,
                FORMATS.split(",")[0],
            ),
            (
                "image too many bytes",
                as_json({"label": 1, "image": data_url("image/png", noise_bytes(11 * MB))}),
                413,
                "limit",
            ),
            (
                "image a pixel bomb",
                as_json({"label": 1, "image": data_url("image/png", png_bomb())}),
                413,
                "pixels",
            ),
            ("unknown field", as_json({"label": 1, "pixels": grid(), "ip": "x"}), 422, "ip"),
            ("not JSON", raw(b"label=7", "application/json"), 422, "json"),
            ("a JSON list", as_json([1, 2, 3]), 422, "object"),
            (
                "unknown model",
                lambda: {"params": {"model": "gpt"}, "json": {"label": 1, "pixels": grid()}},
                422,
                "available models",
            ),
        ]
    ],
    Bad("GET /feedback", lambda: {}, 405, "method not allowed", path="/feedback", method="GET"),
    Bad("GET /predict", lambda: {}, 405, "method not allowed", method="GET"),
    Bad("unknown path", lambda: {}, 404, "not found", path="/predict/everything"),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_bad_input_gets_its_documented_answer(strict_client: TestClient, case: Bad) -> None:
    response = strict_client.request(case.method, case.path, **case.request())
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10
    assert case.says.lower() in body["detail"].lower()
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert strict_client.get("/health").status_code == 200


def test_a_good_request_still_works_after_the_corpus(strict_client: TestClient) -> None:
    for case in CORPUS[:20]:
        strict_client.request(case.method, case.path, **case.request())
    response = strict_client.post(
        "/predict", files={"file": ("seven.png", digit_png(7), "image/png")}
    )
    assert response.status_code == 200


def test_chunked_body_over_the_limit_is_cut_off(api_settings: Settings, make_client) -> None:
    settings = replace(api_settings, max_request_bytes=64 * 1024)
    sent = []

    def chunks():
        for _ in range(64):
            sent.append(4096)
            yield b"\x00" * 4096

    with make_client(settings) as client:
        response = client.post("/predict", content=chunks(), headers={"Content-Type": "image/png"})
        assert response.status_code == 413
        assert "limit" in response.json()["detail"]
        assert client.get("/health").status_code == 200
