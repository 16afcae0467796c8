"""The REST endpoints: thin typed routes over the inputs, the predictor and the registry.

Every prediction route takes the same path: its ``Prediction`` (the model picked by
``?model=``, the answer options, and the runner that keeps CPU-bound work off the
event loop; ``app.service.dependencies``) and what the client sent (one image, or
every file of a batch; ``app.service.inputs``). The route hands both to the work
that answers (``app.service.predictor``) and returns its Pydantic response (for
``/predict`` and ``/predict/number``, serialised where it was computed:
``Prediction.answer``). Errors are raised as ``InputError`` and rendered by
``app.service.handlers``.

The request bodies are read by hand because one endpoint takes a multipart file,
JSON or a raw image; ``IMAGE_BODY`` documents all of them for ``/docs``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.service.dependencies import (
    FilesDep,
    ModelDep,
    PredictionDep,
    RegistryDep,
    SettingsDep,
    SourceDep,
)
from app.service.describe import model_detail
from app.service.predictor import batch_response, predict_digit, predict_entry, predict_number
from app.service.schemas import (
    PIXELS_EXAMPLE,
    PNG_DATA_URL_EXAMPLE,
    BatchResponse,
    ErrorResponse,
    ImagePayload,
    ModelDetail,
    NumberResponse,
    PredictResponse,
)
from app.vision.formats import FORMAT_NAMES, FORMATS

router = APIRouter()


# -- documentation of the hand-read bodies ---------------------------------------------
def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


PREDICT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Malformed multipart form."),
    413: _error("File, body or pixel count over the limits."),
    415: _error("Not an image, a damaged file, or a format we do not read (SVG, PDF...)."),
    422: _error("No digit found, bad JSON, bad pixels, bad query parameter, unknown model."),
    503: _error(
        "The model is not loaded yet, a prediction process died, or the server is busy "
        "(`DIGITS_MAX_PENDING` requests held): retry after `Retry-After` seconds."
    ),
    504: _error("The prediction took longer than `DIGITS_PREDICT_TIMEOUT_S`."),
}
FILE_PART = {
    "type": "string",
    "format": "binary",
    "description": f"A {FORMAT_NAMES} image.",
}
IMAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The image: a multipart file in the field `file`, JSON with "
        "`image` (a data URL or base64) or `pixels` (28x28), or the raw file.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": FILE_PART},
                }
            },
            "application/json": {
                "schema": ImagePayload.model_json_schema(),
                "examples": {
                    "canvas": {
                        "summary": "A canvas's toDataURL()",
                        "value": {"image": PNG_DATA_URL_EXAMPLE},
                    },
                    "pixels": {
                        "summary": "28x28 grey values (MNIST convention, ink high)",
                        "value": {"pixels": PIXELS_EXAMPLE},
                    },
                },
            },
            **{
                image.media_types[0]: {"schema": {"type": "string", "format": "binary"}}
                for image in FORMATS
            },
        },
    }
}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A multipart form with one field `file` per image.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "array", "items": FILE_PART}},
                }
            }
        },
    }
}


# -- routes ----------------------------------------------------------------------------
@router.post(
    "/predict",
    tags=["predict"],
    summary="Recognise one digit",
    response_model=PredictResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=IMAGE_BODY,
)
async def predict(prediction: PredictionDep, source: SourceDep) -> Response:
    """The digit in the image, its calibrated confidence, and the `top_k` candidates.

    `curl -F file=@seven.png http://localhost:8000/predict`
    """
    return await prediction.answer(predict_digit, source)


@router.post(
    "/predict/number",
    tags=["predict"],
    summary="Read a number of several digits",
    response_model=NumberResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=IMAGE_BODY,
)
async def predict_many_digits(prediction: PredictionDep, source: SourceDep) -> Response:
    """Every digit in the image, left to right, each with its box in the image's pixels."""
    return await prediction.answer(predict_number, source)


@router.post(
    "/predict/batch",
    tags=["predict"],
    summary="Recognise one digit in each of several files",
    response_model=BatchResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=BATCH_BODY,
)
async def predict_files(prediction: PredictionDep, files: FilesDep) -> BatchResponse:
    """One result per `file` field, in order. A bad file gets an `error` entry; the rest
    still get results.

    `curl -F file=@a.png -F file=@b.jpg http://localhost:8000/predict/batch`
    """
    entries = await prediction.run_each(predict_entry, [item for _name, item in files])
    return batch_response(prediction.model, [name for name, _item in files], entries)


@router.get(
    "/model",
    tags=["service"],
    summary="Describe a model",
    response_model=ModelDetail,
    responses={422: _error("Unknown model name."), 503: _error("The model is not loaded yet.")},
)
async def describe_model(
    model: ModelDep, registry: RegistryDep, settings: SettingsDep
) -> ModelDetail:
    """Architecture, parameter count, accuracy and training record of the default model
    (or of `?model=`), and the names of all loaded models."""
    return model_detail(model, registry, settings.unsure_threshold)
