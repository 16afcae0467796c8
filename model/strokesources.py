"""pendigits and uji-letters rebuilt from their public originals, verified, written atomically.

The two stroke data sets (``model/strokedata.py``) are JSON lines made from files
the UCI Machine Learning Repository publishes (both CC BY 4.0):

- pendigits-train: ``pendigits-orig.tra.Z``, the 30 training writers of
  "Pen-Based Recognition of Handwritten Digits" (E. Alpaydin, F. Alimoglu), in
  UNIPEN text compressed by Unix ``compress`` (``model/lzw.py``). Each digit's
  ``.COMMENT`` holds its class and its writer's number; the tablet's y grows
  upward in a 500x500 box, ours downward, so y becomes ``Y_DIM - y``. Rows are
  numbered ``train-00000``... in the file's order.
- uji-letters: ``UJIpenchars-w01`` to ``-w11`` of "UJI Pen Characters"
  (D. Llorens et al.), one UNIPEN-like file per writer. The letters are kept
  (the digits dropped), numbered ``w01-000``... per writer in the file's order,
  with the tablet PC's coordinates as they are (y already grows downward).

A source is either the data set's zip archive (files are found by name in any
of its folders, or in a zip inside it) or a folder holding the original files:
a URL ending in ``/`` or a local folder. Sources are tried in turn until
one converts to exactly the published SHA-256 (of the decompressed
``strokes.jsonl``); only then are ``strokes.jsonl.gz`` and ``SHA256SUMS``
written, each under a temporary name renamed into place. A folder that already
holds a verified copy is left alone.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from model.download import Log, write_atomically
from model.lzw import MAGIC, decompress
from model.mnist import DataError, read_file_bytes, verify_sha256
from model.strokedata import (
    FILE,
    PENDIGITS_FOLDER,
    PENDIGITS_SETTING,
    PENDIGITS_SHA256,
    UJI_FOLDER,
    UJI_SETTING,
    UJI_SHA256,
    stroke_file,
)
from model.unipen import Segment, read_unipen

PENDIGITS_MIRRORS = (
    "https://archive.ics.uci.edu/static/public/81/pen+based+recognition+of+handwritten+digits.zip",
    "https://archive.ics.uci.edu/ml/machine-learning-databases/pendigits/",
)
UJI_MIRRORS = (
    "https://archive.ics.uci.edu/static/public/160/uji+pen+characters.zip",
    "https://archive.ics.uci.edu/ml/machine-learning-databases/uji-penchars/version1/",
)
PENDIGITS_ORIGINAL = "pendigits-orig.tra.Z"  # the training writers; .tes.Z holds the others
UJI_ORIGINALS = tuple(f"UJIpenchars-w{writer:02d}" for writer in range(1, 12))
PENDIGITS_BOX = 500  # the tablet's height when the header gives no .Y_DIM
DIGITS = "0123456789"
COMPRESSED_SUFFIX = ".Z"
SUMS = "SHA256SUMS"
GZIP_LEVEL = 6  # the digest is of the decompressed bytes; 9 is five times slower for 2% less

Originals = dict[str, bytes]


@dataclass(frozen=True)
class StrokeSource:
    """Where one stroke data set comes from and how its originals become our JSON lines."""

    name: str  # as the command line names it
    folder: str  # its folder's name
    setting: str  # the environment variable naming its folder
    mirrors: tuple[str, ...]
    originals: tuple[str, ...]  # the files it is made from, as published
    sha256: str
    convert: Callable[[Originals], list[dict[str, object]]]

    def target(self) -> Path:
        """Where ``digits data download`` puts it: its setting, else ``~/.cache/digits``."""
        value = os.environ.get(self.setting)
        return Path(value or f"~/.cache/digits/{self.folder}").expanduser()


def pendigits_rows(originals: Originals) -> list[dict[str, object]]:
    recording = read_unipen(_uncompressed(originals[PENDIGITS_ORIGINAL]), PENDIGITS_ORIGINAL)
    box = _height(recording.keywords.get(".Y_DIM"))
    digits = [s for s in recording.segments if len(s.label) == 1 and s.label in DIGITS]
    return [
        {
            "id": f"train-{number:05d}",
            "writer": f"w{_writer(segment):02d}",
            "label": int(segment.label),
            "strokes": [[[x, box - y] for x, y in stroke] for stroke in segment.strokes],
        }
        for number, segment in enumerate(digits)
    ]


def _height(y_dim: str | None) -> int:
    """The tablet's height from the header's ``.Y_DIM`` (500 without one)."""
    try:
        return int(y_dim.split()[0]) if y_dim else PENDIGITS_BOX
    except ValueError:
        raise DataError(f"{PENDIGITS_ORIGINAL}: .Y_DIM {y_dim!r} is not a whole number") from None


def _writer(segment: Segment) -> int:
    if len(segment.comment) < 2:
        raise DataError(
            f"{PENDIGITS_ORIGINAL}: the digit {segment.label!r} has no .COMMENT line "
            "with its class and its writer's number"
        )
    return segment.comment[1]


def uji_rows(originals: Originals) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for number, original in enumerate(UJI_ORIGINALS, start=1):
        writer = f"w{number:02d}"
        segments = read_unipen(originals[original], original).segments
        letters = [
            s for s in segments if len(s.label) == 1 and s.label.isascii() and s.label.isalpha()
        ]
        rows += [
            {
                "id": f"{writer}-{index:03d}",
                "writer": writer,
                "char": letter.label,
                "strokes": [[list(point) for point in stroke] for stroke in letter.strokes],
            }
            for index, letter in enumerate(letters)
        ]
    return rows


PENDIGITS = StrokeSource(
    "pendigits", PENDIGITS_FOLDER, PENDIGITS_SETTING, PENDIGITS_MIRRORS,
    (PENDIGITS_ORIGINAL,), PENDIGITS_SHA256, pendigits_rows,
)  # fmt: skip
UJI = StrokeSource(
    "uji-letters", UJI_FOLDER, UJI_SETTING, UJI_MIRRORS, UJI_ORIGINALS, UJI_SHA256, uji_rows
)
SOURCES = {source.name: source for source in (PENDIGITS, UJI)}


def download_strokes(
    source: StrokeSource,
    target: Path,
    mirrors: Sequence[str] | None = None,
    client: httpx.Client | None = None,
    log: Log = print,
    timeout: float = 60.0,
) -> bool:
    """Fetch, convert and write ``source`` into ``target``; False if a verified copy was there."""
    if _verified(target, source.sha256):
        log(f"{target / FILE}.gz already present and verified")
        return False
    own_client = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        data = _first_verified(source, client, mirrors or source.mirrors, target, log)
    finally:
        if own_client:
            client.close()
    write(source, data, target)
    return True


def _first_verified(
    source: StrokeSource, client: httpx.Client, mirrors: Sequence[str], target: Path, log: Log
) -> bytes:
    """The JSON lines converted from the first source whose originals reproduce the digest."""
    failures = []
    for url in mirrors:
        try:
            log(f"downloading {source.folder} from {url}")
            return converted(source, _fetch(client, url, source.originals), url)
        except (httpx.HTTPError, OSError, DataError) as exc:
            failures.append(f"  {url}: {exc}")
            log(f"  {url} failed ({exc}); trying the next source")
    raise DataError(
        f"no source gave {source.folder} as published:\n"
        + "\n".join(failures)
        + "\n"
        + by_hand(source, target)
    )


def convert_local(source: StrokeSource, origin: Path, target: Path) -> None:
    """Convert originals downloaded by hand: the zip archive, or a folder holding the files."""
    if origin.is_dir():
        originals = _from_folder(lambda name: _read_local(origin / name), source.originals, origin)
    elif origin.is_file():
        originals = _from_zip(origin.read_bytes(), source.originals, str(origin))
    else:
        raise DataError(f"{origin} does not exist; give the zip archive or a folder of the files")
    write(source, converted(source, originals, str(origin)), target)


def converted(source: StrokeSource, originals: Originals, origin: str) -> bytes:
    """The JSON lines the originals convert to, if they have the published digest."""
    rows = source.convert(originals)
    data = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        fetched = ", ".join(f"{name} ({len(originals[name]):,} bytes)" for name in originals)
        raise DataError(
            f"{fetched} from {origin} converted to {len(rows):,} rows whose SHA-256 is {digest}, "
            f"not the published {source.sha256}: not the {source.folder} this project uses"
        )
    return data


def write(source: StrokeSource, data: bytes, target: Path) -> None:
    """``strokes.jsonl.gz`` and ``SHA256SUMS`` into ``target``, each renamed into place."""
    target.mkdir(parents=True, exist_ok=True)
    write_atomically(target / f"{FILE}.gz", gzip.compress(data, GZIP_LEVEL, mtime=0))
    write_atomically(target / SUMS, f"{source.sha256}  {FILE}\n".encode())


def by_hand(source: StrokeSource, target: Path) -> str:
    """What a user can do instead of downloading."""
    return (
        f"Instead, download {source.mirrors[0]} yourself and run "
        f"`digits data download {source.name} --from FILE`, or put a verified {FILE}.gz "
        f"into {target} (or set {source.setting} to the folder holding one)."
    )


def _verified(folder: Path, sha256: str) -> bool:
    path = stroke_file(folder)
    if path is None:
        return False
    try:
        verify_sha256(read_file_bytes(path), str(path), sha256)
    except (OSError, DataError):
        return False
    return True


def _fetch(client: httpx.Client, url: str, names: Sequence[str]) -> Originals:
    if url.endswith("/"):
        return _from_folder(lambda name: _get(client, url + name), names, url)
    archive = _get(client, url)
    if archive is None:
        raise DataError(f"{url}: 404 Not Found")
    return _from_zip(archive, names, url)


def _get(client: httpx.Client, url: str) -> bytes | None:
    response = client.get(url)
    if response.status_code == httpx.codes.NOT_FOUND:
        return None
    response.raise_for_status()
    return response.content


def _read_local(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _from_folder(
    read: Callable[[str], bytes | None], names: Sequence[str], where: object
) -> Originals:
    """Each original from a folder, as published or already uncompressed."""
    originals = {}
    for name in names:
        data = read(name)
        if data is None and name.endswith(COMPRESSED_SUFFIX):
            data = read(name.removesuffix(COMPRESSED_SUFFIX))
        if data is None:
            raise DataError(f"{where} has no {name}")
        originals[name] = data
    return originals


def _from_zip(archive: bytes, names: Sequence[str], where: str) -> Originals:
    """Each original from a zip archive, found by its file name in whichever folder."""
    try:
        files = _zip_files(archive)
    # NotImplementedError: a compression method zipfile lacks; RuntimeError: encrypted
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise DataError(f"{where} is not a readable zip archive ({exc})") from None
    return _from_folder(files.get, names, where)


def _zip_files(archive: bytes) -> dict[str, bytes]:
    """An archive's files by name, and those of the zip archives inside it (UCI nests some)."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        for member in opened.infolist():
            if not member.is_dir():
                files[PurePosixPath(member.filename).name] = opened.read(member)
    for name, data in list(files.items()):
        if name.lower().endswith(".zip"):
            files = _zip_files(data) | files
    return files


def _uncompressed(data: bytes) -> bytes:
    return decompress(data, PENDIGITS_ORIGINAL) if data[:2] == MAGIC else data
