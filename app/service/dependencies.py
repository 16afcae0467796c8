"""What a route needs from the app, handed over as FastAPI dependencies.

``create_app`` keeps the settings, the model registry (once the lifespan loaded
it), the runner and the backlog on ``app.state``; no route reads ``app.state``
itself. Each thing has one dependency here, so a route states what it needs in its
signature (``settings: SettingsDep``, ``model: ModelDep``) and the defaults live in
``app.settings`` alone.

A prediction request needs the chosen model, the answer options and a place off
the event loop to run; ``PredictionDep`` gathers them into one ``Prediction``, so
the three prediction routes differ only in how they read their image and which
work they hand over.

The dependencies are ``async def`` although they never await: FastAPI runs a plain
``def`` dependency in the thread pool, and several thread hops per request cost
more than the work they do.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel
from starlette.types import Receive

from app.service.abandon import unless_client_leaves
from app.service.inputs import ImageBytes, Source, read_source, read_uploads
from app.service.offload import (
    Backlog,
    PredictionTimeoutError,
    Result,
    Runner,
    ServerBusyError,
    Work,
    WorkerLostError,
)
from app.service.predictor import Options, as_json
from app.service.registry import ModelRegistry, ServedModel
from app.settings import MAX_TOP_K, TOP_K, Settings
from app.vision.errors import InputError

#: What to tell a client that asks too early (the lifespan has not loaded the models).
NOT_LOADED = "The model is not loaded yet; try again in a moment."


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def loaded_registry(request: Request) -> ModelRegistry | None:
    """The models, or ``None`` while the lifespan has not loaded them (the page still renders)."""
    registry: ModelRegistry | None = getattr(request.app.state, "registry", None)
    return registry


def require_registry(registry: ModelRegistry | None) -> ModelRegistry:
    """The models; a 503 until they are loaded."""
    if registry is None:
        raise HTTPException(503, NOT_LOADED)
    return registry


async def get_registry(
    registry: Annotated[ModelRegistry | None, Depends(loaded_registry)],
) -> ModelRegistry:
    return require_registry(registry)


async def static_url(request: Request) -> str:
    """The versioned base URL the pages link their files under (``app.service.assets``)."""
    url: str = request.app.state.static_url
    return url


SettingsDep = Annotated[Settings, Depends(get_settings)]
StaticUrlDep = Annotated[str, Depends(static_url)]
RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
MaybeRegistryDep = Annotated[ModelRegistry | None, Depends(loaded_registry)]

ModelName = Annotated[
    str | None,
    Query(
        description="Which model answers (`cnn`, `mlp`, ...; see `GET /model`). "
        "Default: the server's default model.",
        examples=["mlp"],
        max_length=64,
    ),
]


async def chosen_model(registry: RegistryDep, model: ModelName = None) -> ServedModel:
    return registry.get(model)


ModelDep = Annotated[ServedModel, Depends(chosen_model)]


TopK = Annotated[
    int,
    Query(ge=1, le=MAX_TOP_K, description=f"How many ranked digits `top` lists (1-{MAX_TOP_K})."),
]
IncludeImage = Annotated[
    bool, Query(description="Add the 28x28 image the network saw, as a PNG data URL.")
]


@dataclass(frozen=True)
class Prediction:
    """One prediction request's model and options, and where its work runs."""

    model: ServedModel
    options: Options
    runner: Runner
    backlog: Backlog
    receive: Receive

    async def run(self, work: Work[Result], data: Any) -> Result:
        """Run CPU-bound ``work`` where the settings say (``app.service.offload``): in a
        worker thread or in the pool of prediction processes, never on the event loop;
        a 503 when this worker already holds as many requests as ``DIGITS_MAX_PENDING``
        allows, or when a prediction process died; a 504 past the time limit; dropped
        when the client leaves (``app.service.abandon``)."""
        return (await self.run_each(work, [data]))[0]

    async def answer(self, work: Work[BaseModel], data: Any) -> Response:
        """``run``, with the answer serialised to JSON where ``work`` ran
        (``predictor.as_json``) and sent as it is: the route's ``response_model``
        still documents it, and ``work`` built it as that model."""
        body = await self.run(functools.partial(as_json, work), data)
        return Response(body, media_type="application/json")

    async def run_each(self, work: Work[Result], items: list[Any]) -> list[Result]:
        """``work`` on each item in turn, each one queued behind the requests that came
        before it: a batch holds one backlog slot, at most one of its images is in
        memory at a time, and other clients take turns with it instead of waiting for
        the whole batch."""
        try:
            with self.backlog.admit():
                return [
                    await unless_client_leaves(
                        self.receive, self.runner.run(work, self.model, item, self.options)
                    )
                    for item in items
                ]
        except (ServerBusyError, WorkerLostError) as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
        except PredictionTimeoutError as exc:
            raise HTTPException(504, str(exc)) from exc


async def prediction(
    request: Request,
    model: ModelName = None,
    top_k: TopK = TOP_K,
    include_image: IncludeImage = False,
) -> Prediction:
    """Everything a prediction route needs, read in one step: FastAPI's dependency
    resolution costs more per dependency than most of these do (the tree of seven
    this was before took 0.04 ms more of a request's CPU), so the registry and the
    settings are read here directly, with ``require_registry``'s check and
    ``chosen_model``'s answer."""
    state = request.app.state
    registry = require_registry(await loaded_registry(request))
    return Prediction(
        model=registry.get(model),
        options=Options.of(state.settings, top_k=top_k, include_image=include_image),
        runner=state.runner,
        backlog=state.backlog,
        receive=request.receive,
    )


PredictionDep = Annotated[Prediction, Depends(prediction)]


async def one_image(request: Request) -> Source:
    """The one image of a ``/predict``-style request, in whichever form it came (the
    settings read directly, as in ``prediction``)."""
    settings: Settings = request.app.state.settings
    return await read_source(request, settings.max_upload_bytes, settings.max_batch_files)


async def every_file(
    request: Request, settings: SettingsDep
) -> list[tuple[str | None, ImageBytes | InputError]]:
    """Every ``file`` of a batch form, in order; a bad file is its own error."""
    return await read_uploads(request, settings.max_upload_bytes, settings.max_batch_files)


SourceDep = Annotated[Source, Depends(one_image)]
FilesDep = Annotated[list[tuple[str | None, ImageBytes | InputError]], Depends(every_file)]
