"""Connected components of a binary mask, found through its horizontal runs.

A mask row is a handful of runs of ink; two runs on neighbouring rows touch
(8-connectivity) when their column ranges overlap or meet at a corner. Runs are
found with one vectorised difference, touching pairs with two binary searches,
and the groups by min-label propagation with pointer jumping over the run graph,
so the cost follows the number of runs (hundreds for a digit), not the pixels.
Only pure NumPy: no SciPy at run time.

``Components`` gives each component's area and bounding box, paints the mask
of any subset of them back, and measures a component's elongation from its
runs' second moments. A ``Region`` is what the segmenters hand on: the mask of
the components that make one digit, and its box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Components:
    """The components of a ``height x width`` mask; boxes are ``x0, y0, x1, y1`` (exclusive)."""

    shape: tuple[int, int]
    rows: np.ndarray  # run row
    starts: np.ndarray  # run first column
    ends: np.ndarray  # run end column (exclusive)
    run_label: np.ndarray  # component of each run, 0..count-1
    areas: np.ndarray  # pixels per component
    boxes: np.ndarray  # (count, 4) x0, y0, x1, y1
    source: np.ndarray  # the labelled mask itself (every component)

    @property
    def count(self) -> int:
        return len(self.areas)

    def mask(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """The boolean mask of the components ``ids`` (a new array)."""
        chosen = np.zeros(self.count, dtype=bool)
        chosen[np.asarray(ids, dtype=np.int64)] = True
        if chosen.all():  # a drawing's one digit: no need to paint it again
            return self.source.copy()
        keep = chosen[self.run_label]
        return paint_runs(self.shape, self.rows[keep], self.starts[keep], self.ends[keep])

    def crop(self, i: int) -> np.ndarray:
        """Component ``i`` alone, over its bounding box."""
        x0, y0, x1, y1 = (int(v) for v in self.boxes[i])
        own = self.run_label == i
        starts, ends = self.starts[own] - x0, self.ends[own] - x0
        return paint_runs((y1 - y0, x1 - x0), self.rows[own] - y0, starts, ends)

    def band(self, i: int) -> tuple[float, float]:
        """Length and width of the rectangle with component ``i``'s second moments along
        its principal axes (a band of length L has variance L**2 / 12 along it; a pixel
        counts as at least 1 wide)."""
        own = self.run_label == i
        y = self.rows[own].astype(np.float64)
        s, e = self.starts[own].astype(np.float64), self.ends[own].astype(np.float64)
        n = e - s
        sum_x = n * (s + e - 1) / 2  # per run: the columns s .. e-1
        sum_xx = _square_sum(e - 1) - _square_sum(s - 1)
        total = n.sum()
        mx, my = sum_x.sum() / total, (y * n).sum() / total
        cxx = sum_xx.sum() / total - mx * mx
        cyy = (y * y * n).sum() / total - my * my
        cxy = (y * sum_x).sum() / total - mx * my
        minor, major = np.linalg.eigvalsh(np.array([[cxx, cxy], [cxy, cyy]]))
        return float(np.sqrt(12 * max(major, 1 / 12))), float(np.sqrt(12 * max(minor, 1 / 12)))


@dataclass
class Region:
    """The ink of one digit on the analysis grid."""

    mask: np.ndarray  # boolean, analysis-image shape
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    digits: int = 1  # how many digits it seems to hold (a number written for one digit)


def _square_sum(k: np.ndarray) -> np.ndarray:
    """0**2 + 1**2 + ... + k**2 (0 for k = -1)."""
    return k * (k + 1) * (2 * k + 1) / 6


def find_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, start and end (exclusive) of every horizontal run, in row-major order."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=bool)
    padded[:, 1:-1] = mask
    # where a padded row changes value: a run's start, then its end, run after run
    changes = np.flatnonzero(padded[:, 1:] != padded[:, :-1])
    rows, columns = np.divmod(changes, width + 1)
    return rows[0::2], columns[0::2], columns[1::2]


def touching_pairs(
    rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (a, b) of runs where b is on the row below a and touches it."""
    key = np.int64(width + 2)
    start_key = rows.astype(np.int64) * key + starts
    end_key = rows.astype(np.int64) * key + ends
    below = (rows.astype(np.int64) + 1) * key
    first = np.searchsorted(end_key, below + starts, side="left")
    last = np.searchsorted(start_key, below + ends, side="right")
    counts = np.maximum(last - first, 0)
    a = np.repeat(np.arange(len(rows)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    b = np.repeat(first, counts) + offsets
    return a, b


def group_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label 0..k-1 of each of ``n`` nodes joined by the edges (a, b)."""
    label = np.arange(n)
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    return np.unique(label, return_inverse=True)[1].reshape(-1)


def label_components(mask: np.ndarray) -> Components:
    """The 8-connected components of a boolean mask."""
    rows, starts, ends = find_runs(mask)
    a, b = touching_pairs(rows, starts, ends, mask.shape[1])
    run_label = group_labels(len(rows), a, b)
    count = int(run_label.max()) + 1 if len(run_label) else 0
    areas = np.bincount(run_label, weights=ends - starts, minlength=count).astype(np.int64)
    boxes = np.zeros((count, 4), dtype=np.int64)
    if count:
        boxes[:, 0] = _reduce(np.minimum, run_label, starts, count, mask.shape[1])
        boxes[:, 1] = _reduce(np.minimum, run_label, rows, count, mask.shape[0])
        boxes[:, 2] = _reduce(np.maximum, run_label, ends, count, 0)
        boxes[:, 3] = _reduce(np.maximum, run_label, rows + 1, count, 0)
    source = np.array(mask, dtype=bool)  # a copy: the caller may change its mask later
    return Components(mask.shape, rows, starts, ends, run_label, areas, boxes, source)


def _reduce(
    ufunc: np.ufunc, label: np.ndarray, values: np.ndarray, count: int, init: int
) -> np.ndarray:
    out = np.full(count, init, dtype=np.int64)
    ufunc.at(out, label, values)
    return out


def paint_runs(
    shape: tuple[int, int], rows: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Boolean mask with the given runs set."""
    edges = np.zeros((shape[0], shape[1] + 1), dtype=np.int32)
    np.add.at(edges, (rows, starts), 1)
    np.add.at(edges, (rows, ends), -1)
    return np.cumsum(edges, axis=1)[:, :-1] > 0
