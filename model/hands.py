"""Another writer's hand: a real writer's strokes redrawn with another person's habits.

Training sees the pendigits training writers (20) and the uji-letters training
writers (8); the held-out writers show how much the network learnt *their* hands
rather than the characters: it refuses 97% of the training writers' letters and
90% of the held-out writers'. ``another_hand`` keeps what makes a character (its
strokes, their order, where each sits against the others) and changes what
varies from person to person:

- how far the writing leans (a shear, x moved in proportion to height);
- how wide it is against its height;
- where each stroke sits against the others (a crossbar set higher, a 4's stem
  apart from its open part, a 5's flag lifted off), and each stroke's own size
  and turn, a little.

Changes are kept small enough that a digit stays that digit: a turn of a few
degrees, a shift of a few hundredths of the character's size. A one-stroke
character only leans and widens (rendering re-centres and re-sizes it anyway).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray

SLANT = 0.3  # largest lean: x moves this share of a point's height above the centre
ASPECT = (0.8, 1.25)  # width against height, relative to the writer's own
STROKE_SHIFT = 0.05  # largest move of one stroke, as a share of the character's larger side
STROKE_SCALE = (0.9, 1.1)  # one stroke's size against the others'
STROKE_TURN = np.radians(6.0)  # largest turn of one stroke about its own centre


def lean_and_widen(points: Array, centre: Array, slant: float, aspect: float) -> Array:
    """``(n, 2)`` points (x, y down) leaned by ``slant`` and widened by ``aspect`` about
    ``centre``: a point above the centre moves right when ``slant`` is positive."""
    moved = points - centre
    x = (moved[:, 0] - slant * moved[:, 1]) * aspect
    return np.stack([x, moved[:, 1]], axis=1) + centre


def place_stroke(points: Array, shift: Array, scale: float, turn: float) -> Array:
    """One stroke turned by ``turn`` radians and scaled about its own centre, then moved."""
    centre = points.mean(axis=0)
    c, s = np.cos(turn), np.sin(turn)
    rotation = np.array([[c, -s], [s, c]], np.float32)
    return (points - centre) @ rotation.T * scale + centre + shift


def another_hand(strokes: Sequence[Array], rng: np.random.Generator) -> list[Array]:
    """The strokes as another writer might have drawn them (float32, same units)."""
    parts = [np.asarray(s, np.float32).reshape(-1, 2) for s in strokes]
    points = np.concatenate(parts)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    size = float(max(high - low)) or 1.0
    slant = rng.uniform(-SLANT, SLANT)
    aspect = float(np.exp(rng.uniform(*np.log(ASPECT))))
    out = []
    for part in parts:
        if len(parts) > 1:  # one stroke alone has no others to sit against
            shift = rng.uniform(-STROKE_SHIFT, STROKE_SHIFT, 2).astype(np.float32) * size
            part = place_stroke(
                part, shift, rng.uniform(*STROKE_SCALE), rng.uniform(-STROKE_TURN, STROKE_TURN)
            )
        out.append(lean_and_widen(part, centre, slant, aspect).astype(np.float32))
    return out


def some_in_another_hand(
    characters: Sequence[Sequence[Array]], share: float, rng: np.random.Generator
) -> list[Sequence[Array]]:
    """A random ``share`` of the characters redrawn in another hand, the rest as they were."""
    chosen = rng.random(len(characters)) < share
    return [another_hand(c, rng) if pick else c for c, pick in zip(characters, chosen, strict=True)]
