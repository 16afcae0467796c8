"""pendigits and uji-letters rebuilt from originals served by local HTTP servers.

The originals are written back from the shared data (``tests/originals.py``) in
the formats UCI publishes, served by real servers, downloaded and converted:
the result must be the published data byte for byte, or nothing is written.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from mirrors import serve
from originals import PENDIGITS_ZIP, UJI_ZIP, shared_archives, shared_originals, zipped

from model.lzw import decompress
from model.mnist import DataError
from model.strokedata import FILE, default_pendigits_dir, load_pendigits, load_uji_letters
from model.strokesources import (
    PENDIGITS,
    PENDIGITS_ORIGINAL,
    UJI,
    UJI_ORIGINALS,
    convert_local,
    download_strokes,
)


@pytest.fixture(scope="module")
def originals() -> dict[str, dict[str, bytes]]:
    return shared_originals()


@pytest.fixture(scope="module")
def archives() -> dict[str, bytes]:
    return shared_archives()


@pytest.fixture
def mirrors(
    originals: dict[str, dict[str, bytes]], archives: dict[str, bytes]
) -> Iterator[dict[str, str]]:
    """Base URLs: "empty" (404 for all), "broken" (not zips), "archives", and "files"."""
    servers = {
        "empty": serve({}),
        "broken": serve(dict.fromkeys(archives, b"<html>moved</html>")),
        "archives": serve(archives),
        "files": serve(originals["pendigits"] | originals["uji"]),
    }
    yield {name: url for name, (_, url) in servers.items()}
    for server, _ in servers.values():
        server.shutdown()


def test_pendigits_falls_through_to_a_mirror_whose_conversion_verifies(
    tmp_path: Path, mirrors: dict[str, str]
) -> None:
    urls = [mirrors["empty"] + PENDIGITS_ZIP, mirrors["broken"] + PENDIGITS_ZIP]
    urls.append(mirrors["archives"] + PENDIGITS_ZIP)
    log: list[str] = []
    assert download_strokes(PENDIGITS, tmp_path, mirrors=urls, log=log.append)
    assert any("404" in line for line in log)
    assert any("not a readable zip archive" in line for line in log)
    published = default_pendigits_dir()
    assert gzip.decompress((tmp_path / f"{FILE}.gz").read_bytes()) == gzip.decompress(
        (published / f"{FILE}.gz").read_bytes()
    )
    assert (tmp_path / "SHA256SUMS").read_bytes() == (published / "SHA256SUMS").read_bytes()
    assert len(load_pendigits(tmp_path)) == 7494  # verified against PENDIGITS_SHA256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SHA256SUMS", f"{FILE}.gz"]

    again: list[str] = []
    assert not download_strokes(PENDIGITS, tmp_path, mirrors=urls, log=again.append)
    assert again == [f"{tmp_path / FILE}.gz already present and verified"]


def test_uji_letters_from_a_folder_of_files_drop_the_digits(
    tmp_path: Path, mirrors: dict[str, str]
) -> None:
    assert download_strokes(UJI, tmp_path, mirrors=[mirrors["files"]], log=lambda _: None)
    letters = load_uji_letters(tmp_path)
    assert len(letters) == 1144 and not any(s.label.isdigit() for s in letters)


def test_a_tampered_original_is_refused_and_nothing_is_written(
    tmp_path: Path, originals: dict[str, dict[str, bytes]]
) -> None:
    files = dict(originals["uji"])
    files[UJI_ORIGINALS[4]] = files[UJI_ORIGINALS[4]].replace(
        b"\r\n.PEN_UP", b"\r\n1 1\r\n.PEN_UP", 1
    )
    server, url = serve(files)
    try:
        with pytest.raises(DataError) as raised:
            download_strokes(UJI, tmp_path / "uji", mirrors=[url], log=lambda _: None)
    finally:
        server.shutdown()
    message = str(raised.value)
    assert f"UJIpenchars-w05 ({len(files[UJI_ORIGINALS[4]]):,} bytes)" in message
    assert f"from {url} converted to 1,144 rows whose SHA-256 is" in message
    assert f"not the published {UJI.sha256}" in message
    assert "digits data download uji-letters --from FILE" in message
    assert not (tmp_path / "uji").exists()


def test_originals_downloaded_by_hand_convert_from_the_zip_or_a_folder(
    tmp_path: Path, originals: dict[str, dict[str, bytes]], archives: dict[str, bytes]
) -> None:
    archive = tmp_path / UJI_ZIP  # the archive inside another, as UCI packs some data sets
    archive.write_bytes(zipped({"uji-penchars.zip": archives[UJI_ZIP], "Index": b""}))
    convert_local(UJI, archive, tmp_path / "uji")
    assert len(load_uji_letters(tmp_path / "uji")) == 1144

    unpacked = tmp_path / "unpacked"  # the .Z already uncompressed, as `uncompress` leaves it
    unpacked.mkdir()
    text = decompress(originals["pendigits"][PENDIGITS_ORIGINAL])
    (unpacked / PENDIGITS_ORIGINAL.removesuffix(".Z")).write_bytes(text)
    with pytest.raises(DataError, match="unpacked has no UJIpenchars-w01"):
        convert_local(UJI, unpacked, tmp_path / "nothing")
    convert_local(PENDIGITS, unpacked, tmp_path / "pendigits")
    assert len(load_pendigits(tmp_path / "pendigits")) == 7494
    assert not (tmp_path / "nothing").exists()
