"""The image formats Digits reads: one table, and every way the project spells it out.

The decoder opens only these formats (by Pillow's names), the service accepts
only their media types in a data URL or a raw body, and every message, the API
documentation and the drawing page name them in the words people use ("WebP",
not Pillow's "WEBP"). All of them read this table, so adding a format is one
line here (and a test that Pillow decodes it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFormat:
    """One accepted format: Pillow's name, how people write it, and its media types."""

    pillow: str
    label: str
    media_types: tuple[str, ...]


FORMATS: tuple[ImageFormat, ...] = (
    ImageFormat("PNG", "PNG", ("image/png",)),
    ImageFormat("JPEG", "JPEG", ("image/jpeg", "image/jpg", "image/pjpeg")),
    ImageFormat("WEBP", "WebP", ("image/webp",)),
    ImageFormat("BMP", "BMP", ("image/bmp", "image/x-bmp", "image/x-ms-bmp")),
    ImageFormat("GIF", "GIF", ("image/gif",)),
    ImageFormat("TIFF", "TIFF", ("image/tiff",)),
)

#: The formats users may send (Pillow's names).
ACCEPTED_FORMATS: tuple[str, ...] = tuple(f.pillow for f in FORMATS)
#: Their names as a person writes them, in a list: "PNG, JPEG, WebP, BMP, GIF or TIFF".
FORMAT_NAMES = ", ".join(f.label for f in FORMATS[:-1]) + " or " + FORMATS[-1].label
#: Media types a data URL or a raw body may name; the last means "let the bytes decide".
IMAGE_MEDIA_TYPES: frozenset[str] = frozenset(
    {*(kind for f in FORMATS for kind in f.media_types), "application/octet-stream"}
)


def formats_sentence() -> str:
    """What to tell someone who sent something else."""
    return f"Send a {FORMAT_NAMES} image."
