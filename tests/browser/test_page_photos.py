"""Photos: upload on a desktop and a phone, the box and what the network saw, files that
are not images or too large, drop and paste."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from harness import (
    PHONE,
    UPLOAD_LIMIT,
    Session,
    answer,
    answer_state,
    overlap,
    photo_of_digit,
    rect,
    screenshot,
    settle,
    upload,
)

pytestmark = pytest.mark.browser


def test_photo_upload_shows_the_digit_its_box_and_what_the_network_saw(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    page.click("#tab-photo")
    photo = photo_of_digit(4, "open")
    upload(page, "note.jpg", "image/jpeg", photo.data)
    page.wait_for_selector("#photo-boxes .box")
    settle(page)
    screenshot(page, "desktop-photo")
    assert answer(page) == "4"
    assert page.is_visible("#bars") and page.is_hidden("#digit-cards")
    assert (page.get_attribute("#seen-image", "src") or "").startswith("data:image/png")

    shown, box = rect(page, "#photo"), rect(page, "#photo-boxes .box")
    scale = photo.size[0] / shown["width"]
    found = (
        (box["x"] - shown["x"]) * scale,
        (box["y"] - shown["y"]) * scale,
        box["width"] * scale,
        box["height"] * scale,
    )
    assert overlap(found, photo.ink_boxes[0]) > 0.6, (found, photo.ink_boxes[0])


def test_photo_on_a_phone(open_page: Callable[..., Session]) -> None:
    page = open_page(PHONE).page
    page.tap("#tab-photo")
    assert page.get_attribute("#photo-camera", "capture") == "environment"
    # The prompt wraps within the answer box instead of losing its end.
    assert page.inner_text("#answer-status") == "Choose, drop or paste a photo."
    clipped = "(e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1"
    assert not page.eval_on_selector("#answer-status", clipped)
    photo = photo_of_digit(7, "crossed", seed=3)
    upload(page, "photo.jpg", "image/jpeg", photo.data)
    page.wait_for_selector("#photo-boxes .box")
    settle(page)
    screenshot(page, "phone-photo")
    assert answer(page) == "7"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


def test_files_that_are_not_images_or_too_large_get_a_clear_message(
    open_page: Callable[..., Session],
) -> None:
    session = open_page()
    session.watch.allowed_statuses.add(415)
    page = session.page
    page.click("#tab-photo")
    upload(page, "notes.txt", "text/plain", b"shopping list: milk, eggs\n")
    page.wait_for_selector("#error:not([hidden])")
    message = page.inner_text("#error")
    assert "not an image" in message.lower()
    assert page.is_hidden("#photo-stage")
    assert answer_state(page) == "empty"
    screenshot(page, "desktop-photo-error")

    big = b"\x89PNG\r\n\x1a\n" + bytes(UPLOAD_LIMIT + 1024)
    upload(page, "huge.png", "image/png", big)
    page.wait_for_selector("#error:has-text('too large')")
    assert "The limit is 3 MiB." in page.inner_text("#error")


def test_drop_and_paste_a_photo(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    photo = photo_of_digit(2, seed=5)
    payload = base64.b64encode(photo.data).decode()
    make_transfer = """(data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "photo.jpg", { type: "image/jpeg" }));
      return transfer;
    }"""
    # Dropped on the drawing pad: the page switches to photo mode by itself.
    transfer = page.evaluate_handle(make_transfer, payload)
    page.dispatch_event("#pad-stage", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#pad-stage", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("#photo-boxes .box")
    settle(page)
    assert page.get_attribute("#tab-photo", "aria-selected") == "true"
    assert answer(page) == "2"

    page.click("#tab-digit")
    assert answer_state(page) == "empty"
    photo = photo_of_digit(5, seed=6)
    page.evaluate(
        f"""(data) => {{
          const transfer = ({make_transfer})(data);
          document.dispatchEvent(new ClipboardEvent("paste", {{ clipboardData: transfer }}));
        }}""",
        base64.b64encode(photo.data).decode(),
    )
    page.wait_for_selector("#photo-boxes .box")
    settle(page)
    assert answer(page) == "5"
