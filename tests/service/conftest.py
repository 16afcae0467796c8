"""Fixtures of the service tests beyond the shared ones in ``tests/conftest.py``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.settings import Settings


@pytest.fixture(scope="module")
def strict_client(api_settings: Settings, make_client):
    """The default limits (10 MiB files, 32 MiB bodies, 40 megapixels), as a user gets them."""
    defaults = Settings()
    settings = replace(
        api_settings,
        max_upload_bytes=defaults.max_upload_bytes,
        max_request_bytes=defaults.max_request_bytes,
        max_pixels=defaults.max_pixels,
    )
    with make_client(settings) as client:
        yield client
