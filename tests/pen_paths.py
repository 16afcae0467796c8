"""Pen movements in a unit box: the lines, arcs and smooth curves a digit is drawn with.

A *point* is ``(x, y)`` in a unit box (``(0, 0)`` top left, ``(1, 1)`` bottom
right, y pointing down as on a screen); a *stroke* is the list of points a pen
passes between touching the paper and lifting it. ``line``, ``arc`` and
``curve`` (a Catmull-Rom spline through hand-placed points) sample a movement
finely enough to look smooth when joined by straight segments; ``join`` makes
one stroke of several movements drawn without lifting the pen. The digits'
styles in ``strokes.py`` are written with them.
"""

from __future__ import annotations

import math

Point = tuple[float, float]
Stroke = list[Point]

STEP = 0.02  # spacing of generated points along lines, in unit-box lengths


def line(start: Point, end: Point) -> Stroke:
    """A straight pen movement, sampled every ``STEP``."""
    (x0, y0), (x1, y1) = start, end
    n = max(2, math.ceil(math.hypot(x1 - x0, y1 - y0) / STEP) + 1)
    return [(x0 + (x1 - x0) * i / (n - 1), y0 + (y1 - y0) * i / (n - 1)) for i in range(n)]


def arc(centre: Point, radii: Point, start_deg: float, end_deg: float) -> Stroke:
    """An elliptic arc from ``start_deg`` to ``end_deg``.

    Angles are in screen terms: 0 points right, 90 down, 180 left, 270 (or -90)
    up, so increasing angles run clockwise on screen and decreasing ones
    counter-clockwise (the way most people draw a 0).
    """
    (cx, cy), (rx, ry) = centre, radii
    n = max(8, math.ceil(abs(end_deg - start_deg) / 6) + 1)
    angles = (math.radians(start_deg + (end_deg - start_deg) * i / (n - 1)) for i in range(n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def curve(*points: Point, per_segment: int = 8) -> Stroke:
    """A smooth curve through hand-placed points (a Catmull-Rom spline)."""
    if len(points) < 3:
        return line(points[0], points[-1])
    padded = [points[0], *points, points[-1]]
    out: Stroke = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for step in range(per_segment):
            t = step / per_segment
            out.append(_catmull_rom(p0, p1, p2, p3, t))
    out.append(points[-1])
    return out


def _catmull_rom(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    t2, t3 = t * t, t * t * t

    def blend(a: float, b: float, c: float, d: float) -> float:
        return 0.5 * (
            2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (3 * b - a - 3 * c + d) * t3
        )

    return (blend(p0[0], p1[0], p2[0], p3[0]), blend(p0[1], p1[1], p2[1], p3[1]))


def join(*parts: Stroke) -> Stroke:
    """One stroke made of several pieces drawn without lifting the pen."""
    out: Stroke = []
    for part in parts:
        out.extend(part[1:] if out and _same(out[-1], part[0]) else part)
    return out


def _same(a: Point, b: Point) -> bool:
    return abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9
