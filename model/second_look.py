"""A second look: when the network is unsure which digit it sees, it looks again.

People squint, tilt their head, or look twice at a digit they cannot read at once. A
network can do the same: an image it reads with less than ``SECOND_LOOK_BELOW`` of its
probability on one digit is read once more in a few views moved by one pixel along
each diagonal and turned by a few degrees either way, and the views' answers are
combined. A view shifts the image by a pixel or turns it slightly, which changes no
digit, but it changes which of the network's filters line up with the strokes; where
one view happens to fall on the wrong side of a decision boundary, the others pull the
answer back. Only the unsure few pay for it: for the shipped CNN, 1.4% of MNIST test
and 1.5-3% of drawn and photographed digits.

The views' digit probabilities are combined by their geometric mean (the mean of the
log-probabilities, renormalised): one view that is sure of a digit cannot outvote the
rest, and the answer's confidence stays calibrated (MNIST test ECE 0.0020 with one look,
0.0021 with the second). Whether the image holds a digit at all stays the first look's
judgment: the views are there to tell digits apart, not to decide what is a digit.

Only convolutional networks look twice. Their filters slide over the image, so a
shifted digit is a digit they know; a fully connected network has learnt each pixel's
place, and the same views cost it accuracy (the shipped MLP: MNIST test 99.31% with
one look, 99.26% with two). ``docs/pipeline.md`` gives the measurements.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.augment import SIZE, bilinear_sample
from model.conv import Conv2D
from model.layers import Array
from model.network import Network

#: below this probability on its best digit, the network looks again
SECOND_LOOK_BELOW = 0.9
#: the views' shifts in pixels (rows, columns): one along each diagonal
SHIFTS = ((1, 1), (-1, -1), (-1, 1), (1, -1))
#: the views' turns, in degrees (counter-clockwise as the image is seen)
TURNS = (-8.0, 8.0)
#: the smallest probability the geometric mean takes the log of
_FLOOR = np.float32(1e-30)

Read = Callable[[Array], tuple[Array, Array]]


def shifted(images: Array, dy: int, dx: int) -> Array:
    """``(n, 28, 28)`` moved ``dy`` rows down and ``dx`` columns right; paper comes in."""
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = images[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def turned(images: Array, degrees: float) -> Array:
    """``(n, 28, 28)`` turned about the centre by ``degrees`` (bilinear, paper outside)."""
    c = (SIZE - 1) / 2.0
    theta = np.deg2rad(degrees)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    # each output pixel samples the input where the inverse turn takes it; with y down,
    # a counter-clockwise turn on screen is a clockwise one in (x, y) coordinates
    cos, sin = np.cos(theta), np.sin(theta)
    src_x = cos * (xs - c) - sin * (ys - c) + c
    src_y = sin * (xs - c) + cos * (ys - c) + c
    n = len(images)
    if n == 0:  # nothing to sample (and no flat index to build)
        return images.copy()
    grid_x = np.broadcast_to(src_x.astype(np.float32), (n, SIZE, SIZE))
    grid_y = np.broadcast_to(src_y.astype(np.float32), (n, SIZE, SIZE))
    return bilinear_sample(images, grid_x, grid_y)


def views(images: Array) -> Array:
    """``(n, 28, 28)`` -> ``(v, n, 28, 28)``: the image itself, shifted, and turned."""
    moved = [shifted(images, dy, dx) for dy, dx in SHIFTS]
    return np.stack([images, *moved, *(turned(images, a) for a in TURNS)])


def geometric_mean(probabilities: Array) -> Array:
    """``(v, n, k)`` distributions -> ``(n, k)``: the renormalised geometric mean."""
    log_mean = np.log(np.maximum(probabilities, _FLOOR)).mean(axis=0)
    weights = np.exp(log_mean - log_mean.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def second_look(read: Read, images: Array) -> tuple[Array, Array]:
    """``read`` of ``images``, with the unsure ones read again in every view.

    ``read`` maps ``(n, 28, 28)`` to the ten digits' probabilities ``(n, 10)`` and the
    not-a-digit probability ``(n,)``; so does this. Sure answers are returned as read.
    """
    digits, refused = read(images)
    unsure = np.flatnonzero(digits.max(axis=1) < SECOND_LOOK_BELOW)
    if len(unsure) == 0:
        return digits, refused
    digits = digits.copy()
    digits[unsure] = look_again(read, images[unsure])
    return digits, refused


def look_again(read: Read, images: Array) -> Array:
    """``(n, 28, 28)`` -> ``(n, 10)``: the digits' probabilities from every view at once."""
    return read_views(read, views(images))


def read_views(read: Read, seen: Array) -> Array:
    """``(v, n, 28, 28)`` views -> ``(n, 10)``, read in one batch and combined."""
    again, _ = read(seen.reshape(-1, SIZE, SIZE))  # (v*n, 10)
    return geometric_mean(again.reshape(len(seen), seen.shape[1], -1))


def looks_twice(network: Network) -> bool:
    """Whether ``network`` takes a second look: convolutional networks do."""
    return any(isinstance(layer, Conv2D) for layer in network.layers)


def served_read(network: Network, images: Array) -> tuple[Array, Array]:
    """How the service reads ``images``: the fast pass, and a second look where it helps."""

    def read(batch: Array) -> tuple[Array, Array]:
        return network.read(batch, fast=True)

    return second_look(read, images) if looks_twice(network) else read(images)
