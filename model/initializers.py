"""Weight initializers, named for what they are.

Each takes the array shape, the fan-in and fan-out, and the one seeded generator.

- ``he_normal``: N(0, 2/fan_in), for layers followed by ReLU (He et al., 2015).
- ``glorot_uniform``: U(+-sqrt(6/(fan_in+fan_out))), for tanh/sigmoid layers
  (Glorot & Bengio, 2010).
- ``scaled_normal``: N(0, 1/fan_in), the "1/sqrt(n_in)" initialisation of Nielsen's network2.
- ``standard_normal``: N(0, 1), the initialisation of Nielsen's first network.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Shape = tuple[int, ...]
Initializer = Callable[[Shape, int, int, np.random.Generator], np.ndarray]


def he_normal(shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)


def glorot_uniform(shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def scaled_normal(shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape)


def standard_normal(
    shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator
) -> np.ndarray:
    return rng.normal(0.0, 1.0, shape)


INITIALIZERS: dict[str, Initializer] = {
    "he_normal": he_normal,
    "glorot_uniform": glorot_uniform,
    "scaled_normal": scaled_normal,
    "standard_normal": standard_normal,
}


def initialize(
    name: str, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator | None
) -> np.ndarray:
    """Draw a float32 array of ``shape`` with the named initializer.

    Without a generator the array is zeros: the layer is being rebuilt from a weights
    file, whose parameters replace it at once (drawing random numbers would be waste).
    """
    if name not in INITIALIZERS:
        known = ", ".join(INITIALIZERS)
        raise ValueError(f"unknown initializer {name!r}; known: {known}")
    if rng is None:
        return np.zeros(shape, dtype=np.float32)
    return INITIALIZERS[name](shape, fan_in, fan_out, rng).astype(np.float32)
