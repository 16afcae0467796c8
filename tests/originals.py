"""The stroke data sets written back into their published formats, for download tests.

UCI publishes pendigits and UJI Pen Characters as UNIPEN text (``model/unipen.py``)
inside zip archives; this module rebuilds such archives from the shared JSON
lines, so a test can serve them and check that converting them back gives the
published SHA-256 byte for byte:

- pendigits: one UNIPEN file of the 30 training writers, y growing upward
  again, compressed with ``compress`` (``tests/compress_z.py``), in a zip beside
  the files the real archive also holds;
- UJI: one file per writer with CRLF line ends, each session's letters followed
  by ten digits (written here with pendigits strokes), which the conversion must
  drop.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Sequence

from compress_z import compress

from model.strokedata import StrokeSample, load_pendigits, load_uji_letters
from model.strokesources import PENDIGITS_BOX, PENDIGITS_ORIGINAL, UJI_ORIGINALS

PENDIGITS_ZIP = "pen+based+recognition+of+handwritten+digits.zip"
UJI_ZIP = "uji+pen+characters.zip"
#: letters each writer wrote in one session: a-z and A-Z
SESSION_LETTERS = 52
DIGITS = "0123456789"


def pendigits_text(samples: Sequence[StrokeSample]) -> bytes:
    lines = [
        ".VERSION 1.0",
        ".DATA_SOURCE stand-in for the training writers",
        ".HIERARCHY DIGIT",
        f".X_DIM {PENDIGITS_BOX}",
        f".Y_DIM {PENDIGITS_BOX}",
        ".POINTS_PER_SECOND 100",
        '.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"',
        ".COMMENT class, writer, sample of the writer",
        "",
    ]
    component, seen = 0, dict[str, int]()
    for sample in samples:
        writer = int(sample.writer.removeprefix("w"))
        seen[sample.writer] = seen.get(sample.writer, 0) + 1
        last = component + len(sample.strokes) - 1
        span = f"{component}-{last}" if last > component else f"{component}"
        lines += [f'.SEGMENT DIGIT {span} ? "{sample.label}"']
        lines += [f".COMMENT {sample.label} {writer} {seen[sample.writer]}"]
        lines += [*_pen(sample, flip=PENDIGITS_BOX), ""]
        component = last + 1
    return ("\n".join(lines) + "\n").encode()


def uji_text(letters: Sequence[StrokeSample], digits: Sequence[StrokeSample]) -> bytes:
    """One writer's file: each session's letters, then digits the conversion must drop."""
    lines = [".VERSION 1.0", ".HIERARCHY CHARACTER", '.LEXICON "a" "b" "c"', ""]
    sessions = [letters[:SESSION_LETTERS], letters[SESSION_LETTERS:]]
    component = 0
    for session in sessions:
        for sample in [*session, *digits]:
            lines += [f'.SEGMENT CHARACTER {component} ? "{sample.label}"', ".COMMENT 1"]
            lines += _pen(sample, flip=None)
            component += len(sample.strokes)
    return ("\r\n".join(lines) + "\r\n").encode()


def _pen(sample: StrokeSample, flip: int | None) -> list[str]:
    lines = []
    for stroke in sample.strokes:
        lines.append(".PEN_DOWN")
        for x, y in stroke.astype(int).tolist():
            lines.append(f"  {x} {flip - y if flip else y}")
        lines += [".PEN_UP", ".DT 100"]
    return lines


def pendigits_files(samples: Sequence[StrokeSample]) -> dict[str, bytes]:
    """The files of the pendigits archive this project reads, and one it does not."""
    return {
        PENDIGITS_ORIGINAL: compress(pendigits_text(samples), clear_when_full=True),
        "pendigits-orig.names": b"Pen-Based Recognition of Handwritten Digits\n",
    }


def uji_files(letters: Sequence[StrokeSample], digits: Sequence[StrokeSample]) -> dict[str, bytes]:
    files = {"uji.names": b"UJI Pen Characters\n"}
    for number, name in enumerate(UJI_ORIGINALS, start=1):
        own = [s for s in letters if s.writer == f"w{number:02d}"]
        files[name] = uji_text(own, [next(d for d in digits if d.label == c) for c in DIGITS])
    return files


def zipped(files: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return buffer.getvalue()


@functools.cache
def shared_originals() -> dict[str, dict[str, bytes]]:
    """Both data sets' original files, made once per run from the shared data (its settings)."""
    digits = load_pendigits()
    return {"pendigits": pendigits_files(digits), "uji": uji_files(load_uji_letters(), digits)}


@functools.cache
def shared_archives() -> dict[str, bytes]:
    """The two zip archives as UCI names them, pendigits' files in a folder of the archive."""
    files = shared_originals()
    return {
        PENDIGITS_ZIP: zipped(files["pendigits"], folder="pendigits/"),
        UJI_ZIP: zipped(files["uji"]),
    }
