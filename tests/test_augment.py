"""Augmentation keeps digits digits: shapes, ranges, seeded, cheap, label-preserving."""

from __future__ import annotations

import numpy as np

from model.augment import AugmentConfig, augment_batch, change_thickness
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
