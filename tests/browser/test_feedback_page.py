"""Teaching it from the page, in Debian's Chromium: a correction is sent, reviewed and exported.

The real server runs in a thread on a free port with the repository's weights, a
SQLite database in a temporary folder and a review token. A drawing is made with
the mouse; whatever the network reads, the person says it was another digit
("misread"), and the test then signs in to the review page and finds the
correction there, exports the database with ``digits feedback export`` and finds
the same 28x28 image and label, and trains a small network with the export
(``digits train --extra-data``) that reads the drawing as the person said.
Other tests teach with a finger on a phone, with the keyboard alone, one digit
of a number, and a photo. Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from harness import (
    NUMBER_PAD,
    axe_violations,
    digit_strokes,
    draw_with_mouse,
    draw_with_touch,
    screenshot,
    serving,
)
from photos import photo_of
from PIL import Image
from playwright.sync_api import Browser, Page
from strokes import layout_number, place, strokes_for

from app.cli.main import main
from app.settings import Settings
from model.weights import load

pytestmark = pytest.mark.browser

TOKEN = "browser-test-review-token"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 820}, "device_scale_factor": 1}
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'digits.db'}"


@pytest.fixture(scope="module")
def server_url(database: str) -> Iterator[str]:
    settings = replace(
        Settings.from_env(),
        access_log=False,
        log_level="warning",
        database_url=database,
        review_token=TOKEN,
        feedback_per_minute=1000,
    )
    with serving(settings, "digits-feedback-server") as url:
        yield url


@pytest.fixture
def open_page(browser: Browser, server_url: str) -> Iterator[Callable[..., Page]]:
    """A fresh context per page; console errors and uncaught exceptions fail the test."""
    problems: list[str] = []
    contexts = []

    def opener(device: dict[str, Any] | None = None, path: str = "/", **options: Any) -> Page:
        context = browser.new_context(**(device or DESKTOP), **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda error: problems.append(f"exception: {error}"))
        page.on("console", lambda m: problems.extend(console_problem(m.type, m.text)))
        page.goto(server_url + path)
        if path == "/":
            page.wait_for_selector("html[data-ready]")
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def console_problem(kind: str, text: str) -> list[str]:
    """A console error, except the review page's 401 before signing in (on purpose)."""
    return [f"console: {text}"] if kind == "error" and "status of 401" not in text else []


def settled_answer(page: Page) -> str:
    page.wait_for_selector("#teach:not([hidden])")
    page.wait_for_selector('#result:not([aria-busy="true"])', state="attached")
    return page.inner_text("#answer-value").strip()


def kept(page: Page) -> str:
    """The panel's message once the correction was answered (kept, or not kept)."""
    page.wait_for_selector("#teach-status:has-text('ept')")
    return page.inner_text("#teach-status")


def sign_in(page: Page) -> None:
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#review-count")


def seen_pixels(data_url: str) -> np.ndarray:
    png = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def test_a_misread_drawing_is_corrected_reviewed_exported_and_learnt(
    open_page: Callable[..., Page], database: str, tmp_path: Path, data_dir: Path
) -> None:
    page = open_page()
    assert page.is_hidden("#teach")  # nothing to correct before an answer
    draw_with_mouse(page, digit_strokes(4))
    read = settled_answer(page)
    notice = page.inner_text("#teach-notice")
    assert "kept" in notice and "Nothing about you" in notice  # said before anything is sent
    truth = str((int(read) + 3) % 10)  # the person says the network misread it
    seen = page.get_attribute("#seen-image", "src")
    assert seen is not None
    screenshot(page, "feedback-desktop-before")
    page.click(f".teach-label[data-label='{truth}']")
    status = kept(page)
    assert f"Kept as a {truth}" in status
    screenshot(page, "feedback-desktop-kept")
    assert page.get_attribute(".teach-label[data-label='1']", "aria-disabled") == "true"
    assert axe_violations(page) == ""

    review = open_page(path="/review")
    assert axe_violations(review) == ""  # the sign-in form
    sign_in(review)
    card = review.locator(f".review-card[data-label='{truth}']").first
    assert "wrong" in (card.get_attribute("class") or "")
    assert f"said {read}" in card.inner_text()
    review.select_option("select[name=label]", truth)
    review.check("input[name=wrong]")
    review.click(".review-filters button")
    review.wait_for_selector(f".review-card[data-label='{truth}']")
    assert review.locator(".review-card").count() >= 1
    screenshot(review, "feedback-review-desktop")
    assert axe_violations(review) == ""

    export = tmp_path / "c.npz"
    assert main(["feedback", "export", "--database", database, "--out", str(export)]) == 0
    with np.load(export) as archive:
        match = [i for i, label in enumerate(archive["labels"]) if label == int(truth)]
        assert match, "the correction is not in the export"
        exported = archive["images"][match[-1]]
        assert archive["kind"][match[-1]] == "canvas"
        assert int(archive["predicted"][match[-1]]) == int(read)
    assert np.array_equal(exported, seen_pixels(seen))

    # Retrained with the corrections, a network reads that drawing as the person said.
    taught = tmp_path / "taught.json"
    small = ["--preset", "relu256", "--hidden", "32", "--train-subset", "2000", "--epochs", "2"]
    extra = ["--extra-data", str(export), "--extra-weight", "100", "--val-size", "500"]
    assert main(["train", *small, *extra, "--quiet", "--out", str(taught)]) == 0
    network, _ = load(taught)
    assert int(network.predict(exported[None].astype(np.float32) / 255)[0]) == int(truth)


def test_on_a_phone_a_finger_says_it_was_not_a_digit(open_page: Callable[..., Page]) -> None:
    page = open_page(PHONE, color_scheme="dark")
    draw_with_touch(page, digit_strokes(7))
    settled_answer(page)
    page.locator(".teach-none").scroll_into_view_if_needed()
    page.tap(".teach-none")
    assert "Kept as not a digit" in kept(page)
    screenshot(page, "feedback-phone-dark")


def test_the_keyboard_alone_says_right(open_page: Callable[..., Page]) -> None:
    page = open_page(color_scheme="dark")
    draw_with_mouse(page, digit_strokes(3))
    read = settled_answer(page)
    page.focus("#teach-right")
    assert page.inner_text("#teach-right") == f"Right, it's a {read}"
    page.keyboard.press("Enter")
    assert f"Kept as a {read}" in kept(page)
    page.keyboard.press("Enter")  # a second press sends nothing more
    assert page.evaluate("document.activeElement.id") == "teach-right"
    screenshot(page, "feedback-desktop-dark")


def test_one_digit_of_a_number_is_corrected(open_page: Callable[..., Page]) -> None:
    page = open_page()
    page.click("#tab-number")
    draw_with_mouse(page, layout_number("42", NUMBER_PAD), NUMBER_PAD)
    settled_answer(page)
    choices = page.locator(".teach-choice")
    assert choices.count() == 2
    choices.nth(1).click()
    assert choices.nth(1).get_attribute("aria-pressed") == "true"
    page.click(".teach-label[data-label='2']")
    assert "Digit 2 kept as a 2" in kept(page)
    assert choices.nth(0).get_attribute("aria-pressed") == "true"  # the next one untaught
    screenshot(page, "feedback-desktop-number")


def test_a_photo_is_corrected(open_page: Callable[..., Page]) -> None:
    page = open_page(PHONE)
    page.click("#tab-photo")
    box = (450, 250, 300, 400)
    photo = photo_of([place(strokes_for(5), box)], width=24, seed=4)
    page.set_input_files(
        "#photo-file", files=[{"name": "five.jpg", "mimeType": "image/jpeg", "buffer": photo.data}]
    )
    settled_answer(page)
    page.locator(".teach-label[data-label='5']").scroll_into_view_if_needed()
    page.tap(".teach-label[data-label='5']")
    assert "Kept as a 5" in kept(page)
    screenshot(page, "feedback-phone-photo")


def test_the_review_page_on_a_phone_in_the_dark(open_page: Callable[..., Page]) -> None:
    page = open_page(PHONE, path="/review", color_scheme="dark")
    sign_in(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    assert axe_violations(page) == ""
    screenshot(page, "feedback-review-phone-dark")
