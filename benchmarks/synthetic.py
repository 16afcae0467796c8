"""Synthetic drawings, photos and numbers made from MNIST *test* digits.

The robustness benchmark (``benchmarks/robustness.py``) and the pipeline tests
(``tests/benchmarks/test_robustness.py``) share these generators, so the tests' floors and
the benchmark's figures measure the same thing. Only test-set digits are used,
never training data, and every random choice comes from the ``rng`` passed in.

A digit is redrawn in one of two ways:

- ``digit_alpha``: the MNIST digit itself, enlarged (bicubic) and re-inked with
  a sharp, anti-aliased edge, keeping its own stroke widths;
- ``pen_alpha``: its skeleton (Zhang-Suen thinning) redrawn with a round pen of
  any width, like a finger or a mouse on a canvas (thin 2-3 pixel strokes, or
  fat marker strokes), going round every loop the digit shows, even one MNIST
  filled with ink.

Families (``FAMILIES``):

- canvases, 280x280: ``canvas_transparent`` (RGBA, dark strokes on a transparent
  background), ``canvas_white``, ``canvas_dark`` (light strokes on black),
  ``canvas_thin``, ``canvas_thick``; the digit at a random place and scale
  (from small in a corner to filling the canvas);
- photos (JPEG bytes): ``photo_paper`` (coloured paper, blue or black ink),
  ``photo_grid`` (squared paper), ``photo_chalk`` (chalk on a dark board),
  ``scan``, ``photo_pencil`` (thin, grainy graphite strokes, a third to two
  thirds as dark as ink), ``photo_shadow`` (a shadow with a sharp edge, a phone
  or a hand over the page, darkening part of it by 40 to 60%); with lighting
  gradients and vignetting, blur, sensor noise, JPEG compression, rotation up
  to 10 degrees and mild perspective;
- numbers of 2 to 6 digits with tight gaps (``number_image``), touching now and
  then, on a white canvas or as a photo.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from app.vision.clutter import holes
from app.vision.components import label_components
from app.vision.morphology import erode

Array = np.ndarray

CANVAS_FAMILIES = (
    "canvas_transparent",
    "canvas_white",
    "canvas_dark",
    "canvas_thin",
    "canvas_thick",
)
PHOTO_FAMILIES = (
    "photo_paper",
    "photo_grid",
    "photo_chalk",
    "scan",
    "photo_pencil",
    "photo_shadow",
)
FAMILIES = CANVAS_FAMILIES + PHOTO_FAMILIES
NUMBER_LENGTHS = (2, 3, 4, 5, 6)
CANVAS = 280
#: The inside of a loop, on the 96-pixel shape a pen redraws, covers at least this many
#: pixels (about a quarter of one of the MNIST digit's pixels, a loop that shows).
LOOP_AREA = 6
#: Ink deeper than this many times the strokes' half width is a blob (a loop filled with
#: ink); its core, of at least ``BLOB_CORE`` pixels, becomes the inside of a loop.
BLOB_DEPTH = 1.8
BLOB_CORE = 4
PHOTO_SIZE = (640, 480)


@dataclass
class Sample:
    """One synthetic input: a Pillow image or encoded bytes, and the true digits."""

    labels: tuple[int, ...]
    image: Image.Image | None = None
    data: bytes | None = None


# -- digit shapes ----------------------------------------------------------------------
def crop_digit(digit: Array) -> Array:
    """An MNIST digit (28x28, float, ink = 1) cropped to its ink."""
    rows = np.flatnonzero(digit.max(axis=1) > 0.05)
    cols = np.flatnonzero(digit.max(axis=0) > 0.05)
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _resize(values: Array, size: tuple[int, int], resample: Image.Resampling) -> Array:
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32), "F")
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def enlarge(digit: Array, height: int) -> tuple[Array, float]:
    """The MNIST digit enlarged (bicubic) to ``height`` pixels, and the slope that
    re-inks it with an edge of about one pixel."""
    crop = crop_digit(digit)
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    big = _resize(
        np.pad(crop, 1),
        (width + 2 * height // crop.shape[0], height + 2 * height // crop.shape[0]),
        Image.Resampling.BICUBIC,
    )
    return big, max(1.0, height / crop.shape[0]) / 2.0


def reink(big: Array, edge: float, level: float = 0.5) -> Array:
    """An enlarged digit's alpha with a sharp edge where it crosses ``level``."""
    return np.clip((big - level) * edge + 0.5, 0.0, 1.0)


def digit_alpha(digit: Array, height: int) -> Array:
    """The MNIST digit enlarged to ``height`` pixels, re-inked with a sharp edge."""
    return reink(*enlarge(digit, height))


def thin(mask: Array) -> Array:
    """Zhang-Suen thinning: the one-pixel skeleton of a binary mask."""
    img = np.pad(mask.astype(np.uint8), 1)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = [
                img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:],
                img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2],
            ]  # fmt: skip
            count = sum(q.astype(np.int32) for q in p)
            transitions = sum(
                ((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8)
            )
            if step == 0:
                side = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                side = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            remove = (
                (img[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & side
            )
            if remove.any():
                img[1:-1, 1:-1][remove] = 0
                changed = True
    return img[1:-1, 1:-1].astype(bool)


def loops(mask: Array, min_area: int = LOOP_AREA) -> Array:
    """The insides of the loops of a shape: background it encloses, of some size."""
    return holes(mask, min_area)


def depth(mask: Array) -> Array:
    """How deep each pixel lies in the shape: the 3x3 erosions it survives (0 outside)."""
    out = np.zeros(mask.shape, np.int32)
    layer = mask
    while layer.any():
        out += layer
        layer = erode(layer)
    return out


def blob_cores(shape: Array, skeleton: Array) -> Array:
    """The cores of blobs: parts of the shape much deeper than its strokes' half width.

    The half width is the median depth along the skeleton, which blobs hardly
    move; a crossing of two strokes is about 1.4 times as deep, a filled loop more.
    """
    if not skeleton.any():
        return np.zeros_like(shape)
    deep = depth(shape)
    cores = label_components(deep > BLOB_DEPTH * float(np.median(deep[skeleton])))
    sizable = [i for i in range(cores.count) if cores.areas[i] >= BLOB_CORE]
    return cores.mask(sizable)


def pen_alpha(digit: Array, height: int, pen: float, base: int = 96) -> Array:
    """The digit's skeleton redrawn at ``height`` pixels with a round pen ``pen`` pixels wide.

    Faint parts of the MNIST digit are kept and small gaps closed first, so the
    pen draws unbroken strokes, as a person would. The loops the digit shows stay
    open: closing gaps fills a small loop, and the skeleton of a filled loop is a
    line (an 8 with a small lower loop was redrawn as a 9). A loop MNIST filled
    with ink itself (a blob) gets a hole in its core, so the pen goes round it.
    """
    big, edge = enlarge(digit, base)  # once, re-inked at two levels
    shape = Image.fromarray(((reink(big, edge, level=0.3) > 0.5) * 255).astype(np.uint8))
    closed = np.asarray(shape.filter(ImageFilter.MaxFilter(3))) > 0
    closed &= ~loops(reink(big, edge) > 0.5)
    skeleton = thin(closed)
    cores = blob_cores(closed, skeleton)
    if cores.any():
        skeleton = thin(closed & ~cores)
    ys, xs = np.nonzero(skeleton)
    scale = height / base
    k = 3  # supersampling for anti-aliasing
    margin = pen / 2 + 2
    size = (round(skeleton.shape[1] * scale + 2 * margin) * k, round(height + 2 * margin) * k)
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    points = {(int(y), int(x)) for y, x in zip(ys, xs, strict=True)}
    radius = pen * k / 2

    def at(y: int, x: int) -> tuple[float, float]:
        return ((x + 0.5) * scale + margin) * k, ((y + 0.5) * scale + margin) * k

    for y, x in points:
        cx, cy = at(y, x)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if (y + dy, x + dx) in points:
                draw.line((cx, cy, *at(y + dy, x + dx)), fill=255, width=max(1, round(pen * k)))
    small = canvas.reduce(k)
    return np.asarray(small, dtype=np.float32) / 255.0


def place(alpha: Array, size: tuple[int, int], rng: np.random.Generator) -> Array:
    """Put a digit's alpha at a random place of a ``size`` (width, height) layer.

    A digit larger than the layer is shrunk to fit first: never cut off.
    """
    layer = np.zeros((size[1], size[0]), np.float32)
    h, w = alpha.shape
    if h > size[1] or w > size[0]:
        factor = min(size[1] / h, size[0] / w)
        fitted = (max(1, int(w * factor)), max(1, int(h * factor)))
        alpha = np.clip(_resize(alpha, fitted, Image.Resampling.BOX), 0.0, 1.0)
        h, w = alpha.shape
    y = int(rng.integers(0, size[1] - h + 1))
    x = int(rng.integers(0, size[0] - w + 1))
    layer[y : y + h, x : x + w] = alpha
    return layer


def place_inside(
    alpha: Array, size: tuple[int, int], rng: np.random.Generator, margin: float
) -> Array:
    """Like ``place``, keeping ``margin`` (a fraction of the size) free on every side."""
    inner = (round(size[0] * (1 - 2 * margin)), round(size[1] * (1 - 2 * margin)))
    layer = place(alpha, inner, rng)
    pad_y, pad_x = (size[1] - inner[1]) // 2, (size[0] - inner[0]) // 2
    return np.pad(layer, ((pad_y, size[1] - inner[1] - pad_y), (pad_x, size[0] - inner[0] - pad_x)))


# -- canvases --------------------------------------------------------------------------
def canvas_alpha(family: str, digit: Array, rng: np.random.Generator) -> Array:
    height = int(rng.integers(int(0.25 * CANVAS), int(0.9 * CANVAS)))
    if family == "canvas_thin":
        alpha = pen_alpha(digit, height, float(rng.uniform(2.0, 3.5)))
    elif family == "canvas_thick":
        alpha = pen_alpha(digit, height, float(rng.uniform(0.16, 0.24)) * height)
    elif rng.random() < 0.5:
        alpha = pen_alpha(digit, height, float(rng.uniform(0.07, 0.13)) * height)
    else:
        alpha = digit_alpha(digit, height)
    return place(alpha, (CANVAS, CANVAS), rng)


def canvas_image(family: str, digit: Array, rng: np.random.Generator) -> Image.Image:
    """A drawing-page canvas of one digit."""
    return canvas_of(family, canvas_alpha(family, digit, rng), rng)


def canvas_of(family: str, alpha: Array, rng: np.random.Generator) -> Image.Image:
    """The canvas ``family`` (transparent, dark or white) of an ink layer ``alpha``."""
    a8 = (alpha * 255.0 + 0.5).astype(np.uint8)
    if family == "canvas_transparent":
        rgba = np.zeros((*alpha.shape, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 60, size=3)
        rgba[..., 3] = a8
        return Image.fromarray(rgba, "RGBA")
    if family == "canvas_dark":
        return Image.fromarray(a8, "L")
    return Image.fromarray(255 - a8, "L")


def canvas_png(family: str, digit: Array, rng: np.random.Generator) -> bytes:
    """``canvas_image`` as the PNG file a browser would send."""
    buffer = io.BytesIO()
    canvas_image(family, digit, rng).save(buffer, "PNG")
    return buffer.getvalue()


# -- photos ----------------------------------------------------------------------------
def lighting(size: tuple[int, int], rng: np.random.Generator, strength: float = 0.5) -> Array:
    """A multiplicative light field: a linear gradient, a vignette and a soft shadow."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = x / w - 0.5, y / h - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * x + np.sin(angle) * y) * rng.uniform(0, strength)
    vignette = (x * x + y * y) * rng.uniform(0, strength)
    cx, cy, r = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(0.2, 0.5)
    shadow = rng.uniform(0, strength / 2) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (r * r))
    field = 1.0 - ramp - vignette - shadow
    return np.clip(field - field.max() + 1.0, 0.3, 1.0)


def grid_layer(size: tuple[int, int], spacing: float, rng: np.random.Generator) -> Array:
    """Squared-paper lines, one or two pixels thick, as an alpha layer."""
    w, h = size
    layer = Image.new("L", size, 0)
    draw = ImageDraw.Draw(layer)
    width = int(rng.integers(1, 3))
    offset = rng.uniform(0, spacing, size=2)
    for x in np.arange(offset[0], w, spacing):
        draw.line((x, 0, x, h), fill=255, width=width)
    for y in np.arange(offset[1], h, spacing):
        draw.line((0, y, w, y), fill=255, width=width)
    return np.asarray(layer, dtype=np.float32) / 255.0


def cast_shadow(size: tuple[int, int], rng: np.random.Generator) -> Array:
    """A shadow with a sharp edge (a phone, a hand) over part of the page, darkening it
    by 40 to 60%, as a multiplicative field."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle, offset = rng.uniform(0, 2 * np.pi), rng.uniform(-0.2, 0.2)
    side = np.cos(angle) * (x / w - 0.5) + np.sin(angle) * (y / h - 0.5) > offset
    edge = Image.fromarray((side * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))
    return 1.0 - float(rng.uniform(0.4, 0.6)) * np.asarray(edge, np.float32) / 255.0


def perspective(image: Image.Image, rng: np.random.Generator, amount: float) -> Image.Image:
    """A mild perspective distortion with a small rotation, keeping the size."""
    w, h = image.size
    angle = np.deg2rad(rng.uniform(-10, 10))
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    centre = corners.mean(axis=0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (corners - centre) @ rot.T * 0.78 + centre
    moved += rng.uniform(-amount, amount, size=(4, 2)) * np.array([w, h])
    coeffs = _perspective_coeffs(corners, moved)
    return image.transform(
        image.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC
    )


def _perspective_coeffs(out_pts: Array, in_pts: Array) -> tuple[float, ...]:
    """Coefficients mapping output pixel positions to input positions."""
    rows = []
    for (x, y), (u, v) in zip(out_pts, in_pts, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows), in_pts.reshape(8))
    return tuple(float(c) for c in solution)


def _colours(family: str, rng: np.random.Generator) -> tuple[Array, Array]:
    """Paper (background) and ink colours, RGB in [0, 1]."""
    if family == "photo_chalk":
        board = rng.uniform([0.05, 0.12, 0.08], [0.2, 0.3, 0.2])
        return board, rng.uniform(0.8, 0.95, size=3)
    paper = 1.0 - rng.uniform([0.0, 0.0, 0.03], [0.06, 0.1, 0.18])
    if family == "photo_pencil":
        return paper, np.full(3, rng.uniform(0.1, 0.25))
    if family == "scan" or rng.random() < 0.35:
        return paper, rng.uniform(0.0, 0.2, size=3)
    return paper, rng.uniform([0.05, 0.1, 0.35], [0.2, 0.3, 0.65])


def ink_on_paper(alpha: Array, family: str, rng: np.random.Generator, spacing: float) -> Array:
    """RGB scene in [0, 1]: paper, optional grid, ink."""
    h, w = alpha.shape
    paper, ink = _colours(family, rng)
    scene = np.broadcast_to(paper, (h, w, 3)).astype(np.float32).copy()
    if family == "photo_grid":
        line = rng.uniform([0.45, 0.6, 0.7], [0.75, 0.85, 0.95])
        grid = grid_layer((w, h), spacing, rng)[..., None] * rng.uniform(0.5, 1.0)
        scene = scene * (1 - grid) + line * grid
    if family == "photo_chalk":
        grain = np.clip(rng.normal(0.85, 0.25, size=alpha.shape), 0, 1).astype(np.float32)
        alpha = alpha * grain
    if family == "photo_pencil":  # graphite: grey, grainy, lighter or firmer
        grain = np.clip(rng.normal(0.8, 0.25, size=alpha.shape), 0, 1).astype(np.float32)
        alpha = alpha * grain * np.float32(rng.uniform(0.4, 0.75))
    a = alpha[..., None]
    return scene * (1 - a) + ink.astype(np.float32) * a


def photo_bytes(alpha: Array, family: str, rng: np.random.Generator, spacing: float) -> bytes:
    """Render a photo or scan of the ink in ``alpha`` and encode it as JPEG."""
    h, w = alpha.shape
    scene = ink_on_paper(alpha, family, rng, spacing)
    if family != "scan":
        scene = scene * lighting((w, h), rng)[..., None]
    if family == "photo_shadow":
        scene = scene * cast_shadow((w, h), rng)[..., None]
    image = Image.fromarray((np.clip(scene, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    if family != "scan":
        image = perspective(image, rng, 0.04)
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.4))))
    noisy = np.asarray(image, np.float32) + rng.normal(0, rng.uniform(1, 6), size=(h, w, 3))
    image = Image.fromarray(np.clip(noisy + 0.5, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(rng.integers(55, 92)))
    return buffer.getvalue()


def photo_sample(
    family: str, digit: Array, rng: np.random.Generator, size: tuple[int, int] = PHOTO_SIZE
) -> bytes:
    """A photo of one digit: ink of a pen-like width, 25 to 60% of the photo's height."""
    height = int(rng.uniform(0.25, 0.6) * size[1])
    if family == "photo_pencil":
        alpha = pen_alpha(digit, height, float(rng.uniform(0.02, 0.05)) * height)
    elif rng.random() < 0.5:
        alpha = pen_alpha(digit, height, float(rng.uniform(0.04, 0.1)) * height)
    else:
        alpha = digit_alpha(digit, height)
    spacing = height / rng.uniform(1.3, 2.5)
    return photo_bytes(place_inside(alpha, size, rng, 0.12), family, rng, spacing)


# -- numbers ---------------------------------------------------------------------------
def number_alpha(digits: list[Array], rng: np.random.Generator, height: int) -> Array:
    """Digits side by side with tight gaps (sometimes touching), as one alpha layer."""
    pen = float(rng.uniform(0.07, 0.12)) * height
    shapes = []
    for digit in digits:
        h = round(height * rng.uniform(0.9, 1.1))
        shapes.append(pen_alpha(digit, h, pen) if rng.random() < 0.5 else digit_alpha(digit, h))
    gaps = rng.integers(-2, max(3, height // 12), size=len(shapes))
    width = sum(s.shape[1] for s in shapes) + int(gaps.sum()) + 4 * height // 10
    tall = max(s.shape[0] for s in shapes) + 2 * height // 10
    layer = np.zeros((tall, width), np.float32)
    x = height // 5
    for shape, gap in zip(shapes, gaps, strict=True):
        y = (tall - shape.shape[0]) // 2 + int(rng.integers(-height // 20, height // 20 + 1))
        y = min(max(y, 0), tall - shape.shape[0])
        region = layer[y : y + shape.shape[0], x : x + shape.shape[1]]
        np.maximum(region, shape[: region.shape[0], : region.shape[1]], out=region)
        x += shape.shape[1] + int(gap)
    return layer


def number_image(digits: list[Array], rng: np.random.Generator, height: int = 100) -> Image.Image:
    """A white canvas with a number written on it."""
    alpha = number_alpha(digits, rng, height)
    return Image.fromarray(255 - (alpha * 255 + 0.5).astype(np.uint8), "L")


def number_photo(digits: list[Array], rng: np.random.Generator, height: int = 90) -> bytes:
    """A photo of a number on paper."""
    alpha = number_alpha(digits, rng, height)
    h, w = alpha.shape
    padded = np.pad(alpha, ((h, h), (w // 4, w // 4)))
    return photo_bytes(padded, "photo_paper", rng, height / 1.6)


# -- families --------------------------------------------------------------------------
def sample(family: str, digit: Array, label: int, rng: np.random.Generator) -> Sample:
    """One synthetic input of ``family`` showing ``digit``."""
    if family in CANVAS_FAMILIES:
        return Sample((label,), image=canvas_image(family, digit, rng))
    if family in PHOTO_FAMILIES:
        return Sample((label,), data=photo_sample(family, digit, rng))
    raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


def family_samples(
    family: str, images: Array, labels: Array, count: int, rng: np.random.Generator
) -> list[Sample]:
    """``count`` inputs of ``family`` from randomly chosen test digits."""
    chosen = rng.choice(len(images), size=count, replace=False)
    return [sample(family, images[i], int(labels[i]), rng) for i in chosen]


def number_samples(
    length: int,
    images: Array,
    labels: Array,
    count: int,
    rng: np.random.Generator,
    photo: bool = False,
) -> list[Sample]:
    """``count`` numbers of ``length`` digits, as canvases (or photos)."""
    out = []
    for _ in range(count):
        chosen = rng.choice(len(images), size=length, replace=False)
        digits = [images[i] for i in chosen]
        truth = tuple(int(labels[i]) for i in chosen)
        if photo:
            out.append(Sample(truth, data=number_photo(digits, rng)))
        else:
            out.append(Sample(truth, image=number_image(digits, rng)))
    return out
