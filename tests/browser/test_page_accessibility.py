"""Accessibility and a strict page: self-contained under its policy, keyboard operation,
axe-core on every tab light and dark, the camera input, the pad's focus ring and the
live region."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import (
    DESKTOP,
    NUMBER_PAD,
    PHONE,
    Session,
    answer_state,
    axe_violations,
    digit_strokes,
    draw_with_mouse,
    draw_with_touch,
    photo_of_digit,
    screenshot,
    settle,
    upload,
)
from strokes import layout_number

pytestmark = pytest.mark.browser


def test_page_is_self_contained_labelled_and_under_a_strict_policy(
    open_page: Callable[..., Session],
) -> None:
    session = open_page()
    page = session.page
    response = page.request.get(session.url + "/")
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    html = response.text()
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assert "http://" not in html.replace(session.url, "") and "https://" not in html

    assert page.get_attribute("#pad", "aria-label")
    assert page.get_attribute("#announce", "aria-live") == "polite"
    assert page.locator('[role="tab"][aria-selected="true"]').inner_text() == "Digit"
    assert "Draw" in page.inner_text("#draw-hint")
    assert page.evaluate("getComputedStyle(document.getElementById('pad')).touchAction") == "none"

    model = page.request.get(session.url + "/model").json()
    footer = page.inner_text("#model-info")
    assert model["name"] in footer
    if model.get("test_accuracy"):
        assert f"{model['test_accuracy'] * 100:.1f}%" in footer

    # High-DPI: the backing store has device pixels, not CSS pixels.
    width, css_width = page.evaluate(
        "[document.getElementById('pad').width,"
        " document.getElementById('pad').getBoundingClientRect().width]"
    )
    assert width == round(css_width * 2)
    # Nothing is sent for an empty canvas.
    page.wait_for_timeout(700)
    assert page.evaluate("window.__predictions") == 0
    assert answer_state(page) == "empty"


def test_keyboard_operation(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    page.on("filechooser", lambda chooser: None)  # intercept file dialogs from the start
    page.focus("#tab-digit")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-number", "aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-number"
    page.keyboard.press("ArrowRight")
    assert page.is_visible("#dropzone") and page.is_hidden("#pad")
    page.focus("#dropzone")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert not chooser.value.is_multiple()
    page.keyboard.press("Home")  # focus is on the drop zone: Home does nothing there
    page.focus("#tab-photo")
    page.keyboard.press("Home")
    assert page.get_attribute("#tab-digit", "aria-selected") == "true"
    # Every control can be reached with Tab.
    page.focus("#tab-digit")
    reached = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    assert {"pad", "brush"} <= reached


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_finds_nothing_on_any_tab_after_drawing(
    open_page: Callable[..., Session], device: str, scheme: str
) -> None:
    phone = device == "phone"
    page = open_page(PHONE if phone else DESKTOP, color_scheme=scheme).page
    draw = draw_with_touch if phone else draw_with_mouse
    found = {"empty pad": axe_violations(page)}  # the "Draw here" placeholder in view

    draw(page, digit_strokes(8))
    settle(page)
    found["digit"] = axe_violations(page)
    screenshot(page, f"{device}-{scheme}-digit")

    page.click("#tab-number")
    draw(page, layout_number("47", NUMBER_PAD, fill=0.62), NUMBER_PAD)
    page.wait_for_selector("#pad-boxes .box")
    settle(page)
    found["number"] = axe_violations(page)  # the digit boxes' labels
    screenshot(page, f"{device}-{scheme}-number")

    page.click("#tab-photo")
    upload(page, "photo.jpg", "image/jpeg", photo_of_digit(3, seed=2).data)
    page.wait_for_selector("#photo-boxes .box")
    settle(page)
    found["photo"] = axe_violations(page)
    screenshot(page, f"{device}-{scheme}-photo")

    assert {tab: report for tab, report in found.items() if report} == {}


def test_the_camera_input_is_gone_with_a_mouse_and_there_on_a_phone(
    open_page: Callable[..., Session],
) -> None:
    desktop = open_page().page
    desktop.click("#tab-photo")
    assert desktop.is_hidden("#photo-camera") and desktop.is_hidden("label[for=photo-camera]")
    desktop.focus("#dropzone")
    reached = set()
    for _ in range(8):
        desktop.keyboard.press("Tab")
        reached.add(desktop.evaluate("document.activeElement.id"))
    assert "photo-file" in reached and "photo-camera" not in reached

    phone = open_page(PHONE).page
    phone.tap("#tab-photo")
    assert phone.is_visible("label[for=photo-camera]")


def test_the_pads_focus_ring_is_drawn_where_nothing_cuts_it_off(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    page.focus("#tab-digit")
    for _ in range(4):
        if page.evaluate("document.activeElement.id") == "pad":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "pad"
    ring = page.eval_on_selector(
        "#pad-stage",
        "(e) => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }",
    )
    assert ring == ["solid", "3px"]
    # Nothing round the stage clips: its ring (3px, 2px off) stays inside its parent's box.
    clipped = page.eval_on_selector(
        "#pad-stage",
        """(e) => { for (let p = e.parentElement; p; p = p.parentElement) {
             if (getComputedStyle(p).overflow !== "visible") return p.id || p.className; }
           return ""; }""",
    )
    assert clipped == ""
    screenshot(page, "desktop-pad-focused")


def test_the_live_region_falls_silent_after_clear_and_a_mode_switch(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    announced = "document.getElementById('announce').textContent"
    draw_with_mouse(page, digit_strokes(4))
    settle(page)
    assert page.evaluate(announced).startswith("4")
    page.click("#clear")
    assert page.evaluate(announced) == ""
    draw_with_mouse(page, digit_strokes(4))
    settle(page)
    assert page.evaluate(announced).startswith("4")
    page.click("#tab-photo")
    assert page.evaluate(announced) == ""
