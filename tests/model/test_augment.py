"""Augmentation keeps digits digits: shapes, ranges, seeded, cheap, label-preserving."""

from __future__ import annotations

import numpy as np

from model.augment import (
    AugmentConfig,
    augment_batch,
    augment_some,
    change_thickness,
    pen_redraw,
    skeletonize,
)
from model.mnist import MNIST, to_float


def test_shapes_ranges_and_seeding(mnist: MNIST) -> None:
    x = to_float(mnist.test_images[:50])
    a = augment_batch(x, np.random.default_rng(3), AugmentConfig())
    b = augment_batch(x, np.random.default_rng(3), AugmentConfig())
    c = augment_batch(x, np.random.default_rng(4), AugmentConfig())
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, x)


def test_ink_stays_inside_the_frame(mnist: MNIST) -> None:
    x = to_float(mnist.test_images[:200])
    a = augment_batch(x, np.random.default_rng(0), AugmentConfig())
    ink_before, ink_after = x.sum(axis=(1, 2)), a.sum(axis=(1, 2))
    assert np.median(ink_after / ink_before) > 0.8  # digits are moved, not pushed out
    assert (ink_after > 0.3 * ink_before).all()


def test_identity_config_changes_nothing(mnist: MNIST) -> None:
    x = to_float(mnist.test_images[:20])
    none = AugmentConfig(
        rotation=0, scale=(1, 1), aspect=0, shear=0, shift=0, elastic_p=0, thickness_p=0
    )
    np.testing.assert_allclose(augment_batch(x, np.random.default_rng(0), none), x, atol=1e-5)


def test_thickness_moves_ink_mass_the_right_way(mnist: MNIST) -> None:
    x = to_float(mnist.test_images[:20])
    thicker = change_thickness(x, np.full(20, 1.0))
    thinner = change_thickness(x, np.full(20, -1.0))
    assert (thicker.sum(axis=(1, 2)) > x.sum(axis=(1, 2))).all()
    assert (thinner.sum(axis=(1, 2)) < x.sum(axis=(1, 2))).all()


def test_world_styles_touch_only_ones_and_sevens(mnist: MNIST) -> None:
    from model.styles import StyleConfig, add_world_styles

    x, y = to_float(mnist.test_images[:300]), mnist.test_labels[:300]
    every = StyleConfig(flag_p=1.0, base_p=0.5, crossed_p=1.0)
    styled = add_world_styles(x, y, np.random.default_rng(0), every)
    changed = np.abs(styled - x).sum(axis=(1, 2)) > 1.0
    assert set(np.unique(y[changed])) == {1, 7}
    assert changed[(y == 1) | (y == 7)].mean() > 0.95  # nearly all got a stroke
    assert (styled >= x - 1e-6).all() and styled.max() <= 1.0  # ink is only added
    again = add_world_styles(x, y, np.random.default_rng(0), every)
    np.testing.assert_array_equal(styled, again)


def test_flag_starts_at_the_top_and_goes_left(mnist: MNIST) -> None:
    from model.styles import add_flags

    ones = to_float(mnist.test_images[mnist.test_labels == 1][:50])
    flagged = add_flags(ones, np.random.default_rng(0), base_p=0.0)
    added = flagged - ones
    cols = np.arange(28)
    ink_x = (ones.sum(axis=1) * cols).sum(axis=1) / ones.sum(axis=(1, 2))
    added_x = (added.sum(axis=1) * cols).sum(axis=1) / added.sum(axis=(1, 2))
    rows = np.arange(28)
    ink_y = (ones.sum(axis=2) * rows).sum(axis=1) / ones.sum(axis=(1, 2))
    added_y = (added.sum(axis=2) * rows).sum(axis=1) / added.sum(axis=(1, 2))
    assert (added_x < ink_x).mean() >= 0.85  # the flag is left of the stem (most ones lean)
    assert (added_y < ink_y).mean() >= 0.85  # and in the upper half


def test_long_flags_reach_further_and_fall_less(mnist: MNIST) -> None:
    """A continental 1's up-stroke: wider and shallower than a short flag, yet falling."""
    from model.styles import add_flags

    ones = to_float(mnist.test_images[mnist.test_labels == 1][:60])

    def spans(long_p: float) -> tuple[np.ndarray, np.ndarray]:
        """Columns and rows the added flag covers, per image."""
        added = add_flags(ones, np.random.default_rng(2), 0.0, long_p) - ones > 0.5
        return added.any(axis=1).sum(axis=1), added.any(axis=2).sum(axis=1)

    short_wide, short_high = spans(0.0)
    long_wide, long_high = spans(1.0)
    assert np.median(long_wide) > 1.3 * np.median(short_wide)
    assert np.median(long_high / long_wide) < np.median(short_high / short_wide)
    assert (long_high >= 3).mean() > 0.9  # it falls to the left: not a 7's level bar


def test_skeleton_of_a_thick_bar_is_a_one_pixel_line() -> None:
    bars = np.zeros((2, 28, 28), dtype=bool)
    bars[0, 4:24, 10:16] = True  # upright bar, 6 pixels wide
    bars[1, 12:17, 3:25] = True  # lying bar, 5 pixels high
    skeleton = skeletonize(bars)
    assert (skeleton <= bars).all()  # thinning only removes ink
    assert skeleton[0].sum(axis=1)[8:20].tolist() == [1] * 12  # one pixel per row ...
    assert skeleton[1].sum(axis=0)[7:21].tolist() == [1] * 14  # ... and per column
    assert skeleton[0].sum() >= 14 and skeleton[1].sum() >= 16  # still as long as the bar


def test_pen_redraw_keeps_the_digit_and_evens_its_strokes(mnist: MNIST) -> None:
    x = to_float(mnist.test_images[:64])
    a = pen_redraw(x, np.random.default_rng(5), 1.0)
    b = pen_redraw(x, np.random.default_rng(5), 1.0)
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pen_redraw(x, np.random.default_rng(5), 0.0), x)
    # the pen follows the strokes: the redrawn ink lies on or next to the original ink
    near = change_thickness(change_thickness(x, np.ones(64)), np.ones(64)) > 0.1
    assert ((a > 0.5) <= near).all()
    assert not np.array_equal(a, x)


def test_pen_redraw_draws_one_width() -> None:
    """A wedge, 8 pixels wide at the top and 2 at the bottom, comes back as one width."""
    wedge = np.zeros((20, 28, 28), dtype=np.float32)
    for row in range(4, 24):
        half = 4 - 3 * (row - 4) // 19  # 4 .. 1
        wedge[:, row, 14 - half : 14 + half] = 1.0
    out = pen_redraw(wedge, np.random.default_rng(1), 1.0)
    for image in out:
        widths = (image[8:20] > 0.5).sum(axis=1)
        assert widths.max() - widths.min() <= 1, widths


def test_clean_fraction_leaves_that_share_untouched(mnist: MNIST) -> None:
    x = to_float(mnist.test_images[:400])
    out = augment_some(x, np.random.default_rng(2), AugmentConfig(), 0.25)
    untouched = np.array([np.array_equal(o, i) for o, i in zip(out, x, strict=True)])
    assert 0.17 < untouched.mean() < 0.33
    np.testing.assert_array_equal(
        augment_some(x, np.random.default_rng(2), AugmentConfig(), 0.0),
        augment_batch(x, np.random.default_rng(2), AugmentConfig()),
    )
