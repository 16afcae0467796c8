"""Real writers and non-digits mixed into MNIST training batches, rendered on the fly.

MNIST's writers are one population; people using the service are another (open
4s, hooked 9s, flagged 1s, slashed 0s...). ``mix_batch`` replaces a random share
of each batch (``real_writers``) with digits of the pendigits *training* writers
(``model.strokedata``: the held-out writers are never loaded here), each drawn
with a random pen and size (``model.render``), and, when the network has a "not a
digit" output, another share (``not_digit``) with non-digits labelled 10: half
real handwritten letters from the uji-letters training writers (minus the
letters written like digits), half generated shapes, symbols and scribbles
(``model.negatives.TRAIN_KINDS``), a share ``doodles`` of those random doodles
(``model.negatives.OPEN_KINDS``: marks in no listed arrangement) and a share
``turned`` of training writers' digits turned into none (``model.negatives.turned_digit``:
a 3 in a mirror, a 7 upside down) and a share ``pairs`` of two training writers' digits
side by side, touching or nearly (``model.negatives.side_by_side``: two digits are
not one). A share ``hands`` of the real writers' strokes,
digits and letters alike, is redrawn in another hand first (``model.hands``: another
lean, width and placing of the strokes), so the network learns the characters more
than these writers' habits. The rest of the
augmentation (rotation, elastic wobble, thickness) then applies to all of them alike.

Every choice comes from the training run's one generator, so a seed still gives
the same weights bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from model.hands import some_in_another_hand
from model.negatives import (
    OPEN_KINDS,
    PAIR_DRIFT,
    PAIR_GAP,
    TRAIN_KINDS,
    TURNABLE,
    Strokes,
    draw,
    side_by_side,
    turned_digit,
)
from model.network import NOT_A_DIGIT_INDEX
from model.render import render_batch
from model.strokedata import (
    HELDOUT_PENDIGITS_WRITERS,
    HELDOUT_UJI_WRITERS,
    PENDIGITS_SHA256,
    UJI_SHA256,
    StrokeSample,
    load_pendigits,
    load_uji_letters,
    negative_letters,
    split_writers,
)

Array = np.ndarray
LETTER_SHARE = 0.5  # of the non-digits: real letters; the rest generated shapes
LONE_DIGITS = frozenset("1")  # never one of a pair of digits taught as "not a digit"
KIND_NAMES = tuple(TRAIN_KINDS)
(DOODLE,) = OPEN_KINDS


@dataclass
class MixSources:
    """The strokes training may use: never a held-out writer's."""

    digits: list[StrokeSample]
    digit_labels: Array
    letters: list[StrokeSample]

    @cached_property  # read for every batch of non-digits; the sources never change
    def turnable(self) -> list[StrokeSample]:
        """The digits some turn leaves no digit (``model.negatives.TURNABLE``)."""
        return [s for s in self.digits if s.label in TURNABLE]

    @cached_property
    def pairable(self) -> list[StrokeSample]:
        """The digits two of which side by side are surely no digit: not a 1, which,
        narrow, can hide inside its neighbour (a 1 over a 4's open side is a 4)."""
        return [s for s in self.digits if s.label not in LONE_DIGITS]

    def record(self) -> dict[str, object]:
        """What the weights file's training record says about them."""
        return {
            "pendigits_sha256": PENDIGITS_SHA256,
            "pendigits_heldout_writers": list(HELDOUT_PENDIGITS_WRITERS),
            "pendigits_training_samples": len(self.digits),
            "uji_sha256": UJI_SHA256,
            "uji_heldout_writers": list(HELDOUT_UJI_WRITERS),
            "uji_training_letters": len(self.letters),
            "negative_kinds": list(KIND_NAMES),
            "letter_share": LETTER_SHARE,
        }


def load_sources(need_digits: bool, need_letters: bool) -> MixSources:
    digits = split_writers(load_pendigits(), HELDOUT_PENDIGITS_WRITERS)[0] if need_digits else []
    letters: list[StrokeSample] = []
    if need_letters:
        letters = negative_letters(split_writers(load_uji_letters(), HELDOUT_UJI_WRITERS)[0])
    labels = np.array([int(s.label) for s in digits], np.int64)
    return MixSources(digits, labels, letters)


def non_digits(
    count: int,
    sources: MixSources,
    rng: np.random.Generator,
    doodles: float = 0.0,
    turned: float = 0.0,
    hands: float = 0.0,
    pairs: float = 0.0,
) -> Array:
    """``count`` rendered non-digits: letters, generated kinds, (a share) doodles, (a
    share) turned digits and (a share) two digits side by side; a share ``hands`` of the
    letters, turned digits and pairs in another hand."""
    from_letters = rng.random(count) < (LETTER_SHARE if sources.letters else 0.0)
    letter_picks = rng.integers(0, max(1, len(sources.letters)), count)
    kind_picks = rng.integers(0, len(KIND_NAMES), count)
    names = [KIND_NAMES[k] for k in kind_picks]
    if doodles > 0:  # no draw at all without doodles: older recipes stay bit for bit
        names = [
            DOODLE if d else n for n, d in zip(names, rng.random(count) < doodles, strict=True)
        ]
    turns: list[StrokeSample | None] = [None] * count
    if turned > 0:  # no draw at all without turned digits: older recipes stay bit for bit
        turnable = sources.turnable
        picks = rng.integers(0, len(turnable), count)
        chosen = rng.random(count) < turned
        turns = [turnable[p] if t else None for p, t in zip(picks, chosen, strict=True)]
    paired = np.zeros(count, bool)
    if pairs > 0:  # no draw at all without pairs: older recipes stay bit for bit
        paired = rng.random(count) < pairs
        pairable = sources.pairable
        both = rng.integers(0, len(pairable), (count, 2))
        gaps = rng.uniform(*PAIR_GAP, count)
        drifts = rng.uniform(-PAIR_DRIFT, PAIR_DRIFT, count)

    def one(i: int) -> Strokes:
        if paired[i]:
            left, right = (pairable[k].strokes for k in both[i])
            return side_by_side(left, right, float(gaps[i]), float(drifts[i]))
        if (turn := turns[i]) is not None:
            return turned_digit(turn.strokes, turn.label, rng)
        if from_letters[i]:
            return sources.letters[letter_picks[i]].strokes
        return draw(names[i], rng)

    characters: list[Sequence[Array]] = [one(i) for i in range(count)]
    if hands > 0:  # no draw at all without it: older recipes stay bit for bit
        written = [i for i in range(count) if from_letters[i] or turns[i] is not None or paired[i]]
        redrawn = some_in_another_hand([characters[i] for i in written], hands, rng)
        for i, strokes in zip(written, redrawn, strict=True):
            characters[i] = strokes
    return render_batch(characters, rng)


def mix_batch(
    x: Array,
    y: Array,
    sources: MixSources,
    real_writers: float,
    not_digit: float,
    rng: np.random.Generator,
    doodles: float = 0.0,
    turned: float = 0.0,
    hands: float = 0.0,
    pairs: float = 0.0,
) -> tuple[Array, Array]:
    """A copy of the batch with some images replaced by real writers and non-digits."""
    x, y = x.copy(), y.copy()
    draw_share = rng.random(len(y))
    real = draw_share < real_writers if sources.digits else np.zeros(len(y), bool)
    negative = (draw_share >= real_writers) & (draw_share < real_writers + not_digit)
    if real.any():
        picks = rng.integers(0, len(sources.digits), int(real.sum()))
        written = [sources.digits[i].strokes for i in picks]
        if hands > 0:  # no draw at all without it: older recipes stay bit for bit
            written = some_in_another_hand(written, hands, rng)
        x[real] = render_batch(written, rng)
        y[real] = sources.digit_labels[picks]
    if negative.any():
        x[negative] = non_digits(int(negative.sum()), sources, rng, doodles, turned, hands, pairs)
        y[negative] = NOT_A_DIGIT_INDEX
    return x, y
