"""Decoding untrusted bytes: formats, modes, orientation, bombs and broken files.

Every image here is made by the test itself with Pillow, then decoded by
``load_image`` and prepared by ``prepare_digit``, so a mode or format that
decodes but loses the ink (alpha dropped, 16-bit clipped, wrong frame) fails.
"""

from __future__ import annotations

import contextlib
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.vision.decode import FULL_SIZE_KEY, full_size, to_grey
from app.vision.errors import ImageTooLargeError, UnsupportedImageError
from app.vision.formats import ACCEPTED_FORMATS, FORMATS
from app.vision.pipeline import load_image, prepare_digit


def seven(size: tuple[int, int] = (280, 280), ink: int = 0, paper: int = 255) -> Image.Image:
    """A thick '7' drawn in the left half of an L image."""
    image = Image.new("L", size, paper)
    w, h = size
    draw = ImageDraw.Draw(image)
    draw.line([(0.1 * w, 0.2 * h), (0.45 * w, 0.2 * h), (0.2 * w, 0.8 * h)], fill=ink, width=12)
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def reference() -> np.ndarray:
    return prepare_digit(seven()).pieces[0].image


def same_digit(image: Image.Image) -> None:
    prepared = prepare_digit(image)
    assert not prepared.empty, prepared.reason
    assert np.abs(prepared.pieces[0].image - reference()).mean() < 0.03


@pytest.mark.parametrize("fmt", ACCEPTED_FORMATS)
def test_every_accepted_format_decodes_to_the_same_digit(fmt: str) -> None:
    image = seven().convert("RGB")
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    same_digit(load_image(encode(image, fmt, **options)))


def test_transparent_canvas_with_dark_strokes() -> None:
    rgba = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    rgba.putalpha(Image.eval(seven(), lambda v: 255 - v))
    same_digit(load_image(encode(rgba, "PNG")))


def test_transparent_canvas_with_white_strokes() -> None:
    rgba = Image.new("RGBA", (280, 280), (255, 255, 255, 0))
    rgba.putalpha(Image.eval(seven(), lambda v: 255 - v))
    same_digit(load_image(encode(rgba, "PNG")))


def test_la_and_palette_with_transparency() -> None:
    alpha = Image.eval(seven(), lambda v: 255 - v)
    la = Image.merge("LA", (Image.new("L", (280, 280), 0), alpha))
    same_digit(load_image(encode(la, "PNG")))
    palette = seven().convert("P")
    palette.info["transparency"] = 255  # the paper's palette index (white) is transparent
    same_digit(load_image(encode(palette, "PNG", transparency=255)))


def test_sixteen_bit_greyscale_keeps_its_range() -> None:
    values = np.asarray(seven(), dtype=np.uint16) * 257
    image = Image.fromarray(values.astype(np.uint16))
    assert image.mode.startswith("I")
    decoded = load_image(encode(image, "PNG"))
    grey = np.asarray(to_grey(decoded))
    assert grey.min() < 10 and grey.max() > 245
    same_digit(decoded)


def test_cmyk_jpeg() -> None:
    same_digit(load_image(encode(seven().convert("CMYK"), "JPEG", quality=95)))


def test_animated_gif_uses_the_first_frame() -> None:
    blank = Image.new("L", (280, 280), 255)
    data = encode(seven(), "GIF", save_all=True, append_images=[blank, blank])
    same_digit(load_image(data))


def test_exif_orientation_is_applied() -> None:
    upright = seven((280, 200))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a sideways camera writes
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    decoded = load_image(encode(stored.convert("RGB"), "JPEG", exif=exif, quality=95))
    assert decoded.size == (280, 200)
    box = prepare_digit(decoded).pieces[0].box
    assert box[0] < 140 and box[1] < 100, box  # the 7 is top left again


def test_large_jpeg_is_decoded_reduced_but_boxes_stay_in_full_size() -> None:
    big = seven((4000, 3000)).convert("RGB")
    decoded = load_image(encode(big, "JPEG", quality=85))
    assert max(decoded.size) <= 2000
    assert decoded.info[FULL_SIZE_KEY] == (4000, 3000) == full_size(decoded)
    prepared = prepare_digit(decoded)
    assert (prepared.width, prepared.height) == (4000, 3000)
    x, y, w, h = prepared.pieces[0].box
    assert 300 <= x <= 500 and 500 <= y <= 700 and 1200 <= w <= 1600 and 1700 <= h <= 1900


def test_a_large_colour_jpeg_is_decoded_straight_to_the_grey_it_converts_to() -> None:
    """The reduced decode reads only the luma: the grey levels and the digit are those of
    decoding the colours and converting, as before (blue ink on cream paper, sensor noise)."""
    rng = np.random.default_rng(4)
    paper = np.array([238, 228, 200], np.int16)  # cream
    colour = np.where(np.asarray(seven((2400, 1800)))[..., None] < 128, [30, 40, 150], paper)
    noisy = colour + rng.integers(-6, 7, size=(1800, 2400, 3))
    data = encode(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB"), "JPEG")
    decoded = load_image(data)
    assert decoded.mode == "L" and decoded.size == (1200, 900)
    as_colour = Image.open(io.BytesIO(data))
    as_colour.draft("RGB", (1200, 900))
    as_colour.info[FULL_SIZE_KEY] = (2400, 1800)  # as load_image marks a reduced decode
    converted = np.asarray(as_colour.convert("L"), dtype=np.int16)
    assert np.abs(np.asarray(decoded, dtype=np.int16) - converted).max() <= 1
    ours, before = prepare_digit(decoded).pieces[0], prepare_digit(as_colour).pieces[0]
    assert ours.box == before.box
    np.testing.assert_allclose(ours.image, before.image, atol=2 / 255)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size, with almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(10_000, 10_000), (100_000, 100_000)])
def test_pixel_bombs_are_refused_from_the_header(size: tuple[int, int]) -> None:
    with pytest.raises(ImageTooLargeError) as raised:
        load_image(png_header_only(*size), max_pixels=40_000_000)
    assert "megapixels" in raised.value.detail
    assert raised.value.status_code == 413


def test_the_pixel_limit_is_a_parameter() -> None:
    data = encode(seven(), "PNG")
    assert load_image(data, max_pixels=280 * 280).size == (280, 280)
    with pytest.raises(ImageTooLargeError):
        load_image(data, max_pixels=280 * 280 - 1)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, not an image",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"<svg width='10' height='10'></svg>",
        b"%PDF-1.4\n%...",
        b"GIF89a",
    ],
    ids=["empty", "text", "svg-xml", "svg", "pdf", "gif-header-only"],
)
def test_non_images_are_unsupported_and_name_the_formats(data: bytes) -> None:
    with pytest.raises(UnsupportedImageError) as raised:
        load_image(data)
    assert raised.value.status_code == 415
    assert all(image.label in raised.value.detail for image in FORMATS)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_are_unsupported(fmt: str) -> None:
    data = encode(seven().convert("RGB"), fmt)
    with pytest.raises(UnsupportedImageError):
        load_image(data[: len(data) // 2])


def test_formats_outside_the_list_are_refused() -> None:
    data = encode(seven(), "PPM")  # Pillow reads it, the service does not accept it
    with pytest.raises(UnsupportedImageError):
        load_image(data)


def test_random_damage_never_escapes_as_a_pillow_error() -> None:
    rng = np.random.default_rng(0)
    clean = encode(seven().convert("RGB"), "PNG")
    for _ in range(40):
        data = bytearray(clean)
        for index in rng.integers(0, len(data), size=8):
            data[index] = int(rng.integers(0, 256))
        with contextlib.suppress(UnsupportedImageError, ImageTooLargeError):
            prepare_digit(load_image(bytes(data)))
