"""The package's version, read from one place: what ``pyproject.toml`` says, as installed.

The API reports it in its OpenAPI document and ``digits train`` writes it into the
training record of every weights file. A checkout that was never installed has no
version to report and says so.
"""

from __future__ import annotations

from importlib import metadata

PACKAGE = "digits"
UNKNOWN = "unknown"


def package_version() -> str:
    """``0.1.0``-style, or ``unknown`` when the package is not installed."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return UNKNOWN
