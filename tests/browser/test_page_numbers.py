"""Numbers: number mode on a desktop and a phone, a number drawn on the digit pad, and
how unsure answers and numbers are said in words."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import (
    NUMBER_PAD,
    PAD,
    PHONE,
    Session,
    answer,
    answer_state,
    digit_strokes,
    draw_with_mouse,
    draw_with_touch,
    rect,
    screenshot,
    settle,
)
from strokes import centred_box, layout_number, place, strokes_for

pytestmark = pytest.mark.browser


def test_number_mode_reads_a_three_digit_number(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    page.click("#tab-number")
    assert rect(page, "#pad-stage")["width"] > 700  # the wide pad
    strokes = layout_number("305", NUMBER_PAD, fill=0.62)
    draw_with_mouse(page, strokes, NUMBER_PAD)
    settle(page)
    screenshot(page, "desktop-number")
    assert answer(page) == "305"
    cards = page.locator("#digit-cards .digit-card")
    assert cards.count() == 3
    assert page.locator(".digit-card-digit").all_inner_texts() == ["3", "0", "5"]
    # Each digit's box is over the digit drawn there.
    pad = rect(page, "#pad")
    boxes = page.locator("#pad-boxes .box")
    assert boxes.count() == 3
    digit_spans = [
        (min(x for s in strokes[a:b] for x, _ in s), max(x for s in strokes[a:b] for x, _ in s))
        for a, b in ((0, 1), (1, 2), (2, 4))  # 3: one stroke, 0: one, 5: two
    ]
    for box, (left, right) in zip(boxes.all(), digit_spans, strict=True):
        b = box.bounding_box()
        assert b is not None
        centre = (b["x"] + b["width"] / 2 - pad["x"]) * NUMBER_PAD[0] / pad["width"]
        assert left <= centre <= right
        assert box.inner_text().strip() in "305"


def test_a_number_on_the_digit_pad_is_said_and_read_as_a_number(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    draw_with_mouse(page, layout_number("17", PAD, fill=0.5))
    settle(page)
    assert page.locator("#several").is_visible()
    assert page.inner_text("#answer-detail").endswith("sure; it looks like 2 digits")
    assert (
        page.inner_text("#several-text")
        == "This looks like 2 digits. Digit mode reads them as one."
    )
    screenshot(page, "desktop-digit-several")
    page.click("#read-number")
    settle(page)
    assert page.get_attribute("body", "data-mode") == "number"
    assert answer(page) == "17"  # the drawing came along
    assert page.locator("#pad-boxes .box").count() == 2
    assert page.locator("#several").is_hidden()
    page.click("#tab-digit")
    draw_with_mouse(page, place(strokes_for("7"), centred_box(PAD)))
    settle(page)
    assert answer(page) == "7"
    assert page.locator("#several").is_hidden()


def test_number_mode_on_a_phone(open_page: Callable[..., Session]) -> None:
    page = open_page(PHONE).page
    page.tap("#tab-number")
    draw_with_touch(page, layout_number("47", NUMBER_PAD, fill=0.62), NUMBER_PAD)
    settle(page)
    screenshot(page, "phone-number")
    assert answer(page) == "47"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


def test_unsure_and_number_answers_are_said_in_words(open_page: Callable[..., Session]) -> None:
    """The page's wording for answers the network is unsure of (the API's contract)."""
    page = open_page().page
    unsure = {
        "digit": 7,
        "confidence": 0.48,
        "status": "unsure",
        "top": [{"digit": 7, "probability": 0.48}, {"digit": 1, "probability": 0.41}],
        "image": None,
        "model": {},
        "timing_ms": {},
    }
    page.route("**/predict?*", lambda route: route.fulfill(json=unsure))
    draw_with_mouse(page, digit_strokes(7))
    settle(page)
    assert answer(page) == "7" and answer_state(page) == "unsure"
    assert "Not sure" in page.inner_text("#answer-status")
    assert "1 (41%)" in page.inner_text("#answer-detail")
    assert "Not sure" in page.inner_text("#announce")
    assert page.get_attribute(".bar-row.second", "data-digit") == "1"

    number = {
        "number": "17",
        "confidence": 0.4,
        "status": "unsure",
        "digits": [
            {**unsure, "digit": 1, "confidence": 0.9, "status": "ok", "box": [50, 60, 30, 150]},
            {**unsure, "box": [300, 60, 120, 150]},
        ],
        "model": {},
        "timing_ms": {},
    }
    page.route("**/predict/number?*", lambda route: route.fulfill(json=number))
    page.click("#tab-number")
    draw_with_mouse(page, layout_number("17", NUMBER_PAD, fill=0.6), NUMBER_PAD)
    settle(page)
    assert answer(page) == "17" and answer_state(page) == "unsure"
    assert "Probably 17" in page.inner_text("#answer-status")
    assert "17?" in page.inner_text("#answer-detail")
    assert page.locator("#pad-boxes .box.unsure").count() == 1
    assert page.locator("#digit-cards .digit-card.unsure").count() == 1
