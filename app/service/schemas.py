"""The shapes of the API: every request body and response as a Pydantic model.

Responses of ``/predict``, ``/predict/number`` and ``/predict/batch`` share their
parts (a ranked ``top`` list, the ``model`` that answered, ``timing_ms``), and
``digits predict`` prints these same models, so the CLI's JSON has the API's
shape. Examples here feed the OpenAPI document at ``/docs``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.vision.formats import FORMAT_NAMES

Status = Literal["ok", "unsure", "not_a_digit"]

#: A 28x28 PNG of a hand-drawn 7: a request that works when tried from /docs.
PNG_DATA_URL_EXAMPLE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABwAAAAcAQAAAABaduI5AAAAUElEQVR42lXNoQGDQ"
    "BQFwbnHibikBEqh9AhKoYCLQxB+DIKYlbOt+ARu+bYuh1O66FOtQhfewoOq5wgvUYRZnISF2mtc3k40YhAhNmKm"
    "/c9/UccV6FZ4ejEAAAAASUVORK5CYII="
)


def _example_pixels() -> list[list[int]]:
    """The same 7 as 28 rows of 28 values (ink 255), for the ``pixels`` example."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    png = base64.b64decode(PNG_DATA_URL_EXAMPLE.split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as image:
        ink = 255 - np.asarray(image.convert("L"), dtype=np.int64)
    return [[int(value) for value in row] for row in ink]


PIXELS_EXAMPLE: list[Any] = _example_pixels()


class ImagePayload(BaseModel):
    """A JSON request: ``image`` (a data URL or plain base64) or ``pixels``, not both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"image": PNG_DATA_URL_EXAMPLE},
                {"pixels": PIXELS_EXAMPLE},
            ]
        },
    )

    image: str | None = Field(
        default=None,
        description=(
            "The image as a data URL (`data:image/png;base64,...`, what "
            f"`canvas.toDataURL()` gives) or as plain base64 of the file's bytes. {FORMAT_NAMES}."
        ),
    )
    pixels: list[list[float]] | None = Field(
        default=None,
        description=(
            "28 rows of 28 grey values, MNIST convention: ink is high, background 0. "
            "Either 0..255 or 0..1."
        ),
    )

    @model_validator(mode="after")
    def exactly_one_input(self) -> ImagePayload:
        if (self.image is None) == (self.pixels is None):
            raise ValueError("send exactly one of 'image' or 'pixels'")
        return self


class Candidate(BaseModel):
    """One digit and its calibrated probability."""

    digit: int = Field(ge=0, le=9, examples=[7])
    probability: float = Field(ge=0.0, le=1.0, examples=[0.98])


class ModelInfo(BaseModel):
    """Which network answered."""

    name: str = Field(examples=["mlp"], description="The model's name (its weights file's stem).")
    architecture: Literal["mlp", "cnn"] = Field(examples=["mlp"])
    parameters: int = Field(examples=[407050], description="Trainable parameters.")
    test_accuracy: float | None = Field(
        default=None, examples=[0.982], description="Accuracy on the MNIST test set."
    )
    temperature: float = Field(
        examples=[1.2], description="Calibration temperature applied to the logits."
    )
    sha256: str = Field(
        examples=["3f2a9c1d0b7e"], description="First 12 hex digits of the weights file's SHA-256."
    )


class DigitResult(BaseModel):
    """The answer for one digit."""

    digit: int = Field(ge=0, le=9, examples=[7], description="The most probable digit.")
    confidence: float = Field(
        ge=0.0, le=1.0, examples=[0.98], description="Its calibrated probability."
    )
    status: Status = Field(
        examples=["ok", "not_a_digit"],
        description=(
            "`not_a_digit` when the image does not look like a digit at all (a letter, a "
            "shape, a scribble: `not_a_digit` reached the server's not-a-digit threshold); "
            "else `unsure` when the confidence is below the server's unsure threshold. "
            "The best guess is given either way."
        ),
    )
    not_a_digit: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        examples=[0.002, 0.97],
        description=(
            "Calibrated probability that the image holds no digit (0 for a network "
            "without a not-a-digit output)."
        ),
    )
    top: list[Candidate] = Field(description="The `top_k` most probable digits, best first.")
    image: str | None = Field(
        default=None,
        description="The 28x28 image the network saw, as a PNG data URL (`include_image=true`).",
    )


class PredictResponse(DigitResult):
    """``POST /predict``."""

    digits_found: int = Field(
        default=1,
        ge=1,
        examples=[1],
        description=(
            "How many digits the image seems to hold: 1, or more when a number was written "
            "where one digit was expected. `digit` then reads them all squeezed into one "
            "image; send the image to `POST /predict/number` to read each digit."
        ),
    )
    model: ModelInfo
    timing_ms: dict[str, float] = Field(
        examples=[{"decode": 0.4, "preprocess": 0.9, "inference": 0.2, "total": 1.8}],
        description="Milliseconds spent in each stage on the server.",
    )


class NumberDigit(DigitResult):
    """One digit of a number, with where it was found."""

    box: list[int] = Field(
        min_length=4,
        max_length=4,
        examples=[[12, 30, 40, 80]],
        description="`[x, y, width, height]` of the digit in the uploaded image's pixels.",
    )


class NumberResponse(BaseModel):
    """``POST /predict/number``: the digits left to right."""

    number: str = Field(examples=["1984"], description="The digits read left to right.")
    confidence: float = Field(
        ge=0.0, le=1.0, examples=[0.91], description="Product of the digits' confidences."
    )
    status: Status = Field(
        examples=["ok"],
        description="`not_a_digit` when any piece is not a digit, else `unsure` when any "
        "digit is unsure.",
    )
    digits: list[NumberDigit]
    model: ModelInfo
    timing_ms: dict[str, float]


class BatchError(BaseModel):
    """Why one file of a batch got no prediction."""

    status_code: int = Field(examples=[415], description="The status a single request would get.")
    detail: str = Field(examples=["Cannot read the upload: it is not an image..."])


class BatchItem(BaseModel):
    """One file of a batch: a result or an error, never both."""

    index: int = Field(ge=0, description="Position of the file in the request.")
    filename: str | None = Field(default=None, examples=["seven.png"])
    result: DigitResult | None = None
    error: BatchError | None = None
    digits_found: int | None = Field(
        default=None,
        ge=1,
        description="As in `POST /predict`'s answer (none for a file that failed).",
    )


class BatchResponse(BaseModel):
    """``POST /predict/batch``: one item per file, in the order sent."""

    results: list[BatchItem]
    succeeded: int = Field(ge=0)
    failed: int = Field(ge=0)
    model: ModelInfo
    timing_ms: dict[str, float]


class LiveResponse(BaseModel):
    """``GET /health/live``: the process answers."""

    status: Literal["ok"] = "ok"


class HealthResponse(BaseModel):
    """``GET /health`` and ``GET /health/ready``: a test prediction just went through."""

    status: Literal["ok"] = "ok"
    default_model: str = Field(examples=["cnn"])
    models: list[str] = Field(examples=[["cnn", "mlp"]])


class TrainingSummary(BaseModel):
    """The training record of a weights file, shortened."""

    hyperparameters: dict[str, object] = Field(default_factory=dict)
    epochs_run: int | None = None
    best_epoch: int | None = None
    val_accuracy: float | None = None
    test_accuracy: float | None = None
    seconds: float | None = None
    date: str | None = None
    interrupted: bool | None = None
    last_epoch: dict[str, float] | None = Field(
        default=None, description="The history's last entry (loss, accuracies, learning rate)."
    )


class LayerSummary(BaseModel):
    type: str = Field(examples=["dense"])
    options: dict[str, object] = Field(default_factory=dict, examples=[{"n_in": 784, "n_out": 512}])


class ModelDetail(ModelInfo):
    """``GET /model``: the model that answers (the default, or ``?model=``)."""

    default: bool = Field(description="Whether requests that name no model use this one.")
    available: list[str] = Field(examples=[["cnn", "mlp"]])
    input_shape: list[int] = Field(examples=[[784]])
    layers: list[LayerSummary]
    val_accuracy: float | None = None
    unsure_threshold: float = Field(
        examples=[0.6], description="Below this confidence a prediction is `unsure`."
    )
    training: TrainingSummary


class ErrorResponse(BaseModel):
    """Every error: a sentence for a person, and the request's id for the logs."""

    detail: str = Field(examples=["No digit found: the image has no ink."])
    request_id: str | None = Field(default=None, examples=["6f1c2b9a0e4d4c21"])
