"""The browser tests' fixtures: the real server in a thread, one Chromium, a fresh page.

The real server (``app.main.create_app`` with the repository's weights, a small
upload limit) runs in a background thread on a free port, once per test file; one
Debian Chromium driven by Playwright serves the file's tests, and each test opens
a fresh context with ``open_page`` (desktop by default), which is checked
for problems when the test ends (``harness.Watch``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from harness import (
    DESKTOP,
    UPLOAD_LIMIT,
    WATCH_SCRIPT,
    Session,
    Watch,
    chromium,
    has_weights,
    serving,
)
from playwright.sync_api import Browser

from app.settings import Settings


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    settings = replace(
        Settings.from_env(),
        access_log=False,
        log_level="warning",
        max_upload_bytes=UPLOAD_LIMIT,
    )
    if not has_weights(settings):
        pytest.skip(f"no trained weights in {settings.models_dir} (train with `digits train`)")
    with serving(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def open_page(browser: Browser, server_url: str) -> Iterator[Callable[..., Session]]:
    """Opens the page in a new context (desktop by default); checks it for problems after."""
    sessions: list[Session] = []

    def opener(device: dict[str, Any] | None = None, **options: Any) -> Session:
        context = browser.new_context(**(device or DESKTOP), **options)
        context.add_init_script(WATCH_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch = Watch(origin=server_url)
        watch.attach(page)
        page.goto(server_url + "/")
        page.wait_for_selector("html[data-ready]")
        session = Session(page, context, watch, server_url)
        sessions.append(session)
        return session

    yield opener
    problems = [p for s in sessions for p in s.watch.problems]
    for session in sessions:
        session.context.close()
    assert not problems, "\n".join(problems)
