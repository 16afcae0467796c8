"""Images for the API tests, made on the spot: drawn digits, blanks, broken files, bombs."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import strokes
from PIL import Image


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def digit_image(digit: int | str, size: tuple[int, int] = (280, 280)) -> Image.Image:
    """A digit drawn in black on white, like the drawing page's canvas."""
    return strokes.render(strokes.strokes_for(digit), size=size)


def digit_png(digit: int | str, size: tuple[int, int] = (280, 280)) -> bytes:
    return encode(digit_image(digit, size))


def number_png(text: str, size: tuple[int, int] = (560, 200)) -> bytes:
    drawn = strokes.render(strokes.layout_number(text, size), size=size, placed=True)
    return encode(drawn)


def blank_png(size: tuple[int, int] = (280, 280), colour: int = 255) -> bytes:
    return encode(Image.new("L", size, colour))


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit PNG of ``width x height`` white pixels: tiny file, huge image."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", compressed)
        + _chunk(b"IEND", b"")
    )


def jpeg_header_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A JPEG whose frame header claims ``width x height`` (the data is a small image's)."""
    data = bytearray(encode(Image.new("L", (8, 8), 255), "JPEG"))
    marker = data.find(b"\xff\xc0")
    data[marker + 5 : marker + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def noise_bytes(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def mnist_pixels(images: np.ndarray, index: int) -> list[list[int]]:
    """One MNIST test image as the JSON ``pixels`` field (0..255 integers)."""
    return images[index].astype(int).tolist()
