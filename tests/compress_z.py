"""A small Unix ``compress`` (.Z) writer, so tests can make the files pendigits is published in.

It writes what ``compress`` writes (``model/lzw.py`` tells the format): the
header, LZW codes widening from 9 bits as strings are learnt, and, when each run
of one width ends, padding to the end of its group of 8 codes. ``clear_when_full``
sends CLEAR as soon as every string number is used (``compress`` sends it when
the compression ratio drops), so that a test can make a file that holds CLEAR
codes with a small ``widest``.
"""

from __future__ import annotations

import numpy as np

from model.lzw import BLOCK_MODE, CLEAR, CODES_PER_GROUP, FIRST_WIDTH, MAGIC

FIRST_STRING = CLEAR + 1


class _Runs:
    """Codes, in runs of one width each."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, list[int]]] = [(FIRST_WIDTH, [])]

    @property
    def width(self) -> int:
        return self.runs[-1][0]

    def add(self, code: int) -> None:
        self.runs[-1][1].append(code)

    def start(self, width: int) -> None:
        self.runs.append((width, []))


def compress(data: bytes, widest: int = 16, clear_when_full: bool = False) -> bytes:
    """``data`` as a block-mode .Z file with codes up to ``widest`` bits."""
    runs = code_runs(data, widest, clear_when_full)
    header = MAGIC + bytes([BLOCK_MODE | widest])
    packed = [
        _pack(codes, width, last=i == len(runs.runs) - 1)
        for i, (width, codes) in enumerate(runs.runs)
    ]
    return header + b"".join(packed)


def code_runs(data: bytes, widest: int = 16, clear_when_full: bool = False) -> _Runs:
    """The codes ``compress`` writes for ``data``, as runs of one width each."""
    runs = _Runs()
    if data:
        _encode(data, widest, clear_when_full, runs)
    return runs


def _encode(data: bytes, widest: int, clear_when_full: bool, runs: _Runs) -> None:
    limit = 1 << widest
    strings: dict[int, int] = {}
    free = FIRST_STRING
    current = data[0]
    for byte in data[1:]:
        key = (current << 8) | byte
        known = strings.get(key)
        if known is not None:
            current = known
            continue
        _emit(runs, current, free, widest)
        if free < limit:
            strings[key] = free
            free += 1
        elif clear_when_full:
            _emit(runs, CLEAR, free, widest)
            runs.start(FIRST_WIDTH)
            strings, free = {}, FIRST_STRING
        current = byte
    _emit(runs, current, free, widest)


def _emit(runs: _Runs, code: int, free: int, widest: int) -> None:
    """Add a code; the next code is one bit wider once string ``free`` no longer fits."""
    runs.add(code)
    if code != CLEAR and runs.width < widest and free >= 1 << runs.width:
        runs.start(runs.width + 1)


def _pack(codes: list[int], width: int, last: bool) -> bytes:
    values = np.asarray(codes, np.int64)
    bits = ((values[:, None] >> np.arange(width)) & 1).astype(np.uint8).ravel()
    if not last:  # the rest of the group of 8 codes is padding
        groups = -(-len(codes) // CODES_PER_GROUP)
        bits = np.concatenate(
            [bits, np.zeros(groups * CODES_PER_GROUP * width - len(bits), np.uint8)]
        )
    return np.packbits(bits, bitorder="little").tobytes()
