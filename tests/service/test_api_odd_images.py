"""Odd but valid images get an answer or "no digit"; damaged files never a server error.

Sixteen-bit greys, CMYK, palettes with transparency, animations, a 5000x3 line,
EXIF rotations; then valid files with bytes changed and cut short, by hypothesis.
"""

from __future__ import annotations

import numpy as np
import pytest
from api_images import (
    digit_image,
    digit_png,
    encode,
)
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image


def _odd_images() -> dict[str, bytes]:
    seven = digit_image(7)
    grey = np.asarray(seven.convert("L"))
    frames = [seven.convert("P"), Image.new("P", seven.size, 0)]
    rng = np.random.default_rng(0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated a quarter turn, as phones save photos
    return {
        "5000x3 ruled line": encode(_ruled_line(5000)),
        "2x2 checkerboard": encode(Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8))),
        "16-bit grey PNG": encode(Image.fromarray(grey.astype(np.uint16) * 257)),
        "float TIFF": encode(seven.convert("F"), "TIFF"),
        "CMYK JPEG": encode(seven.convert("CMYK"), "JPEG"),
        "1-bit PNG": encode(seven.convert("1")),
        "palette with transparency": encode(seven.convert("P"), transparency=255),
        "fully transparent PNG": encode(Image.new("RGBA", (280, 280), (0, 0, 0, 0))),
        "grey with alpha": encode(seven.convert("LA")),
        "animated GIF": encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "two-page TIFF": encode(seven, "TIFF", save_all=True, append_images=[seven]),
        "uniform noise": encode(Image.fromarray(rng.integers(0, 256, (280, 280), dtype=np.uint8))),
        "half black, half white": encode(Image.fromarray(_half_black(280))),
        "EXIF-rotated JPEG": encode(seven.convert("RGB"), "JPEG", exif=exif),
        "6000x4000 photo-size JPEG": encode(seven.convert("RGB").resize((6000, 4000)), "JPEG"),
    }


def _ruled_line(width: int) -> Image.Image:
    pixels = np.full((3, width), 255, np.uint8)
    pixels[1, 10:-10] = 0
    return Image.fromarray(pixels)


def _half_black(side: int) -> np.ndarray:
    pixels = np.full((side, side), 255, np.uint8)
    pixels[:, : side // 2] = 0
    return pixels


ODD_IMAGES = _odd_images()


@pytest.mark.parametrize("name", list(ODD_IMAGES))
@pytest.mark.parametrize("path", ["/predict", "/predict/number"])
def test_odd_images_get_an_answer_or_no_digit(
    strict_client: TestClient, name: str, path: str
) -> None:
    response = strict_client.post(path, files={"file": (name, ODD_IMAGES[name])})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert "no digit" in response.json()["detail"].lower()


@pytest.mark.slow
@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(data=st.data())
def test_damaged_files_never_cause_a_server_error(
    strict_client: TestClient, data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from(DAMAGEABLE))
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(damaged) // 4, len(damaged)))
    response = strict_client.post("/predict", files={"file": ("x", bytes(damaged[:cut]))})
    assert response.status_code in (200, 413, 415, 422), response.text
    assert isinstance(
        response.json()["detail" if response.status_code != 200 else "digit"], (str, int)
    )


DAMAGEABLE = [
    digit_png(3),
    encode(digit_image(3).convert("RGB"), "JPEG"),
    encode(digit_image(3), "GIF"),
    encode(digit_image(3), "WEBP"),
    encode(digit_image(3), "BMP"),
    encode(digit_image(3), "TIFF"),
]
