"""The look-inside view: each layer's maps for the drawing, live while drawing, on a
phone light and dark, and for each digit of a number and of a photo."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from harness import (
    DESKTOP,
    NUMBER_PAD,
    PAD,
    PHONE,
    Session,
    axe_violations,
    digit_strokes,
    draw_pen_down,
    draw_with_mouse,
    draw_with_touch,
    on_screen,
    photo_of_digit,
    rect,
    screenshot,
    settle,
    upload,
)
from PIL import Image
from playwright.sync_api import Page
from strokes import layout_number

from app.vision.pipeline import load_image, prepare_digit
from model.mnist import MNIST
from model.second_look import SECOND_LOOK_BELOW, served_read
from model.weights import load

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]


def settle_inside(page: Page) -> None:
    """Wait until the look-inside view shows an answer and has nothing pending."""
    page.wait_for_selector('#inside[data-digit]:not([aria-busy="true"])', state="attached")


def inside_pictures(page: Page) -> list[str]:
    """The view's picture sources, once every one of them has loaded."""
    pictures = page.locator("#inside img")
    loaded = "(images) => images.every((i) => i.complete && i.naturalWidth > 0)"
    for _ in range(50):
        if pictures.evaluate_all(loaded):
            break
        page.wait_for_timeout(100)
    assert pictures.evaluate_all(loaded), "a picture of the view did not load"
    return [src or "" for src in pictures.evaluate_all("(images) => images.map((i) => i.src)")]


def open_inside(page: Page, tap: bool = False) -> None:
    page.tap("#look-inside") if tap else page.click("#look-inside")
    assert page.get_attribute("#look-inside", "aria-expanded") == "true"
    assert page.locator("#inside").is_visible()


def check_inside(page: Page, digit: str) -> list[str]:
    """The view explains ``digit``: every layer, the probabilities, the filters, why / why not."""
    settle_inside(page)
    assert page.get_attribute("#inside", "data-digit") == digit
    layers = page.locator(".inside-layer")
    # The shipped CNN: 2 x (conv, pool, norm, ReLU), dense, ReLU, output; then probabilities.
    assert layers.count() == 12
    captions = layers.locator("figcaption").all_inner_texts()
    assert all(len(text) > 30 for text in captions), captions
    assert page.locator(".inside-probabilities .top .inside-bar-digit").inner_text() == digit
    runner_up = page.locator(".inside-probabilities .second .inside-bar-digit").inner_text()
    # the shipped CNN's eleventh output, "not a digit", is shown apart from the ten bars
    refusal = page.locator(".inside-refusal").inner_text()
    assert refusal.startswith('An eleventh output scores "not a digit at all": ')
    assert page.locator(".inside-probabilities .inside-bar-digit").count() == 10
    why = page.inner_text("#inside-why-title")
    assert why == f"Why {digit} and not {runner_up}?"
    assert page.locator(".inside-why-maps img").count() == 4
    assert page.locator(".inside-filters img").count() == 1
    sources = inside_pictures(page)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    alts = page.locator("#inside img").evaluate_all("(images) => images.map((i) => i.alt)")
    assert all(alts), "every picture has alt text"
    return sources


def test_look_inside_follows_the_drawing_on_a_desktop(open_page: Callable[..., Session]) -> None:
    session = open_page()
    page = session.page
    open_inside(page)
    assert page.inner_text("#inside-status") == "Draw a digit to look inside."
    draw_with_mouse(page, digit_strokes(4))
    settle(page)
    four = check_inside(page, "4")
    screenshot(page, "desktop-inside")
    assert axe_violations(page) == ""
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["viewport"]["width"]

    page.click("#clear")
    assert page.inner_text("#inside-status") == "Draw a digit to look inside."
    assert page.locator(".inside-layer").count() == 0
    draw_with_mouse(page, digit_strokes(7))
    settle(page)
    seven = check_inside(page, "7")
    assert len(seven) == len(four)
    changed = sum(a != b for a, b in zip(four, seven, strict=True))
    assert changed >= len(four) - 2  # every map but the learned filters (the same network)

    page.click("#inside-close")
    assert page.locator("#inside").is_hidden()
    assert page.evaluate("document.activeElement.id") == "look-inside"


def test_look_inside_updates_while_drawing(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    open_inside(page)
    (stroke,) = on_screen(page, digit_strokes(0, "oval"), PAD)

    def maps(page: Page) -> str | None:
        seen = page.locator(".inside-why-maps img").first
        return seen.get_attribute("src") if seen.count() else None

    # slower than a person: time for an answer on a busy machine
    seen_while_drawing = draw_pen_down(page, stroke, 400, maps)
    explained_before_lifting = page.evaluate("window.__explains")
    page.mouse.up()
    settle(page)
    check_inside(page, "0")
    assert explained_before_lifting >= 2, "the view did not follow the pen"
    assert seen_while_drawing - {None}, "no maps while the pen was down"
    assert page.evaluate("window.__maxExplainsInFlight") == 1  # stale requests aborted
    assert page.evaluate("window.__explains") < len(stroke) / 3  # debounced


def test_look_inside_on_a_phone_light_and_dark(open_page: Callable[..., Session]) -> None:
    for scheme in ("light", "dark"):
        page = open_page({**PHONE}, color_scheme=scheme).page
        draw_with_touch(page, digit_strokes(4))
        settle(page)
        open_inside(page, tap=True)
        check_inside(page, "4")
        screenshot(page, f"phone-inside-{scheme}")
        assert axe_violations(page) == ""
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
        box = rect(page, ".inside-why-maps img")
        assert box["width"] >= 100  # the why maps stay big enough to see on a phone


def test_look_inside_each_digit_of_a_number_and_a_photo(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    page.click("#tab-number")
    open_inside(page)
    draw_with_mouse(page, layout_number("49", NUMBER_PAD, fill=0.62), NUMBER_PAD)
    settle(page)
    check_inside(page, "4")
    choices = page.locator(".inside-choice")
    assert choices.all_inner_texts() == ["Digit 1: 4", "Digit 2: 9"]
    choices.nth(1).click()
    assert page.get_attribute("#inside", "data-digit") == "9"
    assert choices.nth(1).get_attribute("aria-pressed") == "true"
    assert page.inner_text("#inside-status").startswith("Digit 2 of 2: 9")
    screenshot(page, "desktop-inside-number")
    assert axe_violations(page) == ""  # the digit buttons too

    page.click("#tab-photo")
    assert page.inner_text("#inside-status") == "Choose a photo to look inside."
    upload(page, "note.jpg", "image/jpeg", photo_of_digit(4, "open").data)
    page.wait_for_selector("#photo-boxes .box")
    check_inside(page, "4")


def unsure_digit_png(mnist: MNIST) -> tuple[bytes, int]:
    """The first MNIST test digit, drawn large on white, that the shipped CNN is unsure of
    after the pipeline (so it looks twice), and the digit its second look reads."""
    network, _ = load(REPO / "weights" / "cnn.json")
    for index in range(len(mnist.test_images)):
        picture = Image.fromarray(255 - mnist.test_images[index]).resize((280, 280))
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        prepared = prepare_digit(load_image(buffer.getvalue()))
        if len(prepared.pieces) != 1:
            continue
        image = prepared.pieces[0].image[None].astype(np.float32)
        if network.read(image, fast=True)[0].max() < SECOND_LOOK_BELOW:
            return buffer.getvalue(), int(served_read(network, image)[0].argmax())
    raise AssertionError("the shipped CNN is sure of every MNIST test digit")


@pytest.mark.parametrize("device", ["desktop", "phone-dark"])
def test_look_inside_shows_a_second_look(
    open_page: Callable[..., Session], mnist: MNIST, device: str
) -> None:
    png, answer = unsure_digit_png(mnist)
    phone = device.startswith("phone")
    page = (open_page({**PHONE}, color_scheme="dark") if phone else open_page()).page
    page.click("#tab-photo")
    open_inside(page)
    upload(page, "unsure.png", "image/png", png)
    settle_inside(page)
    assert page.inner_text("#inside-second-look-title") == f"A second look: {answer}"
    assert f"a second look reads {answer}" in page.inner_text("#inside-status")
    section = page.locator(".inside-second-look")
    assert section.locator("img").count() == 1
    assert section.locator("figcaption").inner_text().startswith("Unsure at first sight (")
    inside_pictures(page)
    screenshot(page, f"{device}-inside-second-look")
    assert axe_violations(page) == ""
    viewport = (PHONE if phone else DESKTOP)["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport
