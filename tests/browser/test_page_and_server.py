"""The page with the server around it: choosing among several models, a server that
cannot be reached, and ``/docs`` rendered with every outside request blocked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import Session, answer, digit_strokes, draw_with_mouse, screenshot, settle
from playwright.sync_api import Browser, Route

pytestmark = pytest.mark.browser


def test_the_model_can_be_chosen_when_several_are_served(
    open_page: Callable[..., Session],
) -> None:
    session = open_page()
    page = session.page
    available = page.request.get(session.url + "/model").json()["available"]
    if len(available) < 2:
        pytest.skip("the server has only one model: the page shows no choice")
    current = page.input_value("#model-select")
    other = next(name for name in available if name != current)
    page.select_option("#model-select", other)
    page.wait_for_selector(f"#model-info:has-text('Model: {other}')")
    assert f"({other})" not in page.inner_text("#model-info")  # not "Model: mlp (mlp)"
    with page.expect_request(lambda r: "/predict" in r.url) as sent:
        draw_with_mouse(page, digit_strokes(3))
    assert f"model={other}" in sent.value.url
    settle(page)
    assert answer(page) == "3"


def test_an_unreachable_server_is_said_in_words(open_page: Callable[..., Session]) -> None:
    session = open_page()
    session.watch.expected.append("ERR_FAILED")
    page = session.page
    draw_with_mouse(page, digit_strokes(1))
    settle(page)
    assert answer(page) == "1"
    page.route("**/predict?*", lambda route: route.abort("failed"))
    page.keyboard.press("Control+z")
    draw_with_mouse(page, digit_strokes(7))
    page.wait_for_selector("#error:not([hidden])")
    assert "Cannot reach the server" in page.inner_text("#error")
    assert "Cannot reach the server" in page.inner_text("#announce")
    page.unroute("**/predict?*")
    draw_with_mouse(page, [[(30.0, 250.0), (60.0, 250.0)]])  # any change asks again
    settle(page)
    assert page.is_hidden("#error")


@pytest.mark.parametrize(
    ("path", "operation"),
    [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id^='operation/']")],
)
def test_api_docs_list_the_operations_with_every_outside_request_blocked(
    browser: Browser, server_url: str, path: str, operation: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if url.startswith((server_url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url + path)
    page.wait_for_selector(operation, timeout=30_000)
    listed = " ".join(page.locator(operation).all_inner_texts())
    for route_path in ("/predict", "/predict/number", "/predict/batch", "/health", "/model"):
        assert route_path in listed or route_path.strip("/") in listed.lower(), listed
    screenshot(page, f"desktop{path.replace('/', '-')}")
    context.close()
    assert outside == [], outside
    assert errors == []
