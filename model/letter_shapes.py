"""Letters drawn from stroke templates: the ones people write that are no digit.

The real letters training learns from come from 8 writers, 16 of each letter; the
network refuses 97% of them and 90% of those of writers it never saw, and the
letters it lets through are plain, upright ones (a D read as 0, a B as 8, an L as
1): near a digit, and written by each of us in a few common ways that 8 writers
do not all show. So each letter here is drawn from the way schools teach it: a
template of strokes in a box one unit tall (y down), which ``draw_letter`` then
varies as a hand would (``model.negatives.handdrawn``: a tilt, a width, a
tremor; ``model.hands.another_hand``: a lean and each stroke's place).

Letters many people write like a digit (``model.strokedata.DIGIT_LIKE_LETTERS``:
o, l, z, s, b, g, q and their capitals, i, J) have no template, and small letters
that are their capital made smaller (c, u, v, w, x) are left to the capitals:
rendering fits every character to the same box.
"""

from __future__ import annotations

import math

import numpy as np

from model.hands import another_hand
from model.negatives import Strokes, ellipse, handdrawn, line, polyline

Array = np.ndarray
HALF = 0.5  # an arc's sweep, in turns: half a circle
TOP, LEFT, BOTTOM, RIGHT = -math.pi / 2, math.pi, math.pi / 2, 0.0  # angles, y down


def joined(*parts: Array) -> Array:
    """Pieces drawn as one stroke, the pen not lifted between them."""
    return np.concatenate([np.asarray(p, np.float32) for p in parts])


def bowl(top: float, bottom: float, reach: float, stem: float = 0.0) -> Array:
    """A bowl on the right of a stem (B, D, P, R): out from the stem at ``top``, round
    to ``reach`` and back to the stem at ``bottom``."""
    middle, radius = (top + bottom) / 2, (bottom - top) / 2
    bend = max(stem + 0.05, reach - radius)  # where the straight part turns round
    arc = ellipse(bend, middle, reach - bend, radius, TOP, HALF)
    return joined(line((stem, top), (bend, top)), arc, line((bend, bottom), (stem, bottom)))


def hump(left: float, right: float, top: float, foot: float = 1.0) -> Array:
    """An n's arch: up from ``left`` a little below ``top``, over, and down to ``foot``."""
    middle = (left + right) / 2
    arc = ellipse(middle, top + 0.15, (right - left) / 2, 0.15, LEFT, HALF)
    return joined(arc, line((right, top + 0.15), (right, foot)))


CAPITALS: dict[str, Strokes] = {
    "A": [polyline((0, 1), (0.35, 0), (0.7, 1)), line((0.15, 0.6), (0.55, 0.6))],
    "B": [line((0, 0), (0, 1)), bowl(0, 0.48, 0.5), bowl(0.48, 1, 0.6)],
    "C": [ellipse(0.4, 0.5, 0.4, 0.5, -0.7, -(1 - 1.4 / (2 * math.pi)))],
    "D": [line((0, 0), (0, 1)), bowl(0, 1, 0.7)],
    "E": [polyline((0.6, 0), (0, 0), (0, 1), (0.6, 1)), line((0, 0.5), (0.45, 0.5))],
    "F": [polyline((0.6, 0), (0, 0), (0, 1)), line((0, 0.48), (0.45, 0.48))],
    "H": [line((0, 0), (0, 1)), line((0.6, 0), (0.6, 1)), line((0, 0.5), (0.6, 0.5))],
    "K": [line((0, 0), (0, 1)), polyline((0.6, 0), (0.02, 0.55), (0.6, 1))],
    "L": [polyline((0, 0), (0, 1), (0.55, 1))],
    "M": [polyline((0, 1), (0, 0), (0.4, 0.6), (0.8, 0), (0.8, 1))],
    "N": [polyline((0, 1), (0, 0), (0.6, 1), (0.6, 0))],
    "P": [line((0, 0), (0, 1)), bowl(0, 0.55, 0.55)],
    "Q": [ellipse(0.4, 0.5, 0.4, 0.5, 0, 1), line((0.45, 0.7), (0.85, 1.05))],
    "R": [line((0, 0), (0, 1)), bowl(0, 0.52, 0.55), line((0.2, 0.52), (0.6, 1))],
    "T": [line((0, 0), (0.7, 0)), line((0.35, 0), (0.35, 1))],
    "U": [
        joined(
            line((0, 0), (0, 0.65)),
            ellipse(0.3, 0.65, 0.3, 0.35, LEFT, -HALF),
            line((0.6, 0.65), (0.6, 0)),
        )
    ],
    "V": [polyline((0, 0), (0.35, 1), (0.7, 0))],
    "W": [polyline((0, 0), (0.22, 1), (0.45, 0.3), (0.68, 1), (0.9, 0))],
    "X": [line((0, 0), (0.7, 1)), line((0.7, 0), (0, 1))],
    "Y": [polyline((0, 0), (0.35, 0.5), (0.35, 1)), line((0.7, 0), (0.35, 0.5))],
}
SMALL: dict[str, Strokes] = {
    "a": [ellipse(0.3, 0.5, 0.3, 0.5, 0, 1), line((0.6, 0), (0.6, 1))],
    "d": [ellipse(0.3, 0.7, 0.3, 0.3, 0, 1), line((0.6, 0), (0.6, 1))],
    "e": [joined(line((0.05, 0.55), (0.62, 0.55)), ellipse(0.33, 0.55, 0.3, 0.45, RIGHT, -0.85))],
    "f": [
        joined(line((0.25, 1), (0.25, 0.2)), ellipse(0.45, 0.2, 0.2, 0.2, LEFT, 0.4)),
        line((0.05, 0.45), (0.5, 0.45)),
    ],
    "h": [line((0, 0), (0, 1)), hump(0, 0.5, 0.45)],
    "k": [line((0, 0), (0, 1)), polyline((0.5, 0.4), (0.02, 0.7), (0.5, 1))],
    "m": [line((0, 0.3), (0, 1)), hump(0, 0.4, 0.3), hump(0.4, 0.8, 0.3)],
    "n": [line((0, 0.3), (0, 1)), hump(0, 0.5, 0.3)],
    "p": [line((0, 0.3), (0, 1.3)), ellipse(0.25, 0.55, 0.25, 0.25, 0, 1)],
    "r": [line((0, 0.3), (0, 1)), ellipse(0.3, 0.55, 0.3, 0.25, LEFT, 0.3)],
    "t": [
        joined(line((0.25, 0), (0.25, 0.85)), ellipse(0.4, 0.85, 0.15, 0.15, LEFT, -0.3)),
        line((0, 0.3), (0.5, 0.3)),
    ],
    "y": [line((0, 0), (0.32, 0.55)), line((0.65, 0), (0.15, 1.3))],
}
LETTERS: dict[str, Strokes] = {**CAPITALS, **SMALL}
NAMES = tuple(LETTERS)


def draw_letter(name: str, rng: np.random.Generator) -> Strokes:
    """One hand-drawn letter ``name``: the template in another hand, tilted and shaken."""
    return handdrawn(another_hand(LETTERS[name], rng), rng)
