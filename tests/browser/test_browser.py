"""The drawing page in a real browser: Debian's Chromium driven by Playwright.

The real server (``app.main.create_app`` with the repository's weights) runs in
a background thread on a free port. Digits are drawn by replaying the
hand-written stroke paths of ``tests/strokes.py`` as mouse movements on a
desktop page and as touch events (CDP ``Input.dispatchTouchEvent``, which the
page receives as ``pointerType: "touch"``) on a phone-sized page. Every page
is watched: a console error, an uncaught exception, a failed request or a
request to another origin fails the test. Screenshots of the layouts are
written to ``test-output/``.

One browser serves the whole module; each test opens a fresh context.
"""

from __future__ import annotations

import base64
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from photos import photo_of
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    FloatRect,
    Page,
    Request,
    Route,
    sync_playwright,
)
from strokes import Digit, centred_box, layout_number, place, strokes_for

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 820}, "device_scale_factor": 2}
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
PAD = (280, 280)  # the page's logical drawing size in digit mode
NUMBER_PAD = (560, 280)  # and in number mode
UPLOAD_LIMIT = 3 * 1024 * 1024  # the test server's, small enough to test cheaply

# Records the pointerType of every pointerdown on the pad, and how many un-aborted /predict
# requests are in flight at once (the page must abort the previous one).
WATCH_SCRIPT = """
window.__pointerTypes = [];
addEventListener("pointerdown", (e) => {
  if (e.target.id === "pad") window.__pointerTypes.push(e.pointerType);
}, true);
window.__inFlight = new Set();
window.__maxInFlight = 0;
window.__predictions = 0;
// The same for the look-inside view's /explain requests.
window.__explainsInFlight = new Set();
window.__maxExplainsInFlight = 0;
window.__explains = 0;
const realFetch = window.fetch.bind(window);
window.fetch = (url, init = {}) => {
  const predict = String(url).startsWith("/predict");
  const explain = String(url).startsWith("/explain");
  if (!predict && !explain) return realFetch(url, init);
  if (predict) window.__predictions += 1;
  else window.__explains += 1;
  const entry = { signal: init.signal };
  const flying = predict ? window.__inFlight : window.__explainsInFlight;
  flying.add(entry);
  const live = [...flying].filter((x) => !(x.signal && x.signal.aborted)).length;
  if (predict) window.__maxInFlight = Math.max(window.__maxInFlight, live);
  else window.__maxExplainsInFlight = Math.max(window.__maxExplainsInFlight, live);
  const done = () => flying.delete(entry);
  return realFetch(url, init).then(
    (r) => { r.clone().text().then(done, done); return r; },
    (e) => { done(); throw e; },
  );
};
"""


# --- The server and the browser -----------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _has_weights(settings: Settings) -> bool:
    if settings.weights_path is not None:
        return settings.weights_path.is_file()
    return any((settings.models_dir / f"{name}.json").is_file() for name in settings.model_names)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    settings = replace(
        Settings.from_env(),
        access_log=False,
        log_level="warning",
        max_upload_bytes=UPLOAD_LIMIT,
    )
    if not _has_weights(settings):
        pytest.skip(f"no trained weights in {settings.models_dir} (train with `digits train`)")
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="digits-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start (see the log above)")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium is missing: run scripts/install.sh (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Watch:
    """What went wrong on a page: console errors, exceptions, failed or foreign requests."""

    origin: str
    allowed_statuses: set[int] = field(default_factory=set)
    expected: list[str] = field(default_factory=list)  # problems a test causes on purpose
    found: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [p for p in self.found if not any(e in p for e in self.expected)]

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"exception: {error}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type not in ("error", "warning"):
            return
        text = message.text
        expected = any(f"status of {s}" in text for s in self.allowed_statuses)
        if not expected:
            self.found.append(f"console {message.type}: {text}")

    def _failed(self, request: Request) -> None:
        # Live prediction aborts stale requests on purpose; anything else is a failure.
        live = "/predict" in request.url or "/explain" in request.url
        if "ERR_ABORTED" in (request.failure or "") and live:
            return
        self.found.append(f"request failed: {request.url} {request.failure}")

    def _request(self, request: Request) -> None:
        url = request.url
        if not (url.startswith(self.origin) or url.startswith(("data:", "blob:"))):
            self.found.append(f"request to another origin: {url}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.found.append(f"HTTP {response.status}: {response.url}")


@dataclass
class Session:
    page: Page
    context: BrowserContext
    watch: Watch
    url: str


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


# --- Drawing --------------------------------------------------------------------


def on_screen(
    page: Page, strokes: Digit, logical: tuple[int, int], spacing: float = 10.0
) -> list[list[tuple[float, float]]]:
    """Logical pad coordinates -> CSS pixels in the viewport, about ``spacing`` px apart.

    A quick hand moves the pointer several pixels between events; replaying fewer points
    keeps the tests quick on a busy machine.
    """
    page.locator("#pad").scroll_into_view_if_needed()
    box = rect(page, "#pad")
    sx, sy = box["width"] / logical[0], box["height"] / logical[1]
    out = []
    for stroke in strokes:
        points = [(box["x"] + x * sx, box["y"] + y * sy) for x, y in stroke]
        kept = [points[0]]
        for point in points[1:-1]:
            if abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) >= spacing:
                kept.append(point)
        out.append([*kept, points[-1]] if len(points) > 1 else kept)
    return out


def draw_with_mouse(page: Page, strokes: Digit, logical: tuple[int, int] = PAD) -> None:
    for stroke in on_screen(page, strokes, logical):
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def draw_with_touch(page: Page, strokes: Digit, logical: tuple[int, int] = PAD) -> None:
    cdp = page.context.new_cdp_session(page)
    for stroke in on_screen(page, strokes, logical):
        touch = [{"x": stroke[0][0], "y": stroke[0][1], "id": 1, "radiusX": 4, "radiusY": 4}]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": touch})
        for x, y in stroke[1:]:
            touch = [{"x": x, "y": y, "id": 1, "radiusX": 4, "radiusY": 4}]
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": touch})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def digit_strokes(digit: int | str, style: str | None = None) -> Digit:
    return place(strokes_for(digit, style), centred_box(PAD, fill=0.72))


def rect(page: Page, selector: str) -> FloatRect:
    """The element's box in CSS pixels (it must be rendered)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def settle(page: Page) -> None:
    """Wait until no answer is pending (no debounce timer, no request in flight)."""
    # A selector, not wait_for_function: the page's CSP forbids the eval that needs.
    page.wait_for_selector('#result:not([aria-busy="true"])', state="attached")


def answer(page: Page) -> str:
    return page.inner_text("#answer-value").strip()


def answer_state(page: Page) -> str:
    return page.get_attribute("#answer", "data-state") or ""


def ink_pixels(page: Page) -> int:
    """How many pixels of the displayed pad differ clearly from its background."""
    return int(
        page.evaluate(
            """() => {
              const pad = document.getElementById('pad');
              const c = document.createElement('canvas');
              [c.width, c.height] = [pad.width, pad.height];
              const ctx = c.getContext('2d', { willReadFrequently: true });
              ctx.drawImage(pad, 0, 0);
              const d = ctx.getImageData(0, 0, c.width, c.height).data;
              const [r0, g0, b0] = [d[0], d[1], d[2]];
              let n = 0;
              for (let i = 0; i < d.length; i += 4) {
                const dr = Math.abs(d[i] - r0), dg = Math.abs(d[i + 1] - g0);
                if (dr + dg + Math.abs(d[i + 2] - b0) > 200) n++;
              }
              return n;
            }"""
        )
    )


def read_each_digit(
    page: Page, draw: Callable[[Page, Digit], None], touch: bool = False
) -> dict[int, str]:
    """Draw 0-9 one after the other (clearing between) and collect the answers."""
    answers: dict[int, str] = {}
    for digit in range(10):
        if ink_pixels(page) > 0:
            page.tap("#clear") if touch else page.click("#clear")
        draw(page, digit_strokes(digit))
        settle(page)
        answers[digit] = answer(page)
        assert page.get_attribute(".bar-row.top", "data-digit") == answers[digit]
        article = "an" if answers[digit] == "8" else "a"  # "It's an 8.", "maybe a 3."
        assert f" {article} {answers[digit]}." in page.inner_text("#answer-status")
        assert (page.get_attribute("#seen-image", "src") or "").startswith("data:image/png")
    return answers


def screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # let the bars finish their 0.2 s transition
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


# --- The tests ------------------------------------------------------------------


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


def test_live_prediction_updates_while_drawing(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    (stroke,) = on_screen(page, digit_strokes(0, "oval"), PAD)
    page.mouse.move(*stroke[0])
    page.mouse.down()
    seen_while_drawing = set()
    for i, point in enumerate(stroke[1:], start=1):
        page.mouse.move(*point)
        if i % 6 == 0:
            page.wait_for_timeout(120)  # a person's pace: over a second for the whole 0
            seen_while_drawing.add(page.get_attribute("#seen-image", "src"))
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


def _upload(page: Page, name: str, mime: str, data: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": mime, "buffer": data}
    page.set_input_files("#photo-file", files=[payload])


def _photo_of_digit(digit: int, style: str | None = None, seed: int = 0) -> Any:
    box = (430.0, 210.0, 420.0, 420.0)
    return photo_of([place(strokes_for(digit, style), box)], width=24, seed=seed)


def test_photo_upload_shows_the_digit_its_box_and_what_the_network_saw(
    open_page: Callable[..., Session],
) -> None:
    page = open_page().page
    page.click("#tab-photo")
    photo = _photo_of_digit(4, "open")
    _upload(page, "note.jpg", "image/jpeg", photo.data)
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
    assert _overlap(found, photo.ink_boxes[0]) > 0.6, (found, photo.ink_boxes[0])


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_photo_on_a_phone(open_page: Callable[..., Session]) -> None:
    page = open_page(PHONE).page
    page.tap("#tab-photo")
    assert page.get_attribute("#photo-camera", "capture") == "environment"
    # The prompt wraps within the answer box instead of losing its end.
    assert page.inner_text("#answer-status") == "Choose, drop or paste a photo."
    clipped = "(e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1"
    assert not page.eval_on_selector("#answer-status", clipped)
    photo = _photo_of_digit(7, "crossed", seed=3)
    _upload(page, "photo.jpg", "image/jpeg", photo.data)
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
    _upload(page, "notes.txt", "text/plain", b"shopping list: milk, eggs\n")
    page.wait_for_selector("#error:not([hidden])")
    message = page.inner_text("#error")
    assert "not an image" in message.lower()
    assert page.is_hidden("#photo-stage")
    assert answer_state(page) == "empty"
    screenshot(page, "desktop-photo-error")

    big = b"\x89PNG\r\n\x1a\n" + bytes(UPLOAD_LIMIT + 1024)
    _upload(page, "huge.png", "image/png", big)
    page.wait_for_selector("#error:has-text('too large')")
    assert "The limit is 3 MiB." in page.inner_text("#error")


def test_drop_and_paste_a_photo(open_page: Callable[..., Session]) -> None:
    page = open_page().page
    photo = _photo_of_digit(2, seed=5)
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
    photo = _photo_of_digit(5, seed=6)
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


def line_points(start: tuple[float, float], end: tuple[float, float], n: int = 30) -> list:
    return [
        (start[0] + (end[0] - start[0]) * i / n, start[1] + (end[1] - start[1]) * i / n)
        for i in range(n + 1)
    ]


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
    _upload(page, "blank.jpg", "image/jpeg", photo_of([], seed=9).data)
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


# --- The API docs, offline -------------------------------------------------------


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


# --- Look inside ------------------------------------------------------------------


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
    page.mouse.move(*stroke[0])
    page.mouse.down()
    seen_while_drawing = set()
    for i, point in enumerate(stroke[1:], start=1):
        page.mouse.move(*point)
        if i % 6 == 0:
            page.wait_for_timeout(400)  # slower than a person: time for an answer on a busy machine
            seen = page.locator(".inside-why-maps img").first
            seen_while_drawing.add(seen.get_attribute("src") if seen.count() else None)
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
    _upload(page, "note.jpg", "image/jpeg", _photo_of_digit(4, "open").data)
    page.wait_for_selector("#photo-boxes .box")
    check_inside(page, "4")


# --- Accessibility ----------------------------------------------------------------


def axe_violations(page: Page) -> str:
    """axe-core's report of the page as it is now ('' when it finds nothing)."""
    results = Axe().run(page)
    return results.generate_report() if results.violations_count else ""


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
    _upload(page, "photo.jpg", "image/jpeg", _photo_of_digit(3, seed=2).data)
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
