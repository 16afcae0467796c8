"""From a client's image to an answer: decode, prepare, infer, judge.

These functions are synchronous and CPU-bound; the API runs each off the event
loop (one hop per request, to a thread or a pool process: ``app.service.offload``), and
``digits predict`` calls them directly, so the CLI's JSON has the API's shape.

The judgement uses the calibrated probabilities (the network's ``predict_proba``
applies the temperature stored with the weights): the most probable digit wins,
its probability is the ``confidence``, and a confidence below the unsure
threshold gives ``status: "unsure"``; a network with a "not a digit" output whose
probability reaches the not-a-digit threshold gives ``status: "not_a_digit"``
(the best guess and its probabilities are still given). An image in which the pipeline found no ink
(its ``empty`` flag) is a ``NoDigitError`` (422).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from app.service.describe import model_info
from app.service.inputs import ImageBytes, PixelGrid, Source
from app.service.registry import ServedModel
from app.service.schemas import (
    BatchError,
    BatchItem,
    BatchResponse,
    Candidate,
    DigitResult,
    NumberDigit,
    NumberResponse,
    PredictResponse,
    Status,
)
from app.settings import TOP_K, Settings
from app.vision.errors import InputError, NoDigitError
from app.vision.pipeline import (
    Prepared,
    load_image,
    png_data_url,
    prepare_digit,
    prepare_number,
    prepare_pixels,
)


@dataclass(frozen=True)
class Options:
    """How to answer: set per request (``top_k``, ``include_image``) and per server
    (the threshold and the pixel limit, which only ``Settings`` knows)."""

    unsure_threshold: float
    max_pixels: int
    top_k: int = TOP_K
    include_image: bool = False
    #: at or above this "not a digit" probability the status is ``not_a_digit``
    not_a_digit_threshold: float = 1.0

    @classmethod
    def of(cls, settings: Settings, top_k: int = TOP_K, include_image: bool = False) -> Options:
        """The server's settings with what this request asks for."""
        return cls(
            unsure_threshold=settings.unsure_threshold,
            not_a_digit_threshold=settings.not_a_digit_threshold,
            max_pixels=settings.max_pixels,
            top_k=top_k,
            include_image=include_image,
        )


class Timer:
    """Milliseconds per named stage, plus the total since creation."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000)

    def add(self, name: str, ms: float) -> None:
        self.ms[name] = round(self.ms.get(name, 0.0) + ms, 3)

    def done(self) -> dict[str, float]:
        return {**self.ms, "total": round((time.perf_counter() - self.began) * 1000, 3)}


# -- the stages -----------------------------------------------------------------------
def prepare(
    source: Source, number: bool, options: Options, timer: Timer, model: ServedModel | None = None
) -> Prepared:
    """Decode (for files) and run the pipeline; ``NoDigitError`` when there is no ink.
    A number is cut into digits where ``model`` reads the pieces best."""
    if isinstance(source, PixelGrid):
        prepared = prepare_pixels(source.pixels)
    else:
        with timer.stage("decode"):
            image = load_image(source.data, options.max_pixels)
        reader = model.glance if model is not None else None
        prepared = prepare_number(image, reader) if number else prepare_digit(image)
    for name, ms in prepared.timing_ms.items():
        timer.add(name, ms)
    if prepared.empty or not prepared.pieces:
        raise NoDigitError(no_digit_message(prepared.reason))
    return prepared


def no_digit_message(reason: str | None) -> str:
    """The pipeline's reason when it says so itself, else a sentence around it."""
    reason = (reason or "").strip()
    if reason.lower().startswith("no digit"):
        return reason
    why = f": {reason.rstrip('.')}" if reason else ""
    return f"No digit found in the image{why}."


def infer(
    model: ServedModel, images: list[np.ndarray], timer: Timer
) -> tuple[np.ndarray, np.ndarray]:
    """The ten digits' probabilities and the not-a-digit probability of each image."""
    with timer.stage("inference"):
        return model.read(np.stack(images).astype(np.float32, copy=False))


def status_of(confidence: float, refused: float, options: Options) -> Status:
    """``not_a_digit`` first (the image holds no digit at all), then ``unsure``."""
    if refused >= options.not_a_digit_threshold:
        return "not_a_digit"
    return "unsure" if confidence < options.unsure_threshold else "ok"


def judge(
    probabilities: np.ndarray,
    options: Options,
    image: np.ndarray | None = None,
    refused: float = 0.0,
) -> DigitResult:
    """The winning digit, its confidence, the status and the ranked top list; the best
    guess is kept even when the image is judged not to be a digit."""
    order = np.argsort(-probabilities, kind="stable")
    top = [
        Candidate(digit=int(d), probability=_probability(probabilities[d]))
        for d in order[: options.top_k]
    ]
    confidence = _probability(probabilities[order[0]])
    return DigitResult(
        digit=int(order[0]),
        confidence=confidence,
        status=status_of(confidence, float(refused), options),
        not_a_digit=_probability(refused),
        top=top,
        image=png_data_url(image) if options.include_image and image is not None else None,
    )


def number_status(statuses: list[Status]) -> Status:
    """A number with a piece that is no digit is no number; else unsure if any digit is."""
    if "not_a_digit" in statuses:
        return "not_a_digit"
    return "unsure" if "unsure" in statuses else "ok"


def _probability(value: np.floating | float) -> float:
    return min(1.0, max(0.0, round(float(value), 6)))


# -- the three answers ------------------------------------------------------------------
def predict_digit(model: ServedModel, source: Source, options: Options) -> PredictResponse:
    """``POST /predict``: one digit."""
    timer = Timer()
    prepared = prepare(source, False, options, timer)
    piece = prepared.pieces[0]
    probabilities, refused = infer(model, [piece.image], timer)
    result = judge(probabilities[0], options, piece.image, float(refused[0]))
    return PredictResponse(
        **result.model_dump(),
        digits_found=prepared.digits_found,
        model=model_info(model),
        timing_ms=timer.done(),
    )


def predict_number(model: ServedModel, source: Source, options: Options) -> NumberResponse:
    """``POST /predict/number``: every digit, left to right."""
    timer = Timer()
    pieces = prepare(source, True, options, timer, model).pieces
    probabilities, refused = infer(model, [piece.image for piece in pieces], timer)
    digits = [
        NumberDigit(
            **judge(row, options, piece.image, float(no)).model_dump(),
            box=[int(v) for v in piece.box],
        )
        for piece, row, no in zip(pieces, probabilities, refused, strict=True)
    ]
    return NumberResponse(
        number="".join(str(d.digit) for d in digits),
        confidence=_probability(float(np.prod([d.confidence for d in digits]))),
        status=number_status([d.status for d in digits]),
        digits=digits,
        model=model_info(model),
        timing_ms=timer.done(),
    )


@dataclass(frozen=True)
class BatchEntry:
    """One file of a batch, answered: its result or its error, as plain data."""

    result: DigitResult | None
    error: BatchError | None
    digits_found: int | None
    timing_ms: dict[str, float]


def predict_entry(
    model: ServedModel, item: ImageBytes | InputError, options: Options
) -> BatchEntry:
    """One file of ``POST /predict/batch``. The API sends each file as its own piece of
    work, so that a batch never has more than one decoded image in memory. A failure
    is kept as its message only: the exception's traceback holds the frames that
    decoded the image, and kept for the whole batch it kept every image alive."""
    timer = Timer()
    if isinstance(item, InputError):
        return BatchEntry(None, _batch_error(item), None, {})
    try:
        prepared = prepare(item, False, options, timer)
    except InputError as error:
        return BatchEntry(None, _batch_error(error), None, timer.done())
    piece = prepared.pieces[0]
    probabilities, refused = infer(model, [piece.image], timer)
    result = judge(probabilities[0], options, piece.image, float(refused[0]))
    return BatchEntry(result, None, prepared.digits_found, timer.done())


def batch_response(
    model: ServedModel, names: list[str | None], entries: list[BatchEntry]
) -> BatchResponse:
    """The answers of a batch's files, in the order they were sent."""
    timer = Timer()
    for entry in entries:
        for stage, ms in entry.timing_ms.items():
            if stage != "total":
                timer.add(stage, ms)
    results = [
        BatchItem(
            index=index,
            filename=name,
            result=entry.result,
            error=entry.error,
            digits_found=entry.digits_found,
        )
        for index, (name, entry) in enumerate(zip(names, entries, strict=True))
    ]
    total = round(sum(entry.timing_ms.get("total", 0.0) for entry in entries), 3)
    return BatchResponse(
        results=results,
        succeeded=sum(entry.result is not None for entry in entries),
        failed=sum(entry.error is not None for entry in entries),
        model=model_info(model),
        timing_ms={**timer.ms, "total": total},
    )


def as_json(
    work: Callable[[ServedModel, Source, Options], BaseModel],
    model: ServedModel,
    source: Source,
    options: Options,
) -> bytes:
    """``work``'s answer as the JSON the API sends, serialised where it was computed: a
    pool process then hands the server a few hundred bytes to pass on, instead of a
    Pydantic object to unpickle, validate again and serialise (0.04 ms of the serving
    process's CPU per request)."""
    return work(model, source, options).model_dump_json().encode()


def _batch_error(error: InputError) -> BatchError:
    return BatchError(status_code=error.status_code, detail=error.detail)
