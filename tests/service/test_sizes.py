"""Sizes in messages: the limit as it is set (MiB), a file just over it never shown as the limit."""

from __future__ import annotations

import pytest

from app.service.sizes import byte_size

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (900, "900 bytes"),
        (1024, "1 KiB"),
        (10 * MIB, "10 MiB"),
        (10 * MIB + 1, "10.1 MiB"),
        (3 * MIB // 2, "1.5 MiB"),
        (32 * MIB, "32 MiB"),
        (2 * 1024 * MIB, "2 GiB"),
    ],
)
def test_byte_size(count: int, text: str) -> None:
    assert byte_size(count) == text
