"""``digits explain IMAGE --out DIR``: the look-inside view as files, offline.

It runs what ``POST /explain`` runs (``app.service.explain_view``) on one image and
writes, into ``DIR``:

- ``index.html``: one self-contained page (every picture inlined, no scripts, no
  network) with each layer's maps and caption, the probabilities, the first
  layer's filters and the why / why-not maps;
- every picture as a PNG of its own (``input.png``, ``layer-00-convolution-1.png``,
  ..., ``filters.png``, ``why-4.png``, ``why-not-9.png``, ``4-versus-9.png``, and
  ``second-look.png`` where an unsure CNN looked again), each
  map pixel drawn ``--zoom`` pixels wide; with ``--number``, one folder per digit
  (``digit-1/``, ``digit-2/``, ...);
- ``explain.json``: the API's answer, numbers and all.
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import sys
from pathlib import Path

from app.cli.service import EXIT_INPUT_ERROR, EXIT_SETUP_ERROR, add_model_options, read_file, setup
from app.service.explain_schemas import DigitInside, ExplainResponse
from app.service.explain_view import TIMES, ExplainRequest, explain_image
from app.service.inputs import image_bytes
from app.service.predictor import Options, status_of
from app.vision.errors import InputError

#: picture pixels per map pixel in the files (the page scales them itself)
DEFAULT_ZOOM = 4
MAX_ZOOM = 16


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="look inside the network: each layer's maps and why it chose the digit",
        description="Write each layer's maps, the first layer's filters and the why / why-not "
        "maps of one image as PNG files and one self-contained HTML page.",
    )
    parser.add_argument("file", help="image file (PNG, JPEG, ...); - for stdin")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--number", action="store_true", help="the image holds a number: explain each digit"
    )
    parser.add_argument(
        "--zoom", type=int, default=DEFAULT_ZOOM, help=f"pixels per map pixel, 1-{MAX_ZOOM}"
    )
    add_model_options(parser)
    parser.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    if not 1 <= args.zoom <= MAX_ZOOM:
        print(f"digits explain: --zoom must be between 1 and {MAX_ZOOM}", file=sys.stderr)
        return EXIT_SETUP_ERROR
    ready = setup(args, "explain")
    if ready is None:
        return EXIT_SETUP_ERROR
    settings, registry, _overrides = ready
    options = Options.of(settings)
    try:
        data = read_file(args.file, settings.max_upload_bytes)
        source = image_bytes(data, settings.max_upload_bytes)
        answer = explain_image(
            registry.get(), ExplainRequest(source, args.number, args.zoom), options
        )
    except InputError as exc:
        print(f"{args.file}: {exc.detail}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    try:
        written = write_explanation(answer, args.out, args.number)
    except OSError as exc:
        print(f"digits explain: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_SETUP_ERROR
    read = reading(answer, options)
    print(f"{args.file}: {read}; {len(written)} files in {args.out} (open index.html)")
    return 0


def reading(answer: ExplainResponse, options: Options) -> str:
    """The digits read, or "not a digit" with them as the best guess, as ``predict`` says."""
    read = answered(answer)
    refused = any(
        status_of(digit.confidence, digit.not_a_digit or 0.0, options) == "not_a_digit"
        for digit in answer.digits
    )
    return f"not a digit (best guess {read})" if refused else read


def answered(answer: ExplainResponse) -> str:
    """The digits as ``predict`` answers them: the second look's where one was taken."""
    return "".join(
        str(digit.second_look.digit if digit.second_look else digit.digit)
        for digit in answer.digits
    )


def write_explanation(answer: ExplainResponse, folder: Path, number: bool) -> list[Path]:
    """Every picture as a PNG, the JSON answer and the HTML page; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for position, digit in enumerate(answer.digits, start=1):
        place = folder / f"digit-{position}" if number else folder
        place.mkdir(exist_ok=True)
        for name, url in pictures_of(digit):
            path = place / f"{name}.png"
            path.write_bytes(base64.b64decode(url.split(",", 1)[1]))
            written.append(path)
    (folder / "explain.json").write_text(answer.model_dump_json(indent=1), encoding="utf-8")
    (folder / "index.html").write_text(page(answer), encoding="utf-8")
    return [*written, folder / "explain.json", folder / "index.html"]


def pictures_of(digit: DigitInside) -> list[tuple[str, str]]:
    """``(file stem, data URL)`` of every picture of one digit, in the page's order."""
    named = [("input", digit.input)]
    named += [(f"layer-{v.index:02d}-{slug(v.title)}", v.picture) for v in digit.layers]
    named.append(("filters", digit.filters.picture))
    named.append((f"why-{digit.why.digit}", digit.why.picture))
    named.append((f"why-not-{digit.why_not.digit}", digit.why_not.picture))
    named.append((f"{digit.digit}-versus-{digit.runner_up}", digit.versus.picture))
    if digit.second_look:
        named.append(("second-look", digit.second_look.picture))
    return named


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


# -- the page -----------------------------------------------------------------------------
STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
figure { margin: 1rem 0; } figcaption { max-width: 40rem; }
img { image-rendering: pixelated; max-width: 100%; height: auto; border: 1px solid #999; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.row figure { flex: 0 1 14rem; } .row img { width: 100%; }
.layer img { width: min(100%, 36rem); } .input img { width: 8rem; }
table { border-collapse: collapse; } td, th { padding: 0.1rem 0.6rem; text-align: right; }
.bar { display: inline-block; height: 0.8rem; background: #b34700; }
"""


def page(answer: ExplainResponse) -> str:
    """One HTML page, every picture inlined as a data URL."""
    digits = "".join(_digit_section(d, i, len(answer.digits)) for i, d in enumerate(answer.digits))
    read = answered(answer)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Inside the network: {read}</title><style>{STYLE}</style></head><body>"
        f"<h1>Inside the network: it read {read}</h1>"
        f"<p>Model {_e(_model_name(answer))}. "
        "Colours: white is zero, orange positive, blue negative; deeper is larger. "
        f"{_e(answer.method)}</p>{digits}</body></html>\n"
    )


def _model_name(answer: ExplainResponse) -> str:
    """``cnn``, or ``small (cnn)`` when the name does not say the architecture."""
    name, architecture = answer.model.name, answer.model.architecture
    return name if name == architecture else f"{name} ({architecture})"


def _digit_section(digit: DigitInside, index: int, count: int) -> str:
    heading = f"Digit {index + 1} of {count}: " if count > 1 else ""
    parts = [
        f"<section><h2>{heading}{digit.digit} ({digit.confidence:.1%}), "
        f"runner-up {digit.runner_up}</h2>",
        _figure(digit.input, f"The 28{TIMES}28 image the network saw.", "The input digit", "input"),
    ]
    for view in digit.layers:
        shape = TIMES.join(str(n) for n in view.shape)
        parts.append(f"<h3>{_e(view.title)} ({shape})</h3>")
        parts.append(_figure(view.picture, view.caption, f"{view.title}: {shape} values", "layer"))
    parts.append(_probabilities(digit))
    parts.append("<h3>First-layer filters</h3>")
    parts.append(
        _figure(digit.filters.picture, digit.filters.caption, "The learned filters", "layer")
    )
    parts.append("<h3>Why this digit</h3><div class='row'>")
    for why in (digit.why, digit.why_not, digit.versus):
        parts.append(_figure(why.picture, why.caption, why.caption))
    parts.append("</div>")
    if digit.second_look:
        look = digit.second_look
        parts.append(f"<h3>A second look: {look.digit} ({look.confidence:.1%})</h3>")
        parts.append(_figure(look.picture, look.caption, "The image moved and turned", "layer"))
    parts.append("</section>")
    return "".join(parts)


def _probabilities(digit: DigitInside) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{d}</th><td>{p:.1%}</td>"
        f"<td style='text-align:left'><span class='bar' style='width:{p * 12:.2f}rem'></span></td>"
        "</tr>"
        for d, p in enumerate(digit.probabilities)
    )
    refusal = (
        ""
        if digit.not_a_digit is None
        else f"<p>An eleventh output scores &ldquo;not a digit at all&rdquo;: "
        f"{digit.not_a_digit:.1%}. The digits share the rest, rescaled to 100%.</p>"
    )
    return (
        "<h3>Probabilities</h3><table><caption>Probability of each digit</caption>"
        "<tr><th scope='col'>digit</th><th scope='col'>probability</th><th></th></tr>"
        f"{rows}</table>{refusal}"
    )


def _figure(url: str, caption: str, alt: str, kind: str = "map") -> str:
    return (
        f"<figure class='{kind}'><img src='{url}' alt='{_e(alt)}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)
