"""Statistics of grey levels the ink analysis leans on: a quantile, Otsu's threshold, noise.

All three work on a flat sample of values and cost one partial sort or one
histogram, so the analysis can call them on every image without SciPy.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def quantile(values: Array, q: float) -> float:
    """The ``q`` quantile (0..1) of an array, by partial sorting (no interpolation)."""
    flat = values.ravel()
    k = min(flat.size - 1, max(0, int(q * (flat.size - 1) + 0.5)))
    return float(np.partition(flat, k)[k])


def otsu(values: Array, bins: int = 64) -> float:
    """Otsu's threshold: the cut maximising the between-class variance."""
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return low
    step = (high - low) / bins
    index = np.minimum(((values - low) * (1.0 / step)).astype(np.int64), bins - 1)
    counts = np.bincount(index.ravel(), minlength=bins)
    edges = low + step * np.arange(bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts).astype(np.float64)
    mass = np.cumsum(counts * centres)
    total, total_mass = weight[-1], mass[-1]
    other = total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass * total - total_mass * weight) ** 2 / (weight * other)
    between[~np.isfinite(between)] = -1.0
    return float(edges[int(np.argmax(between)) + 1])


def robust_noise(ink: Array) -> float:
    """Standard deviation of the paper's ink values, from their median absolute deviation."""
    sample = ink[::2, ::2] if ink.ndim == 2 and min(ink.shape) >= 64 else ink
    return quantile(np.abs(sample - quantile(sample, 0.5)), 0.5) * 1.4826
