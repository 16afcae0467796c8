"""Drawings that are not digits: generated shapes, symbols and scribbles, as pen strokes.

Each *kind* is a small generator ``kind(rng) -> strokes`` drawing in a unit box
(y down) with every choice random: sizes, turns, counts, a hand's wobble and a
random rotation and aspect. ``TRAIN_KINDS`` are what the network learns to call
"not a digit"; ``HELDOUT_KINDS`` are never trained on and only measured
(``benchmarks/not_digits.py``), so the refusal figure says whether the ability
generalises to things nobody listed. The kinds avoid shapes people use *as*
digits: no lone circle (0), line (1), two-segment zigzag (Z, 2) or S-curve (5).
Training and the benchmark draw with different seeds. ``turned_digit`` makes near
misses from real digits: one seen in a mirror, upside down or on its side, where that
gives no digit (``TURNABLE``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

Array = np.ndarray
Strokes = list[Array]
Kind = Callable[[np.random.Generator], Strokes]

STEP = 0.02  # spacing of points along a generated line, in unit-box lengths
WOBBLE = 0.008  # a hand's tremor, in unit-box lengths
MAX_TILT = 25.0  # degrees of random rotation
DOODLE_MARKS = (3, 7)  # a doodle has 3 to 6 marks
MARK_CHANCES = (0.35, 0.3, 0.3, 0.05)  # stroke, arc or ring, corner, dot: few dots


def line(a: tuple[float, float], b: tuple[float, float]) -> Array:
    n = max(2, math.ceil(math.hypot(b[0] - a[0], b[1] - a[1]) / STEP) + 1)
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(a, np.float32) + t * np.asarray(b, np.float32)


def polyline(*points: tuple[float, float]) -> Array:
    return np.concatenate([line(a, b) for a, b in itertools.pairwise(points)])


def ellipse(cx: float, cy: float, rx: float, ry: float, start: float, turns: float) -> Array:
    t = start + np.linspace(0.0, 2 * np.pi * turns, max(8, int(60 * abs(turns))))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1).astype(np.float32)


# -- kinds the network is trained on ---------------------------------------------------
def star(rng: np.random.Generator) -> Strokes:
    points = int(rng.choice([5, 5, 6, 7]))
    inner = rng.uniform(0.15, 0.25)
    angles = -np.pi / 2 + np.arange(2 * points + 1) * np.pi / points
    radii = np.where(np.arange(2 * points + 1) % 2 == 0, 0.5, inner)
    return [polyline(*zip(0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles), strict=True))]


def heart(rng: np.random.Generator) -> Strokes:
    t = np.linspace(0, 2 * np.pi, 80)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([0.5 + x / 34, 0.5 + y / 34], axis=1).astype(np.float32)]


def arrow(rng: np.random.Generator) -> Strokes:
    head = rng.uniform(0.15, 0.3)
    shaft = line((0.05, 0.5), (0.95, 0.5))
    tip = polyline((0.95 - head, 0.5 - head), (0.95, 0.5), (0.95 - head, 0.5 + head))
    return [shaft, tip]


def cross(rng: np.random.Generator) -> Strokes:
    return [line((0.1, 0.1), (0.9, 0.9)), line((0.9, 0.1), (0.1, 0.9))]


def zigzag(rng: np.random.Generator) -> Strokes:
    teeth = int(rng.integers(4, 9))
    xs = np.linspace(0.0, 1.0, teeth + 1)
    ys = np.where(np.arange(teeth + 1) % 2 == 0, 0.3, 0.7) + rng.normal(0, 0.04, teeth + 1)
    return [polyline(*zip(xs, ys, strict=True))]


def hatching(rng: np.random.Generator) -> Strokes:
    count = int(rng.integers(3, 8))
    offsets = np.linspace(0.0, 1.0, count)
    out = [line((o - 0.3, 0.0), (o + 0.3, 1.0)) for o in offsets]
    if rng.random() < 0.4:  # cross-hatching
        out += [line((o + 0.3, 0.0), (o - 0.3, 1.0)) for o in offsets]
    return out


def spiral(rng: np.random.Generator) -> Strokes:
    turns = rng.uniform(2.0, 4.0)
    t = np.linspace(0.0, 2 * np.pi * turns, int(70 * turns))
    r = 0.5 * t / t[-1]
    return [np.stack([0.5 + r * np.cos(t), 0.5 + r * np.sin(t)], axis=1).astype(np.float32)]


def polygon(rng: np.random.Generator) -> Strokes:
    sides = int(rng.choice([3, 4, 4, 5, 6]))
    angles = rng.uniform(0, np.pi) + np.arange(sides + 1) * 2 * np.pi / sides
    shape = [polyline(*zip(0.5 + 0.5 * np.cos(angles), 0.5 + 0.5 * np.sin(angles), strict=True))]
    if rng.random() < 0.3:  # a filled-in look: a diagonal or two inside
        shape.append(line((0.25, 0.25), (0.75, 0.75)))
    return shape


def scribble(rng: np.random.Generator) -> Strokes:
    """A random, smooth pen path with many turns: what a bored hand draws."""
    n = int(rng.integers(60, 160))
    heading = np.cumsum(rng.normal(0, 0.45, n)) + rng.uniform(0, 2 * np.pi)
    steps = np.stack([np.cos(heading), np.sin(heading)], axis=1) * 0.03
    return [np.cumsum(steps, axis=0).astype(np.float32)]


def wave(rng: np.random.Generator) -> Strokes:
    cycles = rng.uniform(2.0, 4.0)
    x = np.linspace(0.0, 1.0, 80)
    rows = int(rng.integers(1, 3))
    return [
        np.stack([x, 0.5 + 0.3 * r + 0.12 * np.sin(2 * np.pi * cycles * x)], axis=1).astype(
            np.float32
        )
        for r in range(rows)
    ]


def symbol(rng: np.random.Generator) -> Strokes:
    """``+``, ``=``, ``#`` or ``%``."""
    which = int(rng.choice(4, p=MARK_CHANCES))
    if which == 0:
        return [line((0.5, 0.1), (0.5, 0.9)), line((0.1, 0.5), (0.9, 0.5))]
    if which == 1:
        return [line((0.1, 0.35), (0.9, 0.35)), line((0.1, 0.65), (0.9, 0.65))]
    if which == 2:
        return [
            line((0.4, 0.05), (0.3, 0.95)),
            line((0.7, 0.05), (0.6, 0.95)),
            line((0.1, 0.35), (0.9, 0.35)),
            line((0.05, 0.65), (0.85, 0.65)),
        ]
    return [
        line((0.85, 0.05), (0.15, 0.95)),
        ellipse(0.22, 0.2, 0.12, 0.14, 0, 1),
        ellipse(0.78, 0.8, 0.12, 0.14, 0, 1),
    ]


def doodle(rng: np.random.Generator) -> Strokes:
    """A few unrelated pen marks scattered over the box: strokes, arcs, corners, dots.

    No list of shapes can name every drawing that is not a digit; random
    compositions teach the boundary itself (a digit is one familiar arrangement
    of strokes, not any set of them). At least ``DOODLE_MARKS[0]`` marks, so a
    doodle is never a lone stroke that could be a 1 or a 7.
    """
    marks = []
    for _ in range(int(rng.integers(*DOODLE_MARKS))):
        cx, cy = rng.uniform(0.15, 0.85, 2)
        size = float(rng.uniform(0.12, 0.3))
        which = int(rng.choice(4, p=MARK_CHANCES))
        if which == 0:  # a straight stroke at any angle
            angle = rng.uniform(0, np.pi)
            dx, dy = size * math.cos(angle), size * math.sin(angle)
            marks.append(line((cx - dx, cy - dy), (cx + dx, cy + dy)))
        elif which == 1:  # an arc or a closed ring
            turns = float(rng.choice([rng.uniform(0.3, 0.8), 1.0]))
            marks.append(
                ellipse(cx, cy, size, size * rng.uniform(0.5, 1.5), rng.uniform(0, 7), turns)
            )
        elif which == 2:  # a corner or a bent line
            points = cx + rng.uniform(-size, size, (int(rng.integers(3, 5)), 2))
            points[:, 1] += cy - cx
            marks.append(polyline(*map(tuple, points)))
        else:  # a dot
            marks.append(ellipse(cx, cy, 0.02, 0.02, 0, 1))
    return marks


# -- kinds kept for measuring only -----------------------------------------------------
def face(rng: np.random.Generator) -> Strokes:
    mouth = ellipse(0.5, 0.55, 0.22, 0.15, 0.3, 0.35)
    eyes = [ellipse(x, 0.38, 0.03, 0.04, 0, 1) for x in (0.38, 0.62)]
    return [ellipse(0.5, 0.5, 0.45, 0.48, 0, 1), *eyes, mouth]


def tick(rng: np.random.Generator) -> Strokes:
    return [polyline((0.05, 0.55), (0.35, 0.9), (0.95, 0.1))]


def lightning(rng: np.random.Generator) -> Strokes:
    return [polyline((0.6, 0.0), (0.25, 0.55), (0.6, 0.45), (0.3, 1.0))]


def house(rng: np.random.Generator) -> Strokes:
    return [
        polyline((0.15, 0.45), (0.15, 0.95), (0.85, 0.95), (0.85, 0.45), (0.5, 0.1), (0.15, 0.45))
    ]


def loops(rng: np.random.Generator) -> Strokes:
    """A cursive run of loops (``eeee`` or ``llll``)."""
    count = int(rng.integers(3, 6))
    t = np.linspace(0, 2 * np.pi * count, 60 * count)
    x = t / t[-1] * 0.8 + 0.08 * np.cos(t)
    y = 0.5 + 0.25 * np.sin(t)
    return [np.stack([x, y], axis=1).astype(np.float32)]


def flower(rng: np.random.Generator) -> Strokes:
    petals = int(rng.integers(5, 9))
    t = np.linspace(0, 2 * np.pi, 200)
    r = 0.3 + 0.18 * np.abs(np.cos(petals / 2 * t))
    return [np.stack([0.5 + r * np.cos(t), 0.5 + r * np.sin(t)], axis=1).astype(np.float32)]


def at_sign(rng: np.random.Generator) -> Strokes:
    inner = ellipse(0.5, 0.5, 0.15, 0.18, 0, 1)
    outer = ellipse(0.5, 0.5, 0.45, 0.45, 0.2, 0.85)
    return [inner, np.concatenate([line((0.65, 0.35), (0.65, 0.65)), outer])]


TRAIN_KINDS: dict[str, Kind] = {
    "star": star,
    "heart": heart,
    "arrow": arrow,
    "cross": cross,
    "zigzag": zigzag,
    "hatching": hatching,
    "spiral": spiral,
    "polygon": polygon,
    "scribble": scribble,
    "wave": wave,
    "symbol": symbol,
}
#: drawn only when a recipe asks for them (``--doodles``), so older recipes stay bit for bit
OPEN_KINDS: dict[str, Kind] = {"doodle": doodle}
HELDOUT_KINDS: dict[str, Kind] = {
    "face": face,
    "tick": tick,
    "lightning": lightning,
    "house": house,
    "loops": loops,
    "flower": flower,
    "at_sign": at_sign,
}
ALL_KINDS = {**TRAIN_KINDS, **OPEN_KINDS, **HELDOUT_KINDS}


# -- digits turned into no digit ------------------------------------------------------
#: A turn of the page, as a matrix on (x, y) with y down: a digit seen in a mirror, upside
#: down or lying on its side.
TURNS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "mirror": ((-1, 0), (0, 1)),
    "half turn": ((-1, 0), (0, -1)),
    "quarter turn left": ((0, 1), (-1, 0)),
    "quarter turn right": ((0, -1), (1, 0)),
}
_QUARTERS = ("quarter turn left", "quarter turn right")
#: The turns that leave a digit no digit in any hand (looked at on rendered training
#: writers). Left out, because some turns give a digit back: 0 in every turn; 2 and 5,
#: whose mirrors and quarter turns are Z and S shapes (2 and 5 themselves); 6 in every
#: turn (upside down a 9, in a mirror the 2 many write with a loop); 9 upside down or on
#: its side; 1 and 8 in a mirror or upside down; a 7 in a mirror is a 1 with a long flag.
#: A 1 lying down is a dash, an 8 infinity.
TURNABLE: dict[str, tuple[str, ...]] = {
    "1": _QUARTERS,
    "3": ("mirror", "half turn", *_QUARTERS),
    "4": ("mirror", "half turn"),
    "7": ("half turn", *_QUARTERS),
    "8": _QUARTERS,
    "9": ("mirror",),
}


def turned(strokes: Sequence[Array], turn: str) -> Strokes:
    """The strokes seen after ``turn`` (a key of ``TURNS``); rendering re-centres them."""
    matrix = np.array(TURNS[turn], np.float32)
    return [np.asarray(s, np.float32).reshape(-1, 2) @ matrix.T for s in strokes]


def turned_digit(strokes: Sequence[Array], label: str, rng: np.random.Generator) -> Strokes:
    """A real digit turned so that it reads as no digit: near a digit, yet none.

    Letters are often just that (a 3 in a mirror is an epsilon, a 7 upside down an L);
    these teach the network that a digit is its shape *and* its orientation.
    """
    choices = TURNABLE[label]
    return turned(strokes, choices[int(rng.integers(len(choices)))])


# -- two digits where one should be ---------------------------------------------------
#: Space between a pair's digits, as a share of their height: overlapping to tight, the
#: pairs a number's cut may leave whole, or a single-digit pad may be given.
PAIR_GAP = (-0.08, 0.1)
#: How far the second digit may sit above or below the first, as a share of the height.
PAIR_DRIFT = 0.08


def side_by_side(
    left: Sequence[Array], right: Sequence[Array], gap: float, drift: float
) -> Strokes:
    """Two characters written one after the other at the same height, ``gap`` (a share of
    the height; below 0 they overlap) apart, the second ``drift`` of the height lower.

    Two digits are not one: a network that reads a squeezed pair as a confident digit
    lets a number's cut keep them whole.
    """
    placed = []
    for strokes in (left, right):
        points = np.concatenate([np.asarray(s, np.float32).reshape(-1, 2) for s in strokes])
        low, high = points.min(axis=0), points.max(axis=0)
        scale = np.float32(1.0 / max(float(high[1] - low[1]), 1e-3))
        placed.append([(np.asarray(s, np.float32).reshape(-1, 2) - low) * scale for s in strokes])
    first_right = max(float(s[:, 0].max()) for s in placed[0])
    shift = np.array([first_right + gap, drift], np.float32)
    return [*placed[0], *(s + shift for s in placed[1])]


def handdrawn(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A random rotation and aspect, and a hand's wobble on every point."""
    angle = math.radians(rng.uniform(-MAX_TILT, MAX_TILT))
    aspect = rng.uniform(0.7, 1.3)
    rotate = np.array(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32
    )
    out = []
    for stroke in strokes:
        centred = (np.asarray(stroke, np.float32) - 0.5) * np.array([aspect, 1.0], np.float32)
        moved = centred @ rotate.T + 0.5
        out.append((moved + rng.normal(0, WOBBLE, moved.shape)).astype(np.float32))
    return out


def draw(kind: str, rng: np.random.Generator) -> Strokes:
    """One hand-drawn example of ``kind``."""
    return handdrawn(ALL_KINDS[kind](rng), rng)
