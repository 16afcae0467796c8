"""How a synthetic photo or scan is made of an ink layer: paper, light, camera.

``photo_bytes`` lays the ink on paper (coloured, squared or a dark chalk
board; blue, black, chalk or pencil; for ``photo_desk`` a sheet lying at a slant on a
darker table, its edge near the writing), lights it (gradients, vignetting, a soft
shadow or, for ``photo_shadow``, a sharp one), looks at it through a camera
(rotation up to 10 degrees and mild perspective, blur, sensor noise) and
encodes it as JPEG; ``close_crop`` then cuts such a photo down to its ink, as a person
does before sending it. Every random choice comes from the ``rng`` passed in.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Array = np.ndarray


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


#: ``photo_desk``: the sheet's edge lies this far from the ink (a share of the frame's
#: shorter side), the sheet turned by up to ``SHEET_TURN`` degrees
SHEET_MARGIN = (0.03, 0.3)
SHEET_TURN = 15.0


def on_a_table(scene: Array, alpha: Array, rng: np.random.Generator) -> Array:
    """``scene`` as a sheet lying on a table: beyond a turned rectangle round the ink, a
    darker wood or grey surface with a little grain."""
    h, w = alpha.shape
    ys, xs = np.nonzero(alpha > 0.05)
    if xs.size:
        centre = np.array([(xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2])
        half = np.array([xs.max() - xs.min(), ys.max() - ys.min()]) / 2
    else:  # a blank sheet: round where a digit would be
        half = np.full(2, rng.uniform(0.12, 0.3) * h)
        centre = rng.uniform(half + 0.12 * h, np.array([w, h]) - half - 0.12 * h)
    # a margin of at least a quarter of the ink's half-diagonal keeps the ink on the turned sheet
    least = 0.25 * float(np.hypot(*half))
    margins = least + rng.uniform(*SHEET_MARGIN, size=4) * min(w, h)  # left, top, right, bottom
    corners = np.array(
        [
            [-half[0] - margins[0], -half[1] - margins[1]],
            [half[0] + margins[2], -half[1] - margins[1]],
            [half[0] + margins[2], half[1] + margins[3]],
            [-half[0] - margins[0], half[1] + margins[3]],
        ]
    )
    turn = np.deg2rad(rng.uniform(-SHEET_TURN, SHEET_TURN))
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    sheet = Image.new("L", (w, h), 0)
    ImageDraw.Draw(sheet).polygon([tuple(p) for p in corners @ rot.T + centre], fill=255)
    on_sheet = np.asarray(sheet, np.float32)[..., None] / 255.0
    table = rng.uniform(0.1, 0.55) * rng.uniform([0.6, 0.4, 0.25], [1.0, 0.85, 0.7])
    grain = rng.normal(0, rng.uniform(0.01, 0.04), size=(h, w, 1))
    surface = np.clip(table + grain, 0, 1).astype(np.float32)
    return scene * on_sheet + surface * (1 - on_sheet)


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
    if family == "photo_desk":
        scene = on_a_table(scene, alpha, rng)
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


#: ``close_crop``: ink is darker than this share of the paper's light nearby, and the
#: crop keeps a margin of up to ``CROP_MARGIN`` of the ink's height round it (0: the
#: strokes touch the frame)
CROP_INK = 0.6
CROP_MARGIN = 0.05
CROP_REACH = 5  # pixels of the quarter-size copy: wider than a stroke


def close_crop(data: bytes, rng: np.random.Generator) -> bytes:
    """The photo in ``data`` cropped to its ink's box and a small random margin."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    grey_image = image.convert("L")
    # the paper's light near each pixel: the brightest nearby, smoothed (strokes are thin),
    # found on a copy a quarter the size
    small = grey_image.reduce(4)
    paper = (
        small.filter(ImageFilter.MaxFilter(CROP_REACH))
        .filter(ImageFilter.GaussianBlur(CROP_REACH))
        .resize(grey_image.size, Image.Resampling.BILINEAR)
    )
    grey, light = np.asarray(grey_image, np.float32), np.asarray(paper, np.float32)
    ys, xs = np.nonzero(grey < CROP_INK * light)
    margin = int(rng.uniform(0, CROP_MARGIN) * (ys.max() - ys.min()))
    box = (xs.min() - margin, ys.min() - margin, xs.max() + 1 + margin, ys.max() + 1 + margin)
    w, h = image.size
    crop = image.crop((max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])))
    buffer = io.BytesIO()
    crop.save(buffer, format="JPEG", quality=int(rng.integers(75, 95)))
    return buffer.getvalue()
