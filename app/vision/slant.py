"""Writing that leans, stood upright for cutting: shears of a group of digits.

Most people's digits lean, most often to the right. Where neighbouring digits
touch or overlap, a vertical cut between two leaning digits crosses both: the
top of one reaches over the foot of the next. Cut along the lean instead and
they part. So the recognition-guided cut (``app.vision.guided``) also looks for
its cuts in the group sheared upright at each of ``CUT_SLANTS`` (each row moved
sideways in proportion to its height above the middle), cuts straight down in
that frame, and shears each piece back before the network reads it: the
network sees the digit as written, only the cut follows the lean.

Which lean is right is left to the reading, not estimated from the ink: the
sharpest column profile, the usual estimate for words, was measured to pick
wildly wrong leans for digits, whose curves and bars have no upright stroke.
Shifts are whole pixels and each row moves as a block, so shearing back
restores the mask exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray
Box = tuple[int, int, int, int]

#: The leans a cut may follow besides straight down: columns per row of height, rightward
#: (0.2 and 0.4: 11 and 22 degrees, an ordinary and a strong lean of the hand).
CUT_SLANTS = (0.2, 0.4)


@dataclass(frozen=True)
class Shear:
    """Moves row ``y`` of a mask ``shifts[y]`` columns, inside a frame ``pad`` columns
    wider on each side so that no ink falls off; ``back`` undoes it exactly."""

    shifts: Array  # (height,) int
    pad: int

    def upright(self, mask: Array) -> Array:
        """``(height, width)`` -> ``(height, width + 2 pad)``, each row moved."""
        return self._move(np.pad(mask, ((0, 0), (self.pad, self.pad))), self.shifts)

    def back(self, mask: Array) -> Array:
        """``(height, width + 2 pad)`` -> ``(height, width)``: the inverse of ``upright``."""
        return self._move(mask, -self.shifts)[:, self.pad : mask.shape[1] - self.pad]

    @staticmethod
    def _move(mask: Array, shifts: Array) -> Array:
        columns = np.arange(mask.shape[1])[None, :] - shifts[:, None]  # (height, width)
        inside = (columns >= 0) & (columns < mask.shape[1])
        rows = np.arange(mask.shape[0])[:, None]
        return np.where(inside, mask[rows, np.clip(columns, 0, mask.shape[1] - 1)], False)


def shear_upright(height: int, box: Box, slant: float) -> Shear:
    """The shear that stands writing leaning ``slant`` upright about the box's middle
    row: rows above it move left for a rightward lean, rows below move right."""
    middle = (box[1] + box[3] - 1) / 2
    shifts = np.round(slant * (np.arange(height) - middle)).astype(np.int64)
    inside = np.abs(shifts[box[1] : box[3]])  # the group's ink lies in its box's rows
    return Shear(shifts, max(int(inside.max()), 1))
