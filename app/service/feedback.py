"""``POST /feedback``: a person says what the drawing really was, and it is kept.

The body is JSON: the ``label`` the person gave (``0``-``9`` or
``"not_a_digit"``), the input ``kind`` (``canvas``, ``photo`` or ``api``), and
the image in either or both of two forms:

- ``input``: the 28x28 image the network saw, as ``/predict?include_image=true``
  returned it (a PNG data URL), or ``pixels`` (28 rows of 28 values);
- ``image``: the image as the person sent it (within ``DIGITS_MAX_UPLOAD_BYTES``).
  Sent alone, the server prepares it as ``/predict`` would.

The server does not take the client's word for what the model answered: it runs
the chosen model (``?model=``) on the 28x28 input again and keeps that answer and
confidence, with the model's name and its weights file's full SHA-256. So no
prediction has to be remembered between requests, and a page that sent the same
input gets the same answer back. Nothing identifying is kept: no address, no
user agent, no request id. The client's address is used only to count its
requests per minute (``DIGITS_FEEDBACK_PER_MINUTE``; more get 429).

``201 Created`` means the row is committed (``app.corrections.store``), so a
correction answered 2xx survives the server being stopped right after.
``DIGITS_FEEDBACK=false`` turns all of it off: no database, and 404 here.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.corrections.database import connect, describe, migrate
from app.corrections.export import is_held_out
from app.corrections.store import CorrectionStore, NewCorrection
from app.corrections.table import NOT_A_DIGIT, Kind, label_name, parse_label
from app.service.dependencies import ModelDep, SettingsDep
from app.service.inputs import decode_image_text, pixel_array
from app.service.ratelimit import RateLimiter
from app.service.registry import ServedModel
from app.service.schemas import PNG_DATA_URL_EXAMPLE, ErrorResponse
from app.settings import Settings
from app.vision.decode import load_image
from app.vision.errors import InvalidInputError, NoDigitError
from app.vision.pipeline import image_to_png_bytes, prepare_digit, validate_pixels

logger = logging.getLogger("digits.feedback")
router = APIRouter(tags=["feedback"])
SIZE = 28
OFF = "Corrections are not kept on this server (DIGITS_FEEDBACK=false)."


@dataclass
class Feedback:
    """What the feedback routes share: the store and the per-client counter."""

    store: CorrectionStore
    limiter: RateLimiter

    def close(self) -> None:
        self.store.engine.dispose()


def open_feedback(settings: Settings) -> Feedback | None:
    """Connect and migrate at start-up (``None`` when feedback is off); blocking."""
    if not settings.feedback:
        return None
    engine = connect(settings.database)
    revision = migrate(engine)
    where = {"database": describe(engine), "revision": revision}
    logger.info("corrections database ready", extra=where)
    return Feedback(CorrectionStore(engine), RateLimiter(settings.feedback_per_minute))


async def get_feedback(request: Request) -> Feedback:
    feedback: Feedback | None = getattr(request.app.state, "feedback", None)
    if feedback is None:
        raise HTTPException(404, OFF)
    return feedback


FeedbackDep = Annotated[Feedback, Depends(get_feedback)]


async def within_rate(request: Request, feedback: FeedbackDep) -> None:
    client = request.client.host if request.client else "unknown"
    wait = feedback.limiter.admit(client)
    if wait is not None:
        raise HTTPException(
            429,
            f"Too many corrections from one client: at most "
            f"{feedback.limiter.per_minute} a minute. Try again in {wait:.0f} s.",
            headers={"Retry-After": str(int(np.ceil(wait)))},
        )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"label": 7, "kind": "canvas", "input": PNG_DATA_URL_EXAMPLE}]
        },
    )

    label: int = Field(
        description='What it really was: a digit 0-9, or "not_a_digit". "7" and 7 both work.',
        examples=[7],
    )
    kind: Kind = Field(
        default="api", description="Where the image came from: the drawing pad, a photo, a program."
    )
    input: str | None = Field(
        default=None,
        description="The 28x28 image the network saw, as a PNG data URL "
        "(what `/predict?include_image=true` returns as `image`).",
    )
    pixels: list[list[float]] | None = Field(
        default=None, description="The same 28x28 input as grey values (ink high), instead."
    )
    image: str | None = Field(
        default=None,
        description="The image as it was sent to `/predict` (data URL or base64). Optional "
        "with `input`; alone, the server prepares it as `/predict` does.",
    )

    @field_validator("label", mode="before")
    @classmethod
    def read_label(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError('a label is a digit 0-9 or "not_a_digit"')
        return parse_label(str(value))

    @model_validator(mode="after")
    def some_image(self) -> FeedbackRequest:
        if self.input is not None and self.pixels is not None:
            raise ValueError("send the 28x28 input once: 'input' or 'pixels', not both")
        if self.input is None and self.pixels is None and self.image is None:
            raise ValueError("send the image: 'input' (the 28x28 PNG), 'pixels' or 'image'")
        return self


class FeedbackResponse(BaseModel):
    """The correction as kept."""

    id: int = Field(examples=[42])
    label: str = Field(examples=["7"], description='The label given: "0"-"9" or "not_a_digit".')
    predicted: int = Field(
        ge=0, le=NOT_A_DIGIT, examples=[1], description="What the model answered (10: not a digit)."
    )
    confidence: float = Field(ge=0.0, le=1.0, examples=[0.62])
    model: str = Field(examples=["cnn"])
    weights_sha256: str = Field(description="The full SHA-256 of the model's weights file.")
    model_was_wrong: bool
    held_out: bool = Field(
        description="Kept for evaluating weights files rather than training them."
    )


FEEDBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not UTF-8 JSON text."},
    404: {"model": ErrorResponse, "description": "Corrections are switched off."},
    413: {"model": ErrorResponse, "description": "The image is over the upload limits."},
    415: {"model": ErrorResponse, "description": "`image` is not an image we read."},
    422: {"model": ErrorResponse, "description": "Bad label, kind, input or pixels; no digit."},
    429: {"model": ErrorResponse, "description": "Too many corrections from this client."},
}


@router.post(
    "/feedback",
    status_code=201,
    summary="Teach it: what a drawing really was",
    response_model=FeedbackResponse,
    responses=FEEDBACK_ERRORS,
    dependencies=[Depends(within_rate)],
)
async def add_feedback(
    body: FeedbackRequest, model: ModelDep, settings: SettingsDep, feedback: FeedbackDep
) -> FeedbackResponse:
    """Keep one correction; `201` once it is committed to the database.

    `curl -H 'Content-Type: application/json' -d '{"label": 7, "input": "data:image/png;..."}'
    http://localhost:8000/feedback`
    """
    new = await run_in_threadpool(correction_from, body, model, settings)
    new_id = await run_in_threadpool(feedback.store.add, new)
    return FeedbackResponse(
        id=new_id,
        label=label_name(new.label),
        predicted=new.predicted,
        confidence=new.confidence,
        model=new.model_name,
        weights_sha256=new.weights_sha256,
        model_was_wrong=new.label != new.predicted,
        held_out=is_held_out(new_id),
    )


def correction_from(body: FeedbackRequest, model: ServedModel, settings: Settings) -> NewCorrection:
    """Decode and check the images, ask the model again; blocking (CPU)."""
    original = decode_image_text(body.image, settings.max_upload_bytes) if body.image else None
    # 413 / 415 now for an original that is not an image we read, even when 'input' is sent
    photo = load_image(original, settings.max_pixels) if original is not None else None
    network_input = seen_input(body, photo, settings)
    predicted, confidence = answer_of(model, network_input, settings.not_a_digit_threshold)
    return NewCorrection(
        label=body.label,
        predicted=predicted,
        confidence=confidence,
        model_name=model.name,
        weights_sha256=model.sha256,
        kind=body.kind,
        network_input=image_to_png_bytes(network_input),
        original=original,
    )


def answer_of(model: ServedModel, image: np.ndarray, not_a_digit_at: float) -> tuple[int, float]:
    """What the model answers for one 28x28 input, as /predict judges it: "not a digit"
    (``NOT_A_DIGIT``) when that output reaches the threshold, else the likeliest digit;
    and the answer's probability."""
    digits, refused = model.read(image[None].astype(np.float32))
    if float(refused[0]) >= not_a_digit_at:
        return NOT_A_DIGIT, min(1.0, max(0.0, float(refused[0])))
    best = int(np.argmax(digits[0]))
    return best, min(1.0, max(0.0, float(digits[0][best])))


def seen_input(body: FeedbackRequest, photo: Image.Image | None, settings: Settings) -> np.ndarray:
    """The 28x28 input the network saw: as sent, or prepared from the photo as /predict does."""
    if body.input is not None:
        return input_from_png(decode_image_text(body.input, settings.max_upload_bytes))
    if body.pixels is not None:
        pixels = validate_pixels(pixel_array(body.pixels))
        if float(pixels.max()) <= 0.0:
            raise NoDigitError("'pixels' are all 0: there is no ink to learn from.")
        return pixels
    assert photo is not None  # FeedbackRequest requires one of the three
    prepared = prepare_digit(photo)
    if prepared.empty or not prepared.pieces:
        raise NoDigitError(prepared.reason or "No digit found in the image.")
    return prepared.pieces[0].image


def input_from_png(data: bytes) -> np.ndarray:
    """The 28x28 input from its PNG: grey values in [0, 1], ink high."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size != (SIZE, SIZE):
                raise InvalidInputError(
                    f"'input' is {image.size[0]}x{image.size[1]}; it must be the 28x28 image "
                    "the network saw (what /predict?include_image=true returns). Send the "
                    "image as the person drew it in 'image' instead."
                )
            pixels = np.asarray(image.convert("L"), dtype=np.float32) / np.float32(255.0)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError("'input' is not a PNG image: send a data URL.") from exc
    if float(pixels.max()) <= 0.0:
        raise NoDigitError("'input' is blank: there is no ink in the 28x28 image.")
    return pixels
