"""``digits data download`` / ``verify`` end to end, against real local servers for the mirrors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mirrors import serve
from originals import PENDIGITS_ZIP, UJI_ZIP, shared_archives

from app.cli.main import main
from model import download, strokesources
from model.mnist import FILES

SETTINGS = {
    "mnist": "DIGITS_DATA_DIR",
    "pendigits": "DIGITS_PENDIGITS_DIR",
    "uji-letters": "DIGITS_UJI_DIR",
}


@pytest.fixture
def mirror_urls(data_dir: Path) -> Iterator[dict[str, str]]:
    """One server holding MNIST's files and both stroke archives; one that has nothing."""
    files = {f"{stem}.gz": (data_dir / f"{stem}.gz").read_bytes() for stem in FILES.values()}
    full, full_url = serve(files | shared_archives())
    empty, empty_url = serve({})
    yield {"full": full_url, "empty": empty_url}
    full.shutdown()
    empty.shutdown()


def point_at(monkeypatch: pytest.MonkeyPatch, base: str) -> None:
    """Every data set's mirrors: the server at ``base``."""
    monkeypatch.setattr(download, "MIRRORS", (base,))
    archives = {"pendigits": PENDIGITS_ZIP, "uji-letters": UJI_ZIP}
    sources = {
        name: dataclasses.replace(source, mirrors=(base + archives[name],))
        for name, source in strokesources.SOURCES.items()
    }
    monkeypatch.setattr(strokesources, "SOURCES", sources)


@pytest.fixture
def folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror_urls: dict[str, str]
) -> dict[str, Path]:
    """Each data set's setting names an empty folder of its own (once the archives are made)."""
    for name, setting in SETTINGS.items():
        monkeypatch.setenv(setting, str(tmp_path / name))
    return {name: tmp_path / name for name in SETTINGS}


def test_download_fetches_all_three_into_their_settings_folders_once(
    folders: dict[str, Path], mirror_urls: dict[str, str], monkeypatch, capsys
) -> None:
    point_at(monkeypatch, mirror_urls["full"])
    assert main(["data", "download"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"MNIST is ready in {folders['mnist']}",
        f"pendigits-train is ready in {folders['pendigits']}",
        f"uji-letters is ready in {folders['uji-letters']}",
    ]
    assert main(["data", "verify"]) == 0
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["data"], r["data_dir"]) for r in reports] == [
        (name, str(folder)) for name, folder in folders.items()
    ]
    assert (reports[1]["samples"], reports[1]["writers"]) == (7494, 30)
    assert (reports[2]["samples"], reports[2]["writers"]) == (1144, 11)

    assert main(["data", "download", "pendigits", "uji-letters"]) == 0
    assert capsys.readouterr().err.count("already present and verified") == 2


def test_a_data_set_no_mirror_gives_fails_with_what_to_do_instead(
    folders: dict[str, Path], mirror_urls: dict[str, str], monkeypatch, capsys
) -> None:
    point_at(monkeypatch, mirror_urls["empty"])
    assert main(["data", "download", "uji-letters"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        "digits data download: uji-letters: no source gave uji-letters as published" in captured.err
    )
    assert "404" in captured.err and "--from FILE" in captured.err
    assert "Traceback" not in captured.err
    assert not folders["uji-letters"].exists()


def test_from_converts_a_zip_downloaded_by_hand(tmp_path: Path, capsys) -> None:
    archive = tmp_path / UJI_ZIP
    archive.write_bytes(shared_archives()[UJI_ZIP])
    target = tmp_path / "letters"
    assert (
        main(["data", "download", "uji-letters", "--from", str(archive), "--dir", str(target)]) == 0
    )
    assert capsys.readouterr().out == f"uji-letters is ready in {target}\n"
    assert main(["data", "verify", "uji-letters", "--dir", str(target)]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["download", "emnist"],
            "no data set 'emnist'; the data sets are mnist, pendigits, uji-letters",
        ),
        (["download", "mnist", "--from", "x.zip"], "--from converts one data set's originals"),
        (
            ["download", "pendigits", "mnist", "--dir", "x"],
            "--dir is one folder: name one data set",
        ),
        (
            ["verify", "pendigits", "--dir", "/nonexistent"],
            "strokes.jsonl(.gz) not found in /nonexistent",
        ),
    ],
)
def test_commands_that_cannot_work_say_why(argv: list[str], message: str, capsys) -> None:
    assert main(["data", *argv]) in (1, 2)
    assert message in capsys.readouterr().err
