"""Byte counts as people read them, in the binary units the limits are set in.

The upload limit is 10 MiB (10,485,760 bytes). Written as decimal megabytes it
became "10.5 MB" in one message and "10 MB" in another; every message that
names a size (the page's hint, its own check before uploading, the 413
answers) now goes through ``byte_size`` so they all say the same thing.
"""

from __future__ import annotations

import math

UNITS = ("bytes", "KiB", "MiB", "GiB")
STEP = 1024


def byte_size(count: int | float) -> str:
    """``10485760`` as ``"10 MiB"``, ``1572864`` as ``"1.5 MiB"``, ``900`` as ``"900 bytes"``.

    Rounded up to a tenth, so a file one byte over a 10 MiB limit reads
    "10.1 MiB", never the limit itself.
    """
    value = float(count)
    unit = UNITS[0]
    for unit in UNITS:
        if abs(value) < STEP or unit == UNITS[-1]:
            break
        value /= STEP
    if unit == UNITS[0]:
        return f"{int(value)} bytes"
    tenths = math.ceil(round(value * 10, 6))  # round first: 10.0 * 10 may be 100.00000001
    return f"{tenths / 10:.1f}".removesuffix(".0") + f" {unit}"
