"""From one image's recordings (``model.explain``) to the look-inside answer: pictures and words.

``explain_image`` is the work ``POST /explain`` hands off the event loop (and
``digits explain`` calls directly): decode and prepare the image like
``/predict`` does, explain each digit found, and turn every layer into a
:class:`LayerView`: a mosaic of its maps or a strip of its units, the numbers
behind the picture, and a caption that says what the layer does in plain words.

Layers that do not change the numbers at inference (flatten, dropout) are left out;
the caption of the dense layer after them says that the maps became one list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.service import pictures
from app.service.describe import model_info
from app.service.explain_schemas import (
    METHOD,
    AttributionView,
    DigitInside,
    ExplainResponse,
    FiltersView,
    LayerView,
    SecondLookView,
)
from app.service.inputs import Source
from app.service.predictor import Options, Timer, prepare
from app.service.registry import ServedModel
from model.explain import Attribution, Explanation, LayerOutput, explain
from model.layers import Array
from model.second_look import SECOND_LOOK_BELOW, TURNS, looks_twice, read_views, views

#: layers that pass their input through unchanged at inference
UNCHANGED = frozenset({"flatten", "dropout"})
#: maps per row of a layer's mosaic
MAP_COLUMNS = 8
#: the multiplication sign of the captions (an escape: in code it looks like an x)
TIMES = "\u00d7"
#: digits of the numbers sent with the pictures (the pictures themselves hold 8 bits)
DECIMALS = 4


@dataclass(frozen=True)
class ExplainRequest:
    """What ``POST /explain`` was sent: the image, and whether it holds a number."""

    source: Source
    number: bool = False
    zoom: int = 1  # each picture pixel drawn zoom x zoom (the CLI's files; the page scales)


def explain_image(model: ServedModel, request: ExplainRequest, options: Options) -> ExplainResponse:
    """``POST /explain``: every digit found, with what each layer saw and why."""
    timer = Timer()
    prepared = prepare(request.source, request.number, options, timer, model)
    pieces = prepared.pieces if request.number else prepared.pieces[:1]
    with timer.stage("explain"):
        found = [explain(model.network, piece.image) for piece in pieces]
    with timer.stage("pictures"):
        digits = [
            digit_inside(
                seen,
                request.zoom,
                [int(v) for v in piece.box] if request.number else None,
                second_look_view(model, seen, request.zoom),
            )
            for seen, piece in zip(found, pieces, strict=True)
        ]
    return ExplainResponse(
        method=METHOD, digits=digits, model=model_info(model), timing_ms=timer.done()
    )


def digit_inside(
    seen: Explanation,
    zoom: int = 1,
    box: list[int] | None = None,
    second_look: SecondLookView | None = None,
) -> DigitInside:
    """One explained digit as pictures, numbers and captions (and its second look, if any)."""
    answer, runner_up = seen.answer, seen.runner_up
    versus = Attribution(
        answer.digit,
        answer.score - runner_up.score,
        answer.gradient - runner_up.gradient,
        seen.contrast,
    )
    return DigitInside(
        digit=answer.digit,
        confidence=_round(seen.probabilities[answer.digit]),
        runner_up=runner_up.digit,
        probabilities=_rounded(seen.probabilities),
        not_a_digit=None if seen.not_a_digit is None else _round(seen.not_a_digit),
        box=box,
        input=pictures.data_url(pictures.png(pictures.ink(seen.image), zoom)),
        layers=layer_views(seen.layers, zoom),
        filters=filters_view(seen, zoom),
        why=attribution_view(
            answer,
            seen.image,
            f"Why {answer.digit}: orange pixels pushed toward "
            f"{answer.digit}, blue ones against it.",
            zoom,
        ),
        why_not=attribution_view(
            runner_up,
            seen.image,
            f"Why not {runner_up.digit}: orange pixels pushed "
            f"toward {runner_up.digit}, blue ones against it.",
            zoom,
        ),
        versus=attribution_view(
            versus,
            seen.image,
            f"{answer.digit} rather than {runner_up.digit}: orange "
            f"pixels made it more a {answer.digit} than a {runner_up.digit}, "
            "blue ones the other way round.",
            zoom,
        ),
        second_look=second_look,
    )


def second_look_view(model: ServedModel, seen: Explanation, zoom: int = 1) -> SecondLookView | None:
    """The views an unsure convolutional network looks at again, and what they read
    (``model.second_look``); None where the first look was sure enough."""
    first = seen.probabilities
    if not looks_twice(model.network) or first.max() >= SECOND_LOOK_BELOW:
        return None
    seen_views = views(seen.image.reshape(1, 28, 28).astype(np.float32))  # (v, 1, 28, 28)
    again = read_views(model.glance, seen_views)[0]
    tiles = np.stack([pictures.ink(view[0]) for view in seen_views])
    digit = int(again.argmax())
    turn = max(abs(t) for t in TURNS)
    caption = (
        f"Unsure at first sight ({float(first.max()):.0%} on {int(first.argmax())}), the network "
        f"looked again: at the image moved one pixel along each diagonal and turned {turn:g} "
        f"degrees either way. The {len(tiles)} views together read {digit}, "
        f"{float(again[digit]):.0%} sure: the answer it gives."
    )
    return SecondLookView(
        digit=digit,
        confidence=_round(again[digit]),
        probabilities=_rounded(again),
        picture=pictures.data_url(pictures.png(pictures.mosaic(tiles, len(tiles)), zoom)),
        tiles=len(tiles),
        caption=caption,
    )


def layer_views(layers: list[LayerOutput], zoom: int = 1) -> list[LayerView]:
    shown = [layer for layer in layers if layer.kind not in UNCHANGED]
    last_dense = max(layer.index for layer in shown if layer.kind == "dense")
    views, counts, before = [], {"conv2d": 0, "dense": 0}, None
    for layer in shown:
        if layer.kind in counts:
            counts[layer.kind] += 1
        title, caption = describe(layer, before, counts, layer.index == last_dense)
        views.append(_view(layer, title, caption, zoom))
        before = layer
    return views


def describe(
    layer: LayerOutput, before: LayerOutput | None, counts: dict[str, int], output: bool
) -> tuple[str, str]:
    """The layer's title and a caption a learner can read without the code."""
    shape = _shape_text(layer.values.shape)
    if layer.kind == "conv2d":
        maps = layer.values.shape[-1]
        source = "the image" if before is None else "all the maps before"
        return f"Convolution {counts['conv2d']}", (
            f"{maps} learned filters slide over {source}; each map lights up (orange) where its "
            f"filter's pattern appears, such as an edge or a curve. {shape}."
        )
    if layer.kind == "maxpool2d":
        return "Max pooling", (
            f"Keeps the strongest value of every 2{TIMES}2 square, halving the size: from here "
            f"on, exactly where a pattern is matters a little less. {shape}."
        )
    if layer.kind == "batchnorm":
        return "Normalisation", (
            "Shifts and scales each map to the range the network saw in training, so the "
            f"next layer gets numbers of a steady size. {shape}."
        )
    if layer.kind in ("relu", "sigmoid"):
        what = (
            "sets every negative value to zero"
            if layer.kind == "relu"
            else ("squashes every value into 0 to 1")
        )
        return ("ReLU" if layer.kind == "relu" else "Sigmoid"), (
            f"{what.capitalize()}: only what was found passes on. {shape}."
        )
    if layer.kind == "dense" and output:
        return "Output scores", (
            "One score per digit, 0 to 9, each a weighted sum of the layer before; "
            "the softmax turns them into the probabilities."
        )
    if layer.kind == "dense":
        inputs = "the 784 pixels" if before is None else _inputs_text(before)
        return f"Dense layer {counts['dense']}", (
            f"{layer.values.shape[0]} units, each a weighted sum of {inputs} plus a bias. "
            f"Cells left to right, top to bottom, {pictures.STRIP_COLUMNS} to a row."
        )
    return layer.kind, shape


def _inputs_text(before: LayerOutput) -> str:
    if before.values.ndim == 3:
        return f"all {before.values.size:,} values of the maps before, laid out as one list"
    return f"the {before.values.size:,} units before"


def _shape_text(shape: tuple[int, ...]) -> str:
    if len(shape) == 3:
        return f"{shape[2]} maps of {shape[0]}{TIMES}{shape[1]}"
    return f"{shape[0]} units"


def _view(layer: LayerOutput, title: str, caption: str, zoom: int) -> LayerView:
    values, end = layer.values, pictures.scale_end(layer.values)
    if values.ndim == 3:  # (H, W, maps)
        tiles = np.moveaxis(values, -1, 0)
        picture = pictures.mosaic(pictures.colour(tiles, end), MAP_COLUMNS)
        columns = pictures.grid_shape(len(tiles), MAP_COLUMNS)[1]
        peaks, units = _rounded(tiles.max(axis=(1, 2))), None
        count = len(tiles)
    else:
        picture = pictures.strip(values, end)
        columns, peaks, units, count = picture.shape[1], None, _rounded(values), 1
    return LayerView(
        index=layer.index,
        kind=layer.kind,
        title=title,
        caption=caption,
        shape=list(values.shape),
        picture=pictures.data_url(pictures.png(picture, zoom)),
        tiles=count,
        columns=columns,
        scale=_round(end),
        peaks=peaks,
        values=units,
    )


def filters_view(seen: Explanation, zoom: int = 1) -> FiltersView:
    filters, end = seen.filters, pictures.scale_end(seen.filters)
    picture = pictures.mosaic(pictures.colour(filters, end), MAP_COLUMNS)
    if seen.filter_units:
        caption = (
            f"Input weights of the {len(filters)} most active hidden units, as 28{TIMES}28 images: "
            "orange pixels raise the unit's value when inked, blue ones lower it."
        )
    else:
        size = f"{filters.shape[1]}{TIMES}{filters.shape[2]}"
        caption = (
            f"The first convolution's {len(filters)} learned filters, {size} pixels each: "
            "a filter responds where the ink looks like its orange part and not its blue part."
        )
    return FiltersView(
        caption=caption,
        picture=pictures.data_url(pictures.png(picture, zoom)),
        shape=list(filters.shape),
        columns=pictures.grid_shape(len(filters), MAP_COLUMNS)[1],
        scale=_round(end),
        units=seen.filter_units,
    )


def attribution_view(
    attribution: Attribution, image: Array, caption: str, zoom: int = 1
) -> AttributionView:
    values = attribution.pixels
    end = pictures.robust_end(values)
    return AttributionView(
        digit=attribution.digit,
        caption=caption,
        score=_round(attribution.score),
        picture=pictures.data_url(pictures.png(pictures.over_ink(values, end, image), zoom)),
        scale=_round(end),
        values=np.round(values.astype(np.float64), DECIMALS).tolist(),
    )


def _round(value: float | np.floating | Array) -> float:
    return round(float(value), DECIMALS)


def _rounded(values: Array) -> list[float]:
    rounded: list[float] = np.round(values.astype(np.float64), DECIMALS).tolist()
    return rounded
