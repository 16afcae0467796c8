"""The REST endpoints: thin typed routes over the inputs, the predictor and the registry.

Each prediction route does the same four things: pick the model (``?model=``),
read what the client sent (``app.service.inputs``), run decode + preprocess + inference
off the event loop (``app.service.predictor``, CPU-bound, handed to a worker thread or a
pool process by ``app.service.offload``), and return a Pydantic response. Errors are raised as
``InputError`` and rendered by ``app.service.handlers``.

The request bodies are read by hand because one endpoint takes a multipart file,
JSON or a raw image; ``IMAGE_BODY`` documents all of them for ``/docs``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from app.service.describe import model_detail
from app.service.inputs import read_source, read_uploads
from app.service.offload import Backlog, Result, Runner, ServerBusyError, Work, WorkerLostError
from app.service.predictor import Options, predict_batch, predict_digit, predict_number
from app.service.registry import ModelRegistry, ServedModel
from app.service.schemas import (
    PIXELS_EXAMPLE,
    PNG_DATA_URL_EXAMPLE,
    BatchResponse,
    ErrorResponse,
    HealthResponse,
    ImagePayload,
    ModelDetail,
    NumberResponse,
    PredictResponse,
)
from app.settings import Settings

router = APIRouter()


# -- dependencies ----------------------------------------------------------------------
# ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in
# the thread pool, and four thread hops per request cost more than the work they do.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_registry(request: Request) -> ModelRegistry:
    registry: ModelRegistry | None = getattr(request.app.state, "registry", None)
    if registry is None:
        raise HTTPException(503, "The model is not loaded yet; try again in a moment.")
    return registry


ModelName = Annotated[
    str | None,
    Query(
        description="Which model answers (`cnn`, `mlp`, ...; see `GET /model`). "
        "Default: the server's default model.",
        examples=["mlp"],
        max_length=64,
    ),
]


async def chosen_model(
    registry: Annotated[ModelRegistry, Depends(get_registry)], model: ModelName = None
) -> ServedModel:
    return registry.get(model)


async def answer_options(
    settings: Annotated[Settings, Depends(get_settings)],
    top_k: Annotated[
        int, Query(ge=1, le=10, description="How many ranked digits `top` lists (1-10).")
    ] = 3,
    include_image: Annotated[
        bool, Query(description="Add the 28x28 image the network saw, as a PNG data URL.")
    ] = False,
) -> Options:
    return Options(
        top_k=top_k,
        include_image=include_image,
        unsure_threshold=settings.unsure_threshold,
        max_pixels=settings.max_pixels,
    )


async def off_the_loop(
    request: Request, work: Work[Result], model: ServedModel, data: Any, options: Options
) -> Result:
    """Run CPU-bound ``work`` where the settings say (``app.service.offload``): in a worker
    thread or in the pool of prediction processes, never on the event loop; a 503 when
    this worker already holds as many requests as ``DIGITS_MAX_PENDING`` allows."""
    runner: Runner = request.app.state.runner
    backlog: Backlog = request.app.state.backlog
    try:
        with backlog.admit():
            return await runner.run(work, model, data, options)
    except ServerBusyError as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
    except WorkerLostError as exc:
        raise HTTPException(503, exc.detail, headers={"Retry-After": "1"}) from exc


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelDep = Annotated[ServedModel, Depends(chosen_model)]
OptionsDep = Annotated[Options, Depends(answer_options)]


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
}
FILE_PART = {
    "type": "string",
    "format": "binary",
    "description": "A PNG, JPEG, WebP, BMP, GIF or TIFF image.",
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
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
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
async def predict(
    request: Request, model: ModelDep, options: OptionsDep, settings: SettingsDep
) -> PredictResponse:
    """The digit in the image, its calibrated confidence, and the `top_k` candidates.

    `curl -F file=@seven.png http://localhost:8000/predict`
    """
    source = await read_source(request, settings.max_upload_bytes, settings.max_batch_files)
    return await off_the_loop(request, predict_digit, model, source, options)


@router.post(
    "/predict/number",
    tags=["predict"],
    summary="Read a number of several digits",
    response_model=NumberResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=IMAGE_BODY,
)
async def predict_many_digits(
    request: Request, model: ModelDep, options: OptionsDep, settings: SettingsDep
) -> NumberResponse:
    """Every digit in the image, left to right, each with its box in the image's pixels."""
    source = await read_source(request, settings.max_upload_bytes, settings.max_batch_files)
    return await off_the_loop(request, predict_number, model, source, options)


@router.post(
    "/predict/batch",
    tags=["predict"],
    summary="Recognise one digit in each of several files",
    response_model=BatchResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=BATCH_BODY,
)
async def predict_files(
    request: Request, model: ModelDep, options: OptionsDep, settings: SettingsDep
) -> BatchResponse:
    """One result per `file` field, in order. A bad file gets an `error` entry; the rest
    still get results.

    `curl -F file=@a.png -F file=@b.jpg http://localhost:8000/predict/batch`
    """
    items = await read_uploads(request, settings.max_upload_bytes, settings.max_batch_files)
    return await off_the_loop(request, predict_batch, model, items, options)


@router.get(
    "/health",
    tags=["service"],
    summary="Ready to predict?",
    response_model=HealthResponse,
    responses={503: _error("The model is not loaded yet.")},
)
async def health(registry: Annotated[ModelRegistry, Depends(get_registry)]) -> HealthResponse:
    """200 once the models are loaded."""
    return HealthResponse(default_model=registry.default, models=registry.names)


@router.get(
    "/model",
    tags=["service"],
    summary="Describe a model",
    response_model=ModelDetail,
    responses={422: _error("Unknown model name."), 503: _error("The model is not loaded yet.")},
)
async def describe_model(
    model: ModelDep,
    registry: Annotated[ModelRegistry, Depends(get_registry)],
    settings: SettingsDep,
) -> ModelDetail:
    """Architecture, parameter count, accuracy and training record of the default model
    (or of `?model=`), and the names of all loaded models."""
    return model_detail(model, registry, settings.unsure_threshold)
