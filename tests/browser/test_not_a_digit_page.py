"""The page's third answer: a scribble drawn for a network with a not-a-digit output.

Served with ``weights/mlp-refuse.json`` (the network trained with non-digits), a
zig-zag scribble gets "That doesn't look like a digit" with the best guess in
small, while a digit drawn on the same page is still read as that digit. The
scribble is a shape of the kind the network never trained on by this generator:
a fixed zig-zag drawn here, not a sample of the training data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from harness import (
    Session,
    answer,
    answer_state,
    digit_strokes,
    draw_with_mouse,
    screenshot,
    serving,
    settle,
)

from app.settings import Settings

pytestmark = pytest.mark.browser

REFUSING_MODEL = "mlp-refuse"
# A zig-zag across the middle of the pad (logical pad coordinates, 280x280).
ZIG_ZAG = [[(40.0 + 25.0 * i, 90.0 if i % 2 == 0 else 190.0) for i in range(9)]]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    settings = replace(
        Settings.from_env(),
        access_log=False,
        log_level="warning",
        model_names=(REFUSING_MODEL,),
        model_names_required=True,
        default_model=REFUSING_MODEL,
    )
    if not (settings.models_dir / f"{REFUSING_MODEL}.json").is_file():
        pytest.skip(f"no {REFUSING_MODEL}.json in {settings.models_dir}")
    with serving(settings) as url:
        yield url


def test_a_scribble_is_not_a_digit_and_a_digit_still_is(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    draw_with_mouse(page, ZIG_ZAG)
    settle(page)
    screenshot(page, "desktop-not-a-digit")
    assert answer_state(page) == "not-digit"
    assert "doesn't look like a digit" in page.inner_text("#answer")
    assert "Best guess" in page.inner_text("#answer")

    page.keyboard.press("Escape")
    draw_with_mouse(page, digit_strokes(3))
    settle(page)
    assert answer_state(page) != "not-digit"
    assert answer(page) == "3"
