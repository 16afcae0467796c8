"""The Digits web service: ``app.main:app``, assembled from its parts.

``create_app(settings)`` builds the FastAPI application: the REST endpoints
(``app.service.api``), the drawing page (``app.service.pages``) and its files under ``/static``
(versioned URLs with a year's cache lifetime: ``app.service.assets``), gzip compression,
JSON error handlers, and the middleware (request ids and access log, body size
limit, security headers, optional CORS). The ``lifespan`` loads every model once
at start-up; when a weights file is missing or invalid the server stops at once
with one line that names the file and the problem.

``app`` is the instance uvicorn serves (``uvicorn app.main:app``, ``digits
serve``); its settings come from the ``DIGITS_*`` environment variables
(``app.settings``). Tests call ``create_app(Settings(...))``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from app.corrections.database import DatabaseError
from app.service import api, explain_api, feedback, health, pages, review
from app.service.assets import mount_static
from app.service.describe import model_info
from app.service.docs import install_docs
from app.service.feedback import open_feedback
from app.service.guards import BodyLimit, SecurityHeaders, StartupFailure
from app.service.handlers import install_error_handlers
from app.service.logs import AccessLog, configure_logging
from app.service.offload import Backlog, start_runner
from app.service.registry import ModelLoadError, load_models
from app.settings import Settings
from app.version import package_version

logger = logging.getLogger("digits.server")
GZIP_MINIMUM_BYTES = 1024

DESCRIPTION = """
Recognises handwritten digits with a small neural network written in NumPy.

Send an image as a multipart file (`curl -F file=@seven.png http://localhost:8000/predict`),
as JSON `{"image": "data:image/png;base64,..."}` (what a canvas's `toDataURL()` gives), or as
JSON `{"pixels": [[...]]}` (28 rows of 28 values, ink high, 0..255 or 0..1).

Probabilities are calibrated; a confidence below the server's threshold gives
`"status": "unsure"`. Every error is JSON `{"detail": "..."}` with a sentence saying what
was wrong.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        try:
            registry = await run_in_threadpool(load_models, settings)
            app.state.feedback = await run_in_threadpool(open_feedback, settings)
        except (ModelLoadError, DatabaseError) as exc:
            app.state.startup_error = f"digits: cannot start: {exc}"  # see StartupFailure
            raise
        app.state.runner = await start_runner(settings)
        app.state.registry = registry
        app.state.model_info = model_info(registry.get())
        logger.info(
            "models loaded",
            extra={
                "models": registry.names,
                "default_model": registry.default,
                "predict_processes": settings.predict_processes,
            },
        )
        yield
        app.state.registry = None
        await app.state.runner.close()
        if app.state.feedback is not None:
            app.state.feedback.close()

    app = FastAPI(
        title="Digits",
        version=package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # app.service.docs serves /docs and /redoc without a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "predict", "description": "Recognise digits in images."},
            {"name": "service", "description": "Health and model information."},
            {"name": "look inside", "description": "What each layer saw, and why that digit."},
            {"name": "feedback", "description": "Corrections people make, kept to learn from."},
        ],
    )
    app.state.settings = settings
    app.state.registry = None
    app.state.feedback = None
    app.state.backlog = Backlog(settings.max_pending)
    app.state.readiness = health.Readiness()
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(explain_api.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(feedback.router)
    app.include_router(review.router)
    install_docs(app)
    mount_static(app, settings.static_dir)
    add_middleware(app, settings)
    return app


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Innermost first: body limit, compression, CORS, security headers, access log, start-up."""
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_request_bytes, timeout=settings.body_timeout_s
    )
    # Scripts, styles, the docs' viewers and larger JSON travel gzipped; a /predict
    # answer (a few hundred bytes) is under the minimum and goes as it is.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog, enabled=settings.access_log)
    app.add_middleware(StartupFailure)


app = create_app()
