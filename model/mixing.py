"""Real writers and non-digits mixed into MNIST training batches, rendered on the fly.

MNIST's writers are one population; people using the service are another (open
4s, hooked 9s, flagged 1s, slashed 0s...). ``mix_batch`` replaces a random share
of each batch (``MixRecipe.real_writers``) with digits of the pendigits *training*
writers (``model.strokedata``: the held-out writers are never loaded here), each
drawn with a random pen and size (``model.render``), and, when the network has a
"not a digit" output, another share (``not_digit``) with non-digits labelled 10:
half real handwritten letters from the uji-letters training writers (minus the
letters written like digits), half generated shapes, symbols and scribbles
(``model.negatives.TRAIN_KINDS``). Of those, as the recipe asks:

- ``doodles``: random doodles instead of the listed shapes
  (``model.negatives.OPEN_KINDS``: marks in no listed arrangement);
- ``turned``: training writers' digits turned into none
  (``model.negatives.turned_digit``: a 3 in a mirror, a 7 upside down);
- ``pairs``: two training writers' digits side by side, touching or nearly
  (``model.negatives.side_by_side``: two digits are not one);
- ``letter_shapes``: letters drawn from templates (``model.letter_shapes``: the
  plain letters 8 writers do not all show).

A share ``hands`` of the real writers' strokes, digits and letters alike, is
redrawn in another hand first (``model.hands``: another lean, width and placing of
the strokes). The rest of the augmentation (rotation, elastic wobble, thickness)
then applies to all of them alike.

Every choice comes from the training run's one generator, so a seed still gives
the same weights bit for bit; a share of 0 draws nothing, so older recipes do too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from model.hands import some_in_another_hand
from model.letter_shapes import NAMES as LETTER_NAMES
from model.letter_shapes import draw_letter
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


@dataclass(frozen=True)
class MixRecipe:
    """What a batch mixes in, each a share (0: none, and no random draw for it, so older
    recipes stay bit for bit)."""

    real_writers: float = 0.0  # of each batch: training writers' digits
    not_digit: float = 0.0  # of each batch: non-digits, labelled 10
    doodles: float = 0.0  # of the generated non-digits: random doodles
    turned: float = 0.0  # of the non-digits: digits turned into none
    pairs: float = 0.0  # of the non-digits: two digits side by side
    letter_shapes: float = 0.0  # of the non-digits: letters drawn from templates
    hands: float = 0.0  # of the real writers' strokes: redrawn in another hand


def non_digits(
    count: int, sources: MixSources, rng: np.random.Generator, recipe: MixRecipe = MixRecipe()
) -> Array:
    """``count`` rendered non-digits: real letters and generated kinds, and the shares
    ``recipe`` asks for of doodles, turned digits, pairs and letters from templates; a
    share ``recipe.hands`` of the real writers' strokes among them in another hand."""
    from_letters = rng.random(count) < (LETTER_SHARE if sources.letters else 0.0)
    letter_picks = rng.integers(0, max(1, len(sources.letters)), count)
    kind_picks = rng.integers(0, len(KIND_NAMES), count)
    names = [KIND_NAMES[k] for k in kind_picks]
    if recipe.doodles > 0:
        doodled = rng.random(count) < recipe.doodles
        names = [DOODLE if d else n for n, d in zip(names, doodled, strict=True)]
    turns: list[StrokeSample | None] = [None] * count
    if recipe.turned > 0:
        turnable = sources.turnable
        picks = rng.integers(0, len(turnable), count)
        chosen = rng.random(count) < recipe.turned
        turns = [turnable[p] if t else None for p, t in zip(picks, chosen, strict=True)]
    paired = np.zeros(count, bool)
    if recipe.pairs > 0:
        paired = rng.random(count) < recipe.pairs
        pairable = sources.pairable
        both = rng.integers(0, len(pairable), (count, 2))
        gaps = rng.uniform(*PAIR_GAP, count)
        drifts = rng.uniform(-PAIR_DRIFT, PAIR_DRIFT, count)
    shaped = np.zeros(count, bool)
    if recipe.letter_shapes > 0:
        shaped = rng.random(count) < recipe.letter_shapes
        shape_picks = rng.integers(0, len(LETTER_NAMES), count)

    def one(i: int) -> Strokes:
        if paired[i]:
            left, right = (pairable[k].strokes for k in both[i])
            return side_by_side(left, right, float(gaps[i]), float(drifts[i]))
        if (turn := turns[i]) is not None:
            return turned_digit(turn.strokes, turn.label, rng)
        if shaped[i]:
            return draw_letter(LETTER_NAMES[shape_picks[i]], rng)
        if from_letters[i]:
            return sources.letters[letter_picks[i]].strokes
        return draw(names[i], rng)

    characters: list[Sequence[Array]] = [one(i) for i in range(count)]
    if recipe.hands > 0:
        written = [
            i
            for i in range(count)
            if paired[i] or turns[i] is not None or (from_letters[i] and not shaped[i])
        ]
        redrawn = some_in_another_hand([characters[i] for i in written], recipe.hands, rng)
        for i, strokes in zip(written, redrawn, strict=True):
            characters[i] = strokes
    return render_batch(characters, rng)


def mix_batch(
    x: Array, y: Array, sources: MixSources, recipe: MixRecipe, rng: np.random.Generator
) -> tuple[Array, Array]:
    """A copy of the batch with some images replaced by real writers and non-digits."""
    x, y = x.copy(), y.copy()
    draw_share = rng.random(len(y))
    real_share = recipe.real_writers
    real = draw_share < real_share if sources.digits else np.zeros(len(y), bool)
    negative = (draw_share >= real_share) & (draw_share < real_share + recipe.not_digit)
    if real.any():
        picks = rng.integers(0, len(sources.digits), int(real.sum()))
        written = [sources.digits[i].strokes for i in picks]
        if recipe.hands > 0:
            written = some_in_another_hand(written, recipe.hands, rng)
        x[real] = render_batch(written, rng)
        y[real] = sources.digit_labels[picks]
    if negative.any():
        x[negative] = non_digits(int(negative.sum()), sources, rng, recipe)
        y[negative] = NOT_A_DIGIT_INDEX
    return x, y
