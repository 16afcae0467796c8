"""Hand-written stroke paths for the ten digits, in several writing styles.

A *stroke* is what a pen draws between touching the paper and lifting it: a list
of ``(x, y)`` points in a unit box (``(0, 0)`` top left, ``(1, 1)`` bottom right,
y pointing down as on a screen), in the order a person draws them. A *digit* is a
list of strokes, also in drawing order. Curves carry enough points (a few per
0.05 of length) to look smooth when joined by straight segments; they are made
with the pen movements of ``pen_paths.py``.

``STYLES[digit][name]`` holds each style, e.g. ``STYLES["7"]["crossed"]``; the
first style of each digit is the plain one most people draw. The styles cover
handwriting from around the world: a 1 with a long up-stroke ("flag") and with a
base, a crossed 7, an open-topped 4, a 9 with a straight, hooked or curled tail,
a 2 with a loop, a flat-topped 3, a 5 in one stroke, an 8 in one stroke or as two
circles.

Use ``place`` to map strokes into a rectangle of an image (pixels), ``render`` to
draw them with Pillow (round caps and joins, anti-aliased), ``layout_number`` to
write a whole number, and ``slant`` to lean a digit like cursive handwriting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pen_paths import Stroke, arc, curve, join, line
from PIL import Image, ImageDraw

Digit = list[Stroke]
Box = tuple[float, float, float, float]  # x, y, width, height
Colour = tuple[int, ...]


# --- The styles ---------------------------------------------------------------

_NINE_LOOP = arc((0.5, 0.29), (0.24, 0.22), -15, -375)  # drawn counter-clockwise
_NINE_STEM_TOP = _NINE_LOOP[-1]

STYLES: dict[str, dict[str, Digit]] = {
    "0": {
        "oval": [arc((0.5, 0.5), (0.3, 0.45), -90, -460)],
        "narrow": [arc((0.5, 0.5), (0.2, 0.46), -80, -450)],
        "clockwise": [arc((0.5, 0.5), (0.32, 0.44), -100, 265)],
    },
    "1": {
        "stroke": [line((0.52, 0.04), (0.48, 0.96))],
        "flag": [join(line((0.26, 0.33), (0.58, 0.04)), line((0.58, 0.04), (0.56, 0.96)))],
        "flag_base": [
            join(line((0.28, 0.3), (0.56, 0.04)), line((0.56, 0.04), (0.56, 0.94))),
            line((0.3, 0.95), (0.82, 0.95)),
        ],
        "slanted": [line((0.64, 0.04), (0.38, 0.96))],
    },
    "2": {
        "plain": [
            join(
                curve(
                    (0.2, 0.3),
                    (0.3, 0.11),
                    (0.5, 0.05),
                    (0.7, 0.11),
                    (0.77, 0.3),
                    (0.66, 0.5),
                    (0.42, 0.72),
                    (0.18, 0.93),
                ),
                line((0.18, 0.93), (0.86, 0.92)),
            )
        ],
        "looped": [
            join(
                curve(
                    (0.2, 0.28),
                    (0.32, 0.1),
                    (0.52, 0.05),
                    (0.72, 0.12),
                    (0.76, 0.32),
                    (0.62, 0.52),
                    (0.42, 0.7),
                    (0.28, 0.84),
                    (0.21, 0.93),
                    (0.12, 0.86),
                    (0.15, 0.75),
                    (0.26, 0.74),
                    (0.36, 0.84),
                    (0.5, 0.92),
                    (0.68, 0.9),
                    (0.86, 0.92),
                ),
            )
        ],
    },
    "3": {
        "round": [
            join(
                curve(
                    (0.2, 0.18),
                    (0.36, 0.06),
                    (0.58, 0.05),
                    (0.74, 0.16),
                    (0.72, 0.33),
                    (0.56, 0.45),
                    (0.4, 0.48),
                ),
                curve(
                    (0.4, 0.48),
                    (0.62, 0.5),
                    (0.78, 0.63),
                    (0.78, 0.8),
                    (0.62, 0.93),
                    (0.4, 0.95),
                    (0.18, 0.86),
                ),
            )
        ],
        "flat_top": [
            join(
                line((0.2, 0.06), (0.78, 0.06)),
                line((0.78, 0.06), (0.44, 0.42)),
                curve(
                    (0.44, 0.42),
                    (0.68, 0.46),
                    (0.8, 0.64),
                    (0.73, 0.85),
                    (0.5, 0.95),
                    (0.2, 0.87),
                ),
            )
        ],
    },
    "4": {
        "closed": [
            join(line((0.62, 0.04), (0.12, 0.66)), line((0.12, 0.66), (0.88, 0.66))),
            line((0.64, 0.05), (0.64, 0.97)),
        ],
        "open": [
            join(line((0.22, 0.04), (0.18, 0.6)), line((0.18, 0.6), (0.86, 0.6))),
            line((0.68, 0.1), (0.68, 0.97)),
        ],
    },
    "5": {
        "plain": [
            join(
                line((0.28, 0.07), (0.24, 0.46)),
                curve(
                    (0.24, 0.46),
                    (0.45, 0.38),
                    (0.68, 0.44),
                    (0.8, 0.64),
                    (0.72, 0.86),
                    (0.5, 0.95),
                    (0.2, 0.88),
                ),
            ),
            line((0.28, 0.07), (0.8, 0.06)),
        ],
        "single": [
            join(
                line((0.8, 0.06), (0.28, 0.07)),
                line((0.28, 0.07), (0.24, 0.46)),
                curve(
                    (0.24, 0.46),
                    (0.45, 0.38),
                    (0.68, 0.44),
                    (0.8, 0.64),
                    (0.72, 0.86),
                    (0.5, 0.95),
                    (0.2, 0.88),
                ),
            )
        ],
    },
    "6": {
        "plain": [
            curve(
                (0.7, 0.05),
                (0.48, 0.15),
                (0.3, 0.35),
                (0.22, 0.6),
                (0.28, 0.85),
                (0.48, 0.95),
                (0.7, 0.88),
                (0.77, 0.68),
                (0.62, 0.52),
                (0.42, 0.52),
                (0.25, 0.64),
            )
        ],
    },
    "7": {
        "plain": [join(line((0.15, 0.08), (0.85, 0.08)), line((0.85, 0.08), (0.4, 0.96)))],
        "crossed": [
            join(line((0.15, 0.08), (0.85, 0.08)), line((0.85, 0.08), (0.4, 0.96))),
            line((0.44, 0.52), (0.84, 0.5)),
        ],
        "tick": [
            join(
                line((0.16, 0.2), (0.15, 0.07)),
                line((0.15, 0.07), (0.84, 0.08)),
                line((0.84, 0.08), (0.42, 0.96)),
            )
        ],
    },
    "8": {
        "snake": [
            curve(
                (0.72, 0.15),
                (0.5, 0.05),
                (0.28, 0.15),
                (0.3, 0.33),
                (0.5, 0.47),
                (0.72, 0.62),
                (0.74, 0.83),
                (0.5, 0.95),
                (0.26, 0.83),
                (0.3, 0.62),
                (0.5, 0.47),
                (0.7, 0.33),
                (0.72, 0.15),
            )
        ],
        "two_loops": [
            arc((0.5, 0.26), (0.2, 0.21), -90, -450),
            arc((0.5, 0.71), (0.26, 0.24), -90, -450),
        ],
    },
    "9": {
        "straight": [join(_NINE_LOOP, line(_NINE_STEM_TOP, (0.72, 0.96)))],
        "hooked": [
            join(
                _NINE_LOOP,
                curve(_NINE_STEM_TOP, (0.74, 0.6), (0.7, 0.85), (0.56, 0.96), (0.36, 0.9)),
            )
        ],
        "curled": [
            join(
                _NINE_LOOP,
                curve(_NINE_STEM_TOP, (0.7, 0.55), (0.6, 0.8), (0.44, 0.96)),
            )
        ],
    },
}


def style_names(digit: str | int) -> list[str]:
    """The style names of one digit, the plain one first."""
    return list(STYLES[str(digit)])


def strokes_for(digit: str | int, style: str | None = None) -> Digit:
    """The strokes of ``digit`` in ``style`` (default: the plain style)."""
    styles = STYLES[str(digit)]
    return styles[style] if style is not None else next(iter(styles.values()))


def all_styles() -> Iterable[tuple[str, str, Digit]]:
    """Every ``(digit, style, strokes)``, digits in order."""
    for digit, styles in STYLES.items():
        for name, strokes in styles.items():
            yield digit, name, strokes


# --- Placing and drawing ------------------------------------------------------


def slant(strokes: Digit, amount: float) -> Digit:
    """Lean a digit: positive ``amount`` moves the top right, like italic writing."""
    return [[(x + amount * (0.5 - y), y) for x, y in stroke] for stroke in strokes]


def place(strokes: Digit, box: Box) -> Digit:
    """Map unit-box strokes into the rectangle ``box = (x, y, width, height)``."""
    bx, by, bw, bh = box
    return [[(bx + x * bw, by + y * bh) for x, y in stroke] for stroke in strokes]


def centred_box(size: tuple[int, int], fill: float = 0.72) -> Box:
    """A square box in the middle of an image, ``fill`` of its shorter side."""
    width, height = size
    side = fill * min(width, height)
    return ((width - side) / 2, (height - side) / 2, side, side)


def layout_number(
    text: str,
    size: tuple[int, int],
    styles: Sequence[str | None] | None = None,
    fill: float = 0.7,
    advance: float = 0.85,
) -> Digit:
    """The strokes (in pixels) of the number ``text`` written left to right.

    Each digit gets a square box ``fill`` of the image height; boxes start
    ``advance`` of a box apart (digits fill only the middle of their box, so
    0.85 leaves a clear gap), the whole number centred; ``styles`` picks a
    style per digit.
    """
    width, height = size
    side = fill * height
    step = side * advance
    total = side + step * (len(text) - 1)
    if total > width:
        raise ValueError(f"{text!r} does not fit in {width}x{height} at fill={fill}")
    left, top = (width - total) / 2, (height - side) / 2
    out: Digit = []
    for i, char in enumerate(text):
        style = styles[i] if styles is not None else None
        out.extend(place(strokes_for(char, style), (left + i * step, top, side, side)))
    return out


def render(
    strokes: Digit,
    size: tuple[int, int] = (280, 280),
    width: float = 18.0,
    box: Box | None = None,
    ink: Colour = (0, 0, 0),
    background: Colour | None = (255, 255, 255),
    supersample: int = 4,
    placed: bool = False,
) -> Image.Image:
    """Draw strokes with round caps and joins, anti-aliased.

    ``strokes`` are unit-box strokes mapped into ``box`` (default: ``centred_box``),
    or, with ``placed=True``, already in pixels (e.g. from ``layout_number``).
    ``background=None`` gives a transparent RGBA image; otherwise the mode follows
    the colours (``L`` for one-value colours, ``RGB`` for three).
    """
    pixels = strokes if placed else place(strokes, box or centred_box(size))
    k = supersample
    big = (size[0] * k, size[1] * k)
    if background is None:
        image = Image.new("RGBA", big, (0, 0, 0, 0))
        fill: Colour = (*ink[:3], 255) if len(ink) >= 3 else (ink[0],) * 3 + (255,)
    else:
        mode = "L" if len(background) == 1 else "RGB"
        image = Image.new(mode, big, background if mode == "RGB" else background[0])
        fill = ink
    draw = ImageDraw.Draw(image)
    radius = width * k / 2
    for stroke in pixels:
        scaled = [(x * k, y * k) for x, y in stroke]
        if len(scaled) > 1:
            draw.line(scaled, fill=_colour(fill), width=round(width * k), joint="curve")
        for x, y in scaled:  # round caps and joins, also for a single dot
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_colour(fill))
    return image.resize(size, Image.Resampling.LANCZOS)


def _colour(colour: Colour) -> int | tuple[int, ...]:
    return colour[0] if len(colour) == 1 else colour
