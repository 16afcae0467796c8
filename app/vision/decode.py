"""Bytes to a Pillow image, safely, and any image mode to one grey channel.

``load_image`` is the only place the service decodes untrusted bytes. It opens
the file with Pillow restricted to the accepted formats, reads the pixel count
from the header and refuses decompression bombs *before* any pixel is decoded,
keeps the first frame of animations, asks the JPEG decoder for a reduced-size
grey decode when a photo is far larger than the digits need (so a 12-megapixel photo
costs about as much as a 1-megapixel one), and applies the EXIF orientation.
Every Pillow failure becomes an :class:`~app.vision.errors.InputError` with a sentence
for a person.

A reduced decode remembers the full size in ``image.info[FULL_SIZE_KEY]``, so
bounding boxes can still be reported in the coordinates of the full,
EXIF-rotated image.

``to_grey`` turns any mode (RGBA, LA, P with transparency, 16-bit, CMYK, 1-bit)
into an ``L`` image. Transparent areas are composited onto a background that
contrasts with the opaque paint: dark strokes on a transparent canvas land on
white, light strokes on black.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageChops, ImageOps, ImageStat

from app.settings import Settings
from app.vision.errors import ImageTooLargeError, UnsupportedImageError
from app.vision.formats import ACCEPTED_FORMATS, formats_sentence

#: What Pillow may open: MPO is how it names many phone cameras' JPEG files.
_PILLOW_FORMATS = (*ACCEPTED_FORMATS, "MPO")
#: ``image.info`` key holding the (width, height) of the full, rotated image.
FULL_SIZE_KEY = "digits_full_size"
#: A reduced JPEG decode keeps at least this many pixels on the longer side.
DRAFT_MIN_SIDE = 1000

_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"<svg": "an SVG drawing",
    b"<?xml": "an XML (SVG?) document",
    b"\x89HDF": "an HDF file",
}


def _unsupported(what: str) -> UnsupportedImageError:
    return UnsupportedImageError(f"Cannot read the upload: {what}. {formats_sentence()}")


def _sniff_foreign(data: bytes) -> None:
    head = data[:512].lstrip()
    for signature, name in _SIGNATURES.items():
        if head.startswith(signature) or (signature == b"<svg" and b"<svg" in head[:512]):
            raise _unsupported(f"it is {name}, not a raster image")


def _open(data: bytes, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bomb warnings (checked below), damaged metadata
        try:
            image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
        except Image.DecompressionBombError as exc:
            raise _too_large(None, max_pixels) from exc
        except Exception as exc:
            raise _unsupported("it is not an image in a format we decode") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise _too_large((width, height), max_pixels)
    if width < 1 or height < 1:
        raise _unsupported("the image has no pixels")
    return image


def _too_large(size: tuple[int, int] | None, max_pixels: int) -> ImageTooLargeError:
    what = f"{size[0]}x{size[1]} pixels" if size else "too many pixels"
    return ImageTooLargeError(
        f"The image is too large ({what}); the limit is {max_pixels / 1e6:g} megapixels."
    )


def _request_draft(image: Image.Image) -> None:
    """Let the JPEG decoder scale down by 2, 4 or 8 while keeping enough detail.

    A colour photo is decoded straight to grey, the only channel the pipeline reads:
    the decoder then keeps the luma and skips the two chroma channels' transforms and
    the colour conversion (16.3 against 18.5 ms for a 12-megapixel photo, the same
    grey levels as decoding RGB and converting; CMYK stays CMYK).
    """
    if image.format not in ("JPEG", "MPO"):
        return
    width, height = image.size
    scale = max(1, min(8, max(width, height) // DRAFT_MIN_SIDE))
    if scale > 1:
        image.draft("L", (max(1, width // scale), max(1, height // scale)))


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1: upright; 5 to 8 swap width and height)."""
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:
        return 1


def load_image(data: bytes, max_pixels: int = Settings.max_pixels) -> Image.Image:
    """Decode untrusted bytes into a loaded, upright Pillow image (first frame)."""
    if not data:
        raise _unsupported("the upload is empty")
    _sniff_foreign(data)
    image = _open(data, max_pixels)
    width, height = image.size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.seek(0)
            orientation = _orientation(image)
            _request_draft(image)
            image.load()
            reduced = image.size != (width, height)
            upright = image
            if orientation != 1:  # exif_transpose copies even an upright image: only when needed
                upright = ImageOps.exif_transpose(image) or image
                upright.load()
    except Image.DecompressionBombError as exc:
        raise _too_large((width, height), max_pixels) from exc
    except Exception as exc:
        raise _unsupported("the file is damaged or truncated") from exc
    if reduced:
        turned = orientation in (5, 6, 7, 8)
        upright.info[FULL_SIZE_KEY] = (height, width) if turned else (width, height)
    return upright


def full_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) of the full-resolution image this one was decoded from."""
    size = image.info.get(FULL_SIZE_KEY)
    return (int(size[0]), int(size[1])) if size else image.size


# -- any mode to grey ------------------------------------------------------------------
def _sixteen_bit_to_l(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float32)
    top = 65535.0 if float(values.max(initial=0.0)) > 255.0 else 255.0
    return Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), "L")


def _flatten_alpha(rgba: Image.Image) -> Image.Image:
    """Composite onto white or black, whichever contrasts with the opaque paint."""
    alpha = rgba.getchannel("A")
    grey = rgba.convert("L")  # luminance of the colour channels; alpha handled below
    low, _high = alpha.getextrema()
    if low == 255:
        return grey
    step = max(1, min(grey.size) // 64)  # the paint's colour from a small copy
    small_alpha, small_grey = alpha.reduce(step), grey.reduce(step)
    weight = ImageStat.Stat(small_alpha).sum[0]
    painted = ImageStat.Stat(ImageChops.multiply(small_grey, small_alpha)).sum[0] * 255.0
    paint = painted / weight if weight else 0.0
    background = Image.new("L", grey.size, 255 if paint < 128.0 else 0)
    return Image.composite(grey, background, alpha)


def to_grey(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> ``L``, transparency composited onto a contrasting background."""
    mode = image.mode
    if mode == "L" and "transparency" not in image.info:
        return image
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _sixteen_bit_to_l(image)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("LA", "La", "PA", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    if image.mode == "RGBA":
        return _flatten_alpha(image)
    return image.convert("L")
