"""``digits data download`` against local HTTP servers standing in for the mirrors."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from mirrors import serve

from model.download import download_mnist
from model.mnist import FILES, DataError, load_mnist


@pytest.fixture(scope="module")
def real_files(data_dir: Path) -> dict[str, bytes]:
    return {f"{stem}.gz": (data_dir / f"{stem}.gz").read_bytes() for stem in FILES.values()}


@pytest.fixture
def mirrors(real_files: dict[str, bytes]) -> Iterator[list[str]]:
    empty, _ = serve({})  # a mirror that lost the files: 404
    # valid gzip, wrong bytes inside: must fail the SHA-256 check
    corrupt, _ = serve({name: gzip.compress(b"not mnist", 1) for name in real_files})
    good, _ = serve(real_files)
    servers = [empty, corrupt, good]
    yield [f"http://127.0.0.1:{s.server_address[1]}/mnist/" for s in servers]
    for server in servers:
        server.shutdown()


def test_falls_through_to_a_verified_mirror(tmp_path: Path, mirrors: list[str]) -> None:
    log: list[str] = []
    written = download_mnist(tmp_path, mirrors=mirrors, log=log.append)
    assert len(written) == 4
    assert any("404" in line for line in log)
    assert any("does not match" in line for line in log)
    data = load_mnist(tmp_path)
    assert len(data.train_labels) == 60000
    assert not list(tmp_path.glob("*.part"))
    again: list[str] = []
    assert download_mnist(tmp_path, mirrors=mirrors, log=again.append) == []


def test_mismatching_checksums_are_refused(tmp_path: Path, mirrors: list[str]) -> None:
    with pytest.raises(DataError, match="no mirror gave a verified"):
        download_mnist(tmp_path, mirrors=mirrors[:2], log=lambda _: None)
    assert not list(tmp_path.iterdir())  # nothing half-written left behind
