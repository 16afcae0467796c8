"""What the browser tests share: the Chromium flags, the devices, the watch on every page,
and the hands that draw, tap, upload and read the answer.

Digits are drawn by replaying the hand-written stroke paths of ``tests/strokes.py``
as mouse movements on a desktop page and as touch events (CDP
``Input.dispatchTouchEvent``, which the page receives as ``pointerType:
"touch"``) on a phone-sized page. ``Watch`` records what went wrong on a page: a
console error, an uncaught exception, a failed request or a request to another
origin; the ``open_page`` fixture (``conftest.py``) fails the test on any of them.
Screenshots are written to ``test-output/``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    sync_playwright,
)
from strokes import Digit, centred_box, place, strokes_for

from app.main import create_app
from app.settings import Settings

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
POINTS_PER_LOOK = 6  # drawing while the pen is down: look at the page every 6 points
UPLOAD_LIMIT = 3 * 1024 * 1024  # the test server's, small enough to test cheaply
#: How long a test server may take to load its models and listen.
SERVER_START_SECONDS = 60
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
  if (predict) window.__lastPredictBody = init.body; // what the page sent, to read back
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def has_weights(settings: Settings) -> bool:
    if settings.weights_path is not None:
        return settings.weights_path.is_file()
    return any((settings.models_dir / f"{name}.json").is_file() for name in settings.model_names)


@contextmanager
def serving(settings: Settings, name: str = "digits-test-server") -> Iterator[str]:
    """The real app with ``settings`` served by uvicorn in a background thread on a free
    port, for the ``with`` block; yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start (see the log above)")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright, for the ``with`` block."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Chromium is missing: run scripts/install.sh (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
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


def draw_pen_down(
    page: Page, stroke: list[tuple[float, float]], pause_ms: int, look: Callable[[Page], object]
) -> set[object]:
    """Draw one on-screen stroke and leave the pen down, pausing every few points to
    ``look`` at the page: what the page showed while the pen was still moving."""
    page.mouse.move(*stroke[0])
    page.mouse.down()
    seen = set()
    for i, point in enumerate(stroke[1:], start=1):
        page.mouse.move(*point)
        if i % POINTS_PER_LOOK == 0:
            page.wait_for_timeout(pause_ms)
            seen.add(look(page))
    return seen


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


def upload(page: Page, name: str, mime: str, data: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": mime, "buffer": data}
    page.set_input_files("#photo-file", files=[payload])


def photo_of_digit(digit: int, style: str | None = None, seed: int = 0) -> Any:
    box = (430.0, 210.0, 420.0, 420.0)
    return photo_of([place(strokes_for(digit, style), box)], width=24, seed=seed)


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def line_points(start: tuple[float, float], end: tuple[float, float], n: int = 30) -> list:
    return [
        (start[0] + (end[0] - start[0]) * i / n, start[1] + (end[1] - start[1]) * i / n)
        for i in range(n + 1)
    ]


def axe_violations(page: Page) -> str:
    """axe-core's report of the page as it is now ('' when it finds nothing)."""
    results = Axe().run(page)
    return results.generate_report() if results.violations_count else ""
