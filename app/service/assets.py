"""The page's files under ``/static``: a cache lifetime, and a new URL when they change.

Browsers may keep the page's scripts and styles for a year, because their URLs
change whenever a file does: the page links them under
``/static/<version>/...``, where the version is a hash of every file in the
static folder, computed once at start-up. The JavaScript modules import one
another by relative paths, so one versioned entry point carries the whole tree.
A deploy with any changed file gets new URLs; nobody is served last week's
``app.js`` with this week's page.

The plain ``/static/...`` URLs still work (bookmarks, old pages) but must be
revalidated on every use (``no-cache``: a 304 from the ``ETag`` when nothing
changed). Compression is the GZip middleware's job (``app.main``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC_URL = "/static"
VERSION_LENGTH = 12  # hex digits of the folder's hash: plenty to tell deploys apart
FOREVER = "public, max-age=31536000, immutable"  # a year: the URL changes with the file
REVALIDATE = "no-cache"


class CachedStaticFiles(StaticFiles):
    """``StaticFiles`` whose answers carry one ``Cache-Control`` header."""

    def __init__(self, *, cache_control: str, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.cache_control = cache_control

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = self.cache_control
        return response


def folder_version(folder: Path) -> str:
    """A short hash of every file's path and bytes under ``folder`` (``"0"`` if it is missing)."""
    if not folder.is_dir():
        return "0"
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:VERSION_LENGTH]


def mount_static(app: FastAPI, folder: Path) -> str:
    """Serve ``folder`` at ``/static/<version>`` (kept a year) and ``/static`` (revalidated).

    Returns the versioned base URL the page links its files under; it is also
    kept on ``app.state.static_url``.
    """
    versioned = f"{STATIC_URL}/{folder_version(folder)}"
    app.mount(
        versioned,
        CachedStaticFiles(cache_control=FOREVER, directory=folder, check_dir=False),
        name="static-versioned",
    )
    app.mount(
        STATIC_URL,
        CachedStaticFiles(cache_control=REVALIDATE, directory=folder, check_dir=False),
        name="static",
    )
    app.state.static_url = versioned
    return versioned
