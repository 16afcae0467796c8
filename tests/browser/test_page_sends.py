"""What the page sends: the drawing as a greyscale PNG at the size the server's ink
analysis reads, as the raw body, and a file that holds exactly the pixels drawn."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from harness import NUMBER_PAD, Session, answer, digit_strokes, draw_with_mouse, settle
from PIL import Image
from playwright.sync_api import Page
from strokes import layout_number

pytestmark = pytest.mark.browser

# A grey image with every level and no runs a compressor could hide a mistake in.
ENCODE_ANY_IMAGE = """async ([width, height]) => {
  const { greyPng } = await import("/static/js/png.js");
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i += 1) {
    const grey = (i * 37 + (i >> 5) * 11) % 256;
    data.set([grey, grey, grey, 255], i * 4);
  }
  const blob = await greyPng(new ImageData(data, width, height));
  return [blob.type, Array.from(new Uint8Array(await blob.arrayBuffer()))];
}"""


# The body of the last /predict request (the harness keeps it), its type and bytes.
LAST_BODY = """async () => {
  const body = window.__lastPredictBody;
  return [body.type, Array.from(new Uint8Array(await body.arrayBuffer()))];
}"""


def sent_image(page: Page) -> tuple[str, Image.Image]:
    """The type and decoded image of what the page last sent to be read."""
    kind, data = page.evaluate(LAST_BODY)
    return kind, Image.open(io.BytesIO(bytes(data)))


def test_the_png_encoder_writes_the_grey_levels_exactly(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    width, height = 37, 23  # odd sizes: no row happens to align with anything
    kind, data = page.evaluate(ENCODE_ANY_IMAGE, [width, height])
    image = Image.open(io.BytesIO(bytes(data)))
    image.load()  # Pillow checks the CRCs and the zlib stream
    expected = (np.arange(width * height) * 37 + (np.arange(width * height) >> 5) * 11) % 256
    assert (kind, image.mode, image.size) == ("image/png", "L", (width, height))
    assert np.array_equal(np.asarray(image), expected.reshape(height, width).astype(np.uint8))


def test_a_digit_goes_as_a_grey_png_half_the_pad_and_is_read(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    with page.expect_request(lambda r: "/predict?" in r.url) as sent:
        draw_with_mouse(page, digit_strokes(7))
    kind, image = sent_image(page)
    assert sent.value.headers.get("content-type") == kind == "image/png"
    assert (image.mode, image.size) == ("L", (140, 140))
    pixels = np.asarray(image)
    assert pixels.max() == 255 and pixels.min() < 64  # black ink on white paper
    settle(page)
    assert answer(page) == "7"


def test_a_number_goes_as_a_grey_png_half_the_pad(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    page.click("#tab-number")
    with page.expect_request(lambda r: "/predict/number?" in r.url):
        draw_with_mouse(page, layout_number("42", NUMBER_PAD, fill=0.6), NUMBER_PAD)
    _kind, image = sent_image(page)
    assert (image.mode, image.size) == ("L", (NUMBER_PAD[0] // 2, NUMBER_PAD[1] // 2))


def test_without_compression_streams_the_canvas_own_png_is_sent_and_read(
    open_page: Callable[..., Session],
) -> None:
    """An older browser (no CompressionStream) sends the canvas's RGBA PNG at the same size."""
    session = open_page()
    page = session.page
    page.evaluate("delete window.CompressionStream")
    with page.expect_request(lambda r: "/predict?" in r.url):
        draw_with_mouse(page, digit_strokes(3))
    kind, image = sent_image(page)
    assert (kind, image.mode, image.size) == ("image/png", "RGBA", (140, 140))
    settle(page)
    assert answer(page) == "3"
