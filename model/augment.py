"""On-the-fly data augmentation for 28x28 digit batches, seeded and vectorised.

Every batch gets a fresh random geometric warp per image, built as one sampling
grid and applied with a single bilinear gather:

- an affine part: rotation, anisotropic scale, shear and shift;
- an elastic part (Simard et al., 2003): a random displacement field smoothed by
  a Gaussian, the wobble of a real hand.

Then some images get their strokes thickened or thinned (grey dilation or
erosion, blended for fractional amounts), since pens, brushes and the
preprocessing of phone photos all change stroke width. Optionally
(``pen_redraw``), some digits are first redrawn along their skeleton with a
uniform pen, as a drawing app or a marker writes. Everything draws from the
generator passed in and works on whole batches: no Python loop per image.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import numpy as np

Array = np.ndarray
SIZE = 28


@dataclass(frozen=True)
class AugmentConfig:
    rotation: float = 10.0  # degrees, uniform in +-rotation
    scale: tuple[float, float] = (0.85, 1.15)
    aspect: float = 0.12  # relative x/y scale difference, +-aspect
    shear: float = 0.25  # +-shear (x offset per unit of y)
    shift: float = 1.5  # pixels, +-shift
    elastic_alpha: float = 1.0  # pixels: typical displacement after smoothing
    elastic_sigma: float = 4.0  # pixels: smoothness of the displacement field
    elastic_p: float = 0.6  # fraction of images that get an elastic wobble
    thickness_p: float = 0.3  # fraction of images whose strokes are made thicker or thinner

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _gaussian_matrix(size: int, sigma: float) -> Array:
    """``(size, size)`` matrix that blurs a vector with a normalised Gaussian."""
    idx = np.arange(size)
    g = np.exp(-((idx[:, None] - idx[None, :]) ** 2) / (2 * sigma**2))
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def affine_grid(n: int, cfg: AugmentConfig, rng: np.random.Generator) -> tuple[Array, Array]:
    """Source coordinates ``(n, 28, 28)`` for x and y of a random affine warp per image."""
    c = (SIZE - 1) / 2.0
    theta = np.deg2rad(rng.uniform(-cfg.rotation, cfg.rotation, n))
    scale = rng.uniform(*cfg.scale, n)
    aspect = rng.uniform(-cfg.aspect, cfg.aspect, n)
    sx, sy = scale * (1 + aspect), scale * (1 - aspect)
    shear = rng.uniform(-cfg.shear, cfg.shear, n)
    tx, ty = rng.uniform(-cfg.shift, cfg.shift, (2, n))
    cos, sin = np.cos(theta), np.sin(theta)
    # forward map: output = R @ Shear @ Scale @ (input - c) + c + t; we need its inverse.
    a = np.stack([cos * sx, (cos * shear - sin) * sy, sin * sx, (sin * shear + cos) * sy], axis=1)
    a = a.reshape(n, 2, 2)
    inv = np.linalg.inv(a)  # (n, 2, 2)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    ox = xs[None] - c - tx[:, None, None]
    oy = ys[None] - c - ty[:, None, None]
    src_x = inv[:, 0, 0, None, None] * ox + inv[:, 0, 1, None, None] * oy + c
    src_y = inv[:, 1, 0, None, None] * ox + inv[:, 1, 1, None, None] * oy + c
    return src_x.astype(np.float32), src_y.astype(np.float32)


def elastic_field(n: int, cfg: AugmentConfig, rng: np.random.Generator) -> tuple[Array, Array]:
    """Smooth random displacements ``(n, 28, 28)`` for x and y, zero for unchosen images."""
    g = _gaussian_matrix(SIZE, cfg.elastic_sigma)
    noise = rng.uniform(-1, 1, (2, n, SIZE, SIZE)).astype(np.float32)
    smooth = g @ noise @ g.T  # blur rows and columns: (2, n, 28, 28)
    std = smooth.std(axis=(2, 3), keepdims=True) + 1e-6
    field = smooth / std * np.float32(cfg.elastic_alpha)
    field *= (rng.random(n) < cfg.elastic_p)[None, :, None, None]
    return field[0], field[1]


def bilinear_sample(images: Array, src_x: Array, src_y: Array) -> Array:
    """Sample ``images (n, 28, 28)`` at fractional coordinates; outside is background 0."""
    n = images.shape[0]
    padded = np.zeros((n, SIZE + 2, SIZE + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    x = np.clip(src_x + 1, 0, SIZE + 0.999)
    y = np.clip(src_y + 1, 0, SIZE + 0.999)
    x0, y0 = np.floor(x).astype(np.intp), np.floor(y).astype(np.intp)
    x1, y1 = np.minimum(x0 + 1, SIZE + 1), np.minimum(y0 + 1, SIZE + 1)
    wx, wy = x - x0, y - y0
    flat = padded.reshape(n, -1)
    base = (np.arange(n) * (SIZE + 2) ** 2)[:, None, None]
    w = SIZE + 2

    def at(yy: Array, xx: Array) -> Array:
        return flat.ravel()[base + yy * w + xx]

    top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
    bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


def _neighbourhood(images: Array, reduce: np.ufunc) -> Array:
    """Grey dilation (``np.maximum``) or erosion (``np.minimum``) with a 3x3 cross."""
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    out = images.copy()
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        out = reduce(out, p[:, dy : dy + SIZE, dx : dx + SIZE])
    return out


def change_thickness(images: Array, amount: Array) -> Array:
    """Blend towards dilation (``amount > 0``) or erosion (``amount < 0``), per image."""
    a = amount[:, None, None].astype(np.float32)
    thicker = _neighbourhood(images, np.maximum)
    thinner = _neighbourhood(images, np.minimum)
    out = np.where(a > 0, images + a * (thicker - images), images + (-a) * (thinner - images))
    return out.astype(np.float32)


def augment_batch(images: Array, rng: np.random.Generator, cfg: AugmentConfig) -> Array:
    """``(n, 28, 28)`` float32 in [0, 1] -> a randomly warped copy of the same shape."""
    n = images.shape[0]
    src_x, src_y = affine_grid(n, cfg, rng)
    ex, ey = elastic_field(n, cfg, rng)
    out = bilinear_sample(images, src_x + ex, src_y + ey)
    chosen = np.less(rng.random(n), cfg.thickness_p)
    amount = np.where(chosen, rng.uniform(-0.8, 1.0, n), 0.0)
    if chosen.any():
        out = change_thickness(out, amount)
    return np.clip(out, 0.0, 1.0)


def augment_some(
    images: Array, rng: np.random.Generator, cfg: AugmentConfig, clean_fraction: float
) -> Array:
    """Augment a random ``1 - clean_fraction`` of the batch; leave the rest as written.

    Keeping some untouched digits in every batch lets the network also fit MNIST's
    own distribution exactly. ``clean_fraction == 0`` is :func:`augment_batch`
    itself (the same random draws, so older runs reproduce).
    """
    if clean_fraction <= 0:
        return augment_batch(images, rng, cfg)
    warped = rng.random(len(images)) >= clean_fraction  # (n,) bool
    out = images.copy()
    if warped.any():
        out[warped] = augment_batch(images[warped], rng, cfg)
    return out


def _neighbours(mask: Array) -> list[Array]:
    """The 8 neighbours P2..P9 of every pixel (clockwise from the one above), 0 outside."""
    p = np.pad(mask, ((0, 0), (1, 1), (1, 1)))
    h, w = mask.shape[1:]
    offsets = ((0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0), (0, 0))
    return [p[:, dy : dy + h, dx : dx + w] for dy, dx in offsets]


def skeletonize(mask: Array, max_rounds: int = 20) -> Array:
    """Zhang-Suen thinning of a batch of boolean images ``(n, h, w)`` to 1-pixel lines."""
    skeleton = mask.copy()
    for _ in range(max_rounds):
        changed = False
        for step in (0, 1):
            p2, p3, p4, p5, p6, p7, p8, p9 = (n.astype(np.uint8) for n in _neighbours(skeleton))
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            count = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
            rises = sum(((a == 0) & (b == 1)).astype(np.uint8) for a, b in itertools.pairwise(ring))
            if step == 0:
                clear = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                clear = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = skeleton & (count >= 2) & (count <= 6) & (rises == 1) & clear
            if remove.any():
                skeleton &= ~remove
                changed = True
        if not changed:
            break
    return skeleton


def _soften(images: Array) -> Array:
    """A [1, 2, 1] / 4 blur along both axes: the anti-aliased edge of a drawn line."""
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    rows = (p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]) * np.float32(0.25)
    return (rows[:, :, :-2] + 2 * rows[:, :, 1:-1] + rows[:, :, 2:]) * np.float32(0.25)


def pen_redraw(images: Array, rng: np.random.Generator, p: float) -> Array:
    """Redraw a random share ``p`` of the digits with a uniform round pen.

    MNIST strokes vary in width and grey, as a pen pressed harder or softer on
    paper; a drawing app's pen (and a marker) draws one width and one grey. The
    chosen digits are thinned to their skeleton, widened again by 0 to 2 pixels
    (a pen 1 to 5 pixels wide at 28x28) and anti-aliased.
    """
    chosen = np.flatnonzero(rng.random(len(images)) < p)
    if chosen.size == 0:
        return images
    skeleton = skeletonize(images[chosen] > 0.35).astype(np.float32)
    passes = rng.choice(3, size=chosen.size, p=[0.2, 0.5, 0.3])
    pen = skeleton
    for k in (1, 2):
        grown = _neighbourhood(pen, np.maximum)
        pen = np.where((passes >= k)[:, None, None], grown, pen)
    out = images.copy()
    soft = _soften(pen)
    top = soft.reshape(len(soft), -1).max(axis=1)[:, None, None]
    out[chosen] = np.where(top > 0, soft / np.maximum(top, 1e-6), images[chosen])
    return out
