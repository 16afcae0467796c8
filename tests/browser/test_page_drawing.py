"""Drawing on the pad with a mouse and a finger: every digit read, undo, clear, live
answers, the brush, specks, a cancelled pointer and the dark theme."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import (
    PAD,
    PHONE,
    Session,
    answer,
    answer_state,
    digit_strokes,
    draw_pen_down,
    draw_with_mouse,
    draw_with_touch,
    ink_pixels,
    line_points,
    on_screen,
    read_each_digit,
    rect,
    screenshot,
    settle,
    upload,
)
from photos import photo_of
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_mouse_drawing_reads_every_digit(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    answers = read_each_digit(page, draw_with_mouse)
    screenshot(page, "desktop-digit")
    assert answers == {d: str(d) for d in range(10)}
    assert set(page.evaluate("window.__pointerTypes")) == {"mouse"}
    assert page.evaluate("window.__maxInFlight") == 1


def test_touch_drawing_on_a_phone_reads_every_digit(open_page: Callable[..., Session]) -> None:
    page = open_page(PHONE).page
    answers = read_each_digit(page, draw_with_touch, touch=True)
    screenshot(page, "phone-digit")
    assert answers == {d: str(d) for d in range(10)}
    assert set(page.evaluate("window.__pointerTypes")) == {"touch"}
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    # The answer sits above the pad, so it is in view while drawing.
    answer_box, pad_box = rect(page, "#answer"), rect(page, "#pad")
    assert answer_box["y"] + answer_box["height"] <= pad_box["y"]


def test_undo_and_clear(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    first, second = digit_strokes(4, "closed")
    draw_with_mouse(page, [first, second])
    settle(page)
    assert answer(page) == "4"
    full_ink, full_seen = ink_pixels(page), page.get_attribute("#seen-image", "src")

    page.keyboard.press("Control+z")  # undo the upright: only the open angle is left
    settle(page)
    assert 0 < ink_pixels(page) < full_ink * 0.8
    assert page.get_attribute("#seen-image", "src") != full_seen

    draw_with_mouse(page, [second])
    settle(page)
    assert answer(page) == "4"
    page.click("#undo")
    page.click("#undo")
    settle(page)
    assert ink_pixels(page) == 0 and answer_state(page) == "empty"
    assert page.is_disabled("#undo") and page.is_disabled("#clear")

    draw_with_mouse(page, digit_strokes(7))
    settle(page)
    assert answer(page) == "7"
    sent = page.evaluate("window.__predictions")
    page.keyboard.press("Escape")
    assert ink_pixels(page) == 0
    assert answer(page) == "?" and answer_state(page) == "empty"
    assert "Draw a digit" in page.inner_text("#answer-status")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__predictions") == sent  # nothing sent for an empty pad

    draw_with_mouse(page, digit_strokes(1))
    settle(page)
    page.click("#clear")
    assert ink_pixels(page) == 0 and answer_state(page) == "empty"


def seen_image(page: Page) -> str | None:
    return page.get_attribute("#seen-image", "src")


def test_live_prediction_updates_while_drawing(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    (stroke,) = on_screen(page, digit_strokes(0, "oval"), PAD)
    # a person's pace: over a second for the whole 0
    seen_while_drawing = draw_pen_down(page, stroke, 120, seen_image)
    answered_before_lifting = page.evaluate("window.__predictions")
    state_before_lifting = answer_state(page)
    page.mouse.up()
    settle(page)
    assert answered_before_lifting >= 2, "no prediction while the pen was down"
    assert state_before_lifting != "empty"
    assert len(seen_while_drawing - {None}) >= 2, "the answer did not change while drawing"
    assert answer(page) == "0"
    assert page.evaluate("window.__maxInFlight") == 1
    assert "0" in page.inner_text("#announce")


def test_dark_theme_follows_the_system(open_page: Callable[..., Session]) -> None:
    page = open_page(color_scheme="dark").page
    draw_with_mouse(page, digit_strokes(8))
    settle(page)
    screenshot(page, "desktop-dark")
    assert answer(page) == "8"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(v) for v in background[background.index("(") + 1 : -1].split(",")[:3]]
    assert max(channels) < 60, background

    phone = open_page({**PHONE}, color_scheme="dark").page
    draw_with_touch(phone, digit_strokes(6))
    settle(phone)
    screenshot(phone, "phone-dark")
    assert answer(phone) == "6"


def test_brush_size_can_be_changed(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    stroke = [line_points((60, 140), (220, 140))]
    draw_with_mouse(page, stroke)
    thin = ink_pixels(page)
    page.click("#clear")
    page.fill("#brush", "48")
    page.dispatch_event("#brush", "input")
    draw_with_mouse(page, stroke)
    assert ink_pixels(page) > 1.6 * thin
    assert page.get_attribute("#brush", "aria-valuetext") == "48 pixels"


def test_a_speck_is_not_sent_and_a_blank_photo_has_no_digit(
    open_page: Callable[..., Session],
) -> None:
    session = open_page()
    session.watch.allowed_statuses.add(422)
    page = session.page
    draw_with_mouse(page, [[(140.0, 140.0)]])  # one click: a dot
    page.wait_for_timeout(400)
    assert page.evaluate("window.__predictions") == 0
    assert answer_state(page) == "none"
    assert "larger" in page.inner_text("#answer-detail")

    page.click("#tab-photo")
    upload(page, "blank.jpg", "image/jpeg", photo_of([], seed=9).data)
    page.wait_for_selector('#answer[data-state="none"]')
    assert "No digit found" in page.inner_text("#answer-status")
    assert "No digit found" in page.inner_text("#announce")


def test_pointercancel_ends_the_stroke(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    (stroke,) = on_screen(page, [[(60.0, 60.0), (140.0, 60.0), (220.0, 60.0)]], PAD)
    page.mouse.move(*stroke[0])
    page.mouse.down()
    page.mouse.move(*stroke[1])
    page.dispatch_event("#pad", "pointercancel", {"pointerId": 1, "pointerType": "mouse"})
    drawn = ink_pixels(page)
    page.mouse.move(*stroke[2])  # the button is still down, but the stroke has ended
    page.mouse.move(stroke[2][0], stroke[2][1] + 80)
    page.mouse.up()
    settle(page)
    assert 0 < drawn == ink_pixels(page)
    page.keyboard.press("Control+z")
    assert ink_pixels(page) == 0  # the cancelled stroke was one stroke in the history
