"""The Unix compress (.Z) decoder: round trips through the test writer, and gzip as an oracle."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from compress_z import code_runs, compress

from model.lzw import CLEAR, decompress
from model.mnist import DataError

#: varied enough to fill a 10-bit dictionary several times over
TEXT = b"".join(
    f".PEN_DOWN\n{x} {y}\n{x + 3} {y - 1}\n.PEN_UP\n".encode()
    for x, y in np.random.default_rng(7).integers(0, 500, (3000, 2)).tolist()
)


def test_round_trip_through_clear_codes_and_every_width() -> None:
    runs = code_runs(TEXT, widest=10, clear_when_full=True).runs
    widths = [width for width, _ in runs]
    assert widths[:3] == [9, 10, 9]  # widened, then cleared back to 9 bits
    assert sum(codes.count(CLEAR) for _, codes in runs) >= 2
    assert decompress(compress(TEXT, widest=10, clear_when_full=True)) == TEXT


@pytest.mark.parametrize("widest", [11, 12])
def test_round_trip_with_a_full_dictionary_and_no_clear(widest: int) -> None:
    runs = code_runs(TEXT, widest=widest).runs
    assert [width for width, _ in runs] == list(range(9, widest + 1))
    assert decompress(compress(TEXT, widest=widest)) == TEXT


@pytest.mark.parametrize("data", [b"", b"x", b"aaaaaaaaaaaaaaaaaaaa", b"abababababababababab"])
def test_short_and_self_referring_inputs(data: bytes) -> None:
    # "aaaa..." makes codes that name the string they are about to teach
    assert decompress(compress(data)) == data


@pytest.mark.skipif(shutil.which("gzip") is None, reason="gzip is not installed")
@pytest.mark.parametrize(("widest", "clear"), [(10, True), (13, False), (16, True)])
def test_gzip_reads_the_same_bytes(widest: int, clear: bool) -> None:
    """gzip reads .Z files too: it must agree with the writer and with the decoder."""
    packed = compress(TEXT, widest=widest, clear_when_full=clear)
    oracle = subprocess.run(["gzip", "-dc"], input=packed, capture_output=True, check=True)
    assert oracle.stdout == TEXT
    assert decompress(packed) == oracle.stdout


def test_a_file_that_is_not_compress_output_is_named() -> None:
    with pytest.raises(DataError, match=r"sample.txt: not a Unix compress \(.Z\) file.*1f 9d"):
        decompress(b"PK\x03\x04...", "sample.txt")
    with pytest.raises(DataError, match="asks for 20-bit codes; 9 to 16"):
        decompress(b"\x1f\x9d\x94" + bytes(10))


def test_a_damaged_code_is_a_data_error() -> None:
    packed = bytearray(compress(TEXT))
    packed[3:40] = b"\xff" * 37  # codes that name strings not learnt yet
    with pytest.raises(DataError, match=r"corrupt \.Z data: code"):
        decompress(bytes(packed))
