"""The robustness benchmark's 95% interval (Wilson score), which says when a family's
figure on a few hundred inputs is really above or below its target."""

from __future__ import annotations

import pytest

from benchmarks.robustness import interval


def test_interval_holds_the_figure_and_narrows_with_more_inputs() -> None:
    low, high = interval(279, 300)
    assert 0.0 <= low < 279 / 300 < high <= 1.0
    wide, narrow = interval(93, 100), interval(930, 1000)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_interval_at_the_edges() -> None:
    # None right out of 10: the upper end is z^2 / (n + z^2), from the Wilson formula.
    assert interval(0, 10) == pytest.approx((0.0, 1.959964**2 / (10 + 1.959964**2)))
    assert interval(10, 10)[1] == pytest.approx(1.0)
    assert interval(0, 0) == (0.0, 1.0)
