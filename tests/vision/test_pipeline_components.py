"""Connected components from runs agree with a plain flood fill, on any mask."""

from __future__ import annotations

import numpy as np
import pytest

from app.vision.components import label_components
from app.vision.numbers import number_regions


def flood_fill_labels(mask: np.ndarray) -> tuple[int, list[int], list[tuple[int, int, int, int]]]:
    """Reference: 8-connected components by depth-first search (count, areas, boxes)."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    areas, boxes = [], []
    for y in range(h):
        for x in range(w):
            if not mask[y, x] or seen[y, x]:
                continue
            stack, pixels = [(y, x)], []
            seen[y, x] = True
            while stack:
                cy, cx = stack.pop()
                pixels.append((cy, cx))
                for ny in range(max(0, cy - 1), min(h, cy + 2)):
                    for nx in range(max(0, cx - 1), min(w, cx + 2)):
                        if mask[ny, nx] and not seen[ny, nx]:
                            seen[ny, nx] = True
                            stack.append((ny, nx))
            ys, xs = zip(*pixels, strict=True)
            areas.append(len(pixels))
            boxes.append((min(xs), min(ys), max(xs) + 1, max(ys) + 1))
    return len(areas), areas, boxes


@pytest.mark.parametrize("seed", range(30))
def test_components_match_flood_fill(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 40)), int(rng.integers(1, 40)))
    mask = rng.random(shape) < rng.uniform(0.05, 0.7)
    parts = label_components(mask)
    count, areas, boxes = flood_fill_labels(mask)
    assert parts.count == count
    found = sorted(zip(parts.areas.tolist(), map(tuple, parts.boxes.tolist()), strict=True))
    assert found == sorted(zip(areas, boxes, strict=True))
    assert np.array_equal(parts.mask(list(range(parts.count))), mask)
    painted = np.zeros(shape, dtype=bool)
    for i in range(parts.count):  # each painted from its runs, none overlapping
        one = parts.mask([i])
        assert one.sum() == parts.areas[i] and not (painted & one).any()
        painted |= one
    assert np.array_equal(painted, mask)


@pytest.mark.parametrize("seed", range(10))
def test_crops_and_bands_agree_with_the_pixels(seed: int) -> None:
    """Each component's crop is its mask over its box; its band comes from the same
    second moments as its pixels' covariance (the oracle: ``np.cov`` of the pixels)."""
    rng = np.random.default_rng(seed)
    mask = rng.random((30, 40)) < rng.uniform(0.2, 0.7)
    parts = label_components(mask)
    for i in range(parts.count):
        x0, y0, x1, y1 = parts.boxes[i]
        assert np.array_equal(parts.crop(i), parts.mask([i])[y0:y1, x0:x1])
        ys, xs = np.nonzero(parts.mask([i]))
        if len(xs) < 2:
            continue
        minor, major = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]), bias=True))
        expected = np.sqrt(12 * np.maximum([major, minor], 1 / 12))
        assert np.allclose(parts.band(i), expected)


def test_the_band_of_a_bar_is_its_length_and_width() -> None:
    mask = np.zeros((50, 80), dtype=bool)
    mask[10:16, 5:65] = True  # 60 by 6 (n pixels in a row: variance (n**2 - 1) / 12)
    length, width = label_components(mask).band(0)
    assert length == pytest.approx(np.sqrt(60**2 - 1)) and width == pytest.approx(np.sqrt(35))
    line = label_components(np.eye(30, dtype=bool))  # one pixel wide, on the diagonal
    length, width = line.band(0)
    assert length == pytest.approx(np.sqrt(2) * 30, rel=0.01) and width == pytest.approx(1)


def test_the_mask_of_every_component_is_a_copy_of_the_labelled_mask() -> None:
    mask = np.zeros((4, 6), dtype=bool)
    mask[1, 1:3] = mask[2, 4] = True
    parts = label_components(mask)
    mask[0, 0] = True  # the caller's mask changes afterwards
    everything = parts.mask([0, 1])
    everything[3, 5] = True  # and so does the returned one
    assert parts.count == 2 and parts.mask([1, 0]).sum() == 3


def test_diagonal_neighbours_connect_and_masks_are_separate() -> None:
    mask = np.zeros((6, 6), dtype=bool)
    mask[0, 0] = mask[1, 1] = mask[2, 2] = True  # one diagonal line
    mask[4:6, 4:6] = True  # a square apart
    parts = label_components(mask)
    assert parts.count == 2
    line = int(np.argmin(parts.areas))
    assert parts.areas[line] == 3 and parts.mask([line]).sum() == 3
    assert not (parts.mask([line]) & parts.mask([1 - line])).any()


def test_empty_mask() -> None:
    parts = label_components(np.zeros((5, 7), dtype=bool))
    assert parts.count == 0 and not parts.mask([]).any()


def test_digits_far_apart_up_and_down_with_a_fragment_are_still_split() -> None:
    """Two digit-sized strokes at different heights (no writing line through both) and a
    small fragment: the fragment joins one of them instead of failing the request."""
    mask = np.zeros((90, 60), dtype=bool)
    mask[2:22, 4:8] = True  # a 1 high up
    mask[62:82, 30:34] = True  # a 1 further down
    mask[40:43, 50:53] = True  # a fragment between them
    regions = number_regions(mask)
    assert len(regions) == 2
    assert [r.box[0] for r in regions] == sorted(r.box[0] for r in regions)
    assert sum(int(r.mask.sum()) for r in regions) <= int(mask.sum())
