"""Fetch MNIST from the public mirrors, verify it, and write it atomically.

Each of the four files is tried on every mirror in turn until one gives bytes
whose decompressed SHA-256 matches the published digest; a failed or mismatching
mirror is reported and the next one tried. A file is written to a temporary name
in the target directory and renamed into place only once verified, so an
interrupted download never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from model.mnist import FILES, SHA256, DataError, verify_sha256

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

Log = Callable[[str], None]


def fetch_verified(
    client: httpx.Client, stem: str, mirrors: Sequence[str], checksums: dict[str, str], log: Log
) -> bytes:
    """The ``.gz`` bytes of ``stem`` from the first mirror whose copy verifies."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{stem}.gz"
        try:
            response = client.get(url)
            response.raise_for_status()
            verify_sha256(gzip.decompress(response.content), url, checksums[stem])
            return response.content
        except (httpx.HTTPError, OSError, EOFError, DataError) as exc:
            failures.append(f"{url}: {exc}")
            log(f"  {url} failed ({exc}); trying the next mirror")
    raise DataError(f"no mirror gave a verified {stem}.gz:\n" + "\n".join(failures))


def write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; data files are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_mnist(
    target: Path,
    mirrors: Sequence[str] = MIRRORS,
    checksums: dict[str, str] = SHA256,
    client: httpx.Client | None = None,
    log: Log = print,
    timeout: float = 60.0,
) -> list[Path]:
    """Download the four files into ``target``; already verified files are kept."""
    target.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    written = []
    try:
        for stem in FILES.values():
            path = target / f"{stem}.gz"
            if path.is_file() and _verifies(path, checksums[stem]):
                log(f"{path} already present and verified")
                continue
            log(f"downloading {stem}.gz")
            write_atomically(path, fetch_verified(client, stem, mirrors, checksums, log))
            written.append(path)
    finally:
        if own_client:
            client.close()
    return written


def _verifies(path: Path, expected: str) -> bool:
    try:
        verify_sha256(gzip.decompress(path.read_bytes()), str(path), expected)
    except (OSError, EOFError, DataError):
        return False
    return True
