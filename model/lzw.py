"""Unix ``compress`` (.Z) files, decoded: the format pendigits' originals come in.

Python's standard library reads gzip, bzip2 and xz, but not the older
``compress`` format, and the pendigits pen trajectories (1998) are published
only that way. The format is LZW (Welch, 1984):

- a 3-byte header: the magic ``1F 9D``, then a flags byte whose low 5 bits are
  the widest code (9 to 16 bits) and whose top bit is "block mode";
- then codes packed least significant bit first. Codes 0-255 stand for single
  bytes; in block mode code 256 is CLEAR (forget every learnt string and start
  afresh) and learnt strings are numbered from 257. Every code after the first
  teaches one string: the previous code's string followed by the first byte of
  this one's. A code may name the string it is about to teach (the "KwKwK"
  case): the previous string followed by its own first byte.
- Codes start 9 bits wide and widen by one bit as soon as the next string's
  number no longer fits, up to the widest; after CLEAR they are 9 bits again.
  Once every number is used, no more strings are learnt.

The quirk every reader has to copy: ``compress`` reads and writes codes in groups
of 8 (eight n-bit codes fill exactly n bytes), and when the width changes or a
CLEAR is read, the rest of the current group is padding and is skipped. A run of
codes of one width therefore fills a whole number of groups, and each run starts
on a byte. Within a run the codes are unpacked at once with NumPy; the strings
are then looked up one code at a time.
"""

from __future__ import annotations

import numpy as np

from model.mnist import DataError

MAGIC = b"\x1f\x9d"
HEADER_BYTES = 3
WIDEST_MASK = 0x1F  # low bits of the flags byte: the widest code
BLOCK_MODE = 0x80  # top bit of the flags byte: code 256 is CLEAR
FIRST_WIDTH = 9
WIDEST_ALLOWED = 16
CLEAR = 256
BYTE_VALUES = 256
CODES_PER_GROUP = 8


def decompress(data: bytes, name: str = "compressed data") -> bytes:
    """The bytes ``compress`` packed into ``data``; a damaged file is a ``DataError``."""
    widest, block_mode = _read_header(data, name)
    bits = np.unpackbits(np.frombuffer(data, np.uint8, offset=HEADER_BYTES), bitorder="little")
    decoder = _Decoder(widest, block_mode, name)
    position, width = 0, FIRST_WIDTH
    while position + width <= len(bits):
        count = (len(bits) - position) // width
        if width < widest:
            count = min(count, decoder.codes_before_widening(width))
        codes = _unpack(bits, position, width, count)
        used = decoder.decode(codes)
        # the run ends at a CLEAR, at the end of the data, or where codes widen
        position += _run_bits(used, width)
        width = FIRST_WIDTH if decoder.cleared else min(width + 1, widest)
    return b"".join(decoder.output)


def _read_header(data: bytes, name: str) -> tuple[int, bool]:
    if data[:2] != MAGIC:
        start = data[:2].hex(" ") or "nothing"
        raise DataError(
            f"{name}: not a Unix compress (.Z) file: it starts with {start}, "
            f"a .Z file with {MAGIC.hex(' ')}"
        )
    if len(data) < HEADER_BYTES:
        raise DataError(f"{name}: a .Z file cut short inside its 3-byte header")
    widest = data[2] & WIDEST_MASK
    if not FIRST_WIDTH <= widest <= WIDEST_ALLOWED:
        raise DataError(
            f"{name}: .Z header asks for {widest}-bit codes; "
            f"{FIRST_WIDTH} to {WIDEST_ALLOWED} bits are possible"
        )
    return widest, bool(data[2] & BLOCK_MODE)


def _unpack(bits: np.ndarray, position: int, width: int, count: int) -> list[int]:
    """``count`` codes of ``width`` bits from bit ``position``, least significant bit first."""
    chunk = bits[position : position + count * width].reshape(count, width).astype(np.int64)
    return (chunk @ (np.int64(1) << np.arange(width, dtype=np.int64))).tolist()


def _run_bits(codes: int, width: int) -> int:
    """Bits a run of ``codes`` codes fills: whole groups of 8 codes."""
    groups = -(-codes // CODES_PER_GROUP)
    return groups * CODES_PER_GROUP * width


class _Decoder:
    """The strings learnt so far and the bytes decoded; fed one run of codes at a time."""

    def __init__(self, widest: int, block_mode: bool, name: str) -> None:
        self.limit = 1 << widest  # no string is numbered this high
        self.block_mode = block_mode
        self.name = name
        self.output: list[bytes] = []
        self.cleared = False
        self._forget()

    def _forget(self) -> None:
        self.strings = [bytes([value]) for value in range(BYTE_VALUES)]
        if self.block_mode:
            self.strings.append(b"")  # 256 is CLEAR, never a string
        self.previous: bytes | None = None

    def codes_before_widening(self, width: int) -> int:
        """How many codes are read at ``width`` before the next string's number outgrows it."""
        # each code teaches one string, except the first after a start or a CLEAR
        return (1 << width) - len(self.strings) + (self.previous is None)

    def decode(self, codes: list[int]) -> int:
        """Decode a run of codes; returns how many were used (a CLEAR ends the run early)."""
        self.cleared = False
        for used, code in enumerate(codes, start=1):
            if code == CLEAR and self.block_mode:
                self._forget()
                self.cleared = True
                return used
            self._decode_one(code)
        return len(codes)

    def _decode_one(self, code: int) -> None:
        previous, known = self.previous, len(self.strings)
        if code < known and (previous is not None or code < BYTE_VALUES):
            string = self.strings[code]
        elif code == known and previous is not None:
            string = previous + previous[:1]  # the string this very code teaches
        else:
            raise DataError(
                f"{self.name}: corrupt .Z data: code {code} names no string "
                f"({known} known) after {sum(map(len, self.output))} bytes"
            )
        if previous is not None and known < self.limit:
            self.strings.append(previous + string[:1])
        self.output.append(string)
        self.previous = string
