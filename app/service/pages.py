"""The drawing page: ``GET /`` renders ``templates/index.html``.

The page itself is static (JavaScript modules and CSS under ``/static``); the
server only fills in what it knows: the served models, their test accuracy and
which one answers by default, the upload limit and the image formats it reads, so
the page can show them without an extra request and never copies them. With no
model loaded the page still renders and asks ``GET /model`` itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.service.dependencies import MaybeRegistryDep, SettingsDep, StaticUrlDep
from app.service.registry import ModelRegistry, ServedModel
from app.service.sizes import byte_size
from app.vision.formats import FORMAT_NAMES

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=4)
def templates_for(directory: Path) -> Jinja2Templates:
    """One Jinja2 environment per templates folder, built once."""
    return Jinja2Templates(directory=str(directory))


def as_percent(fraction: float | None) -> str | None:
    """An accuracy given as a fraction (0.991) as ``"99.1%"``; unknown stays ``None``."""
    return None if fraction is None else f"{fraction * 100:.1f}%"


def describe(model: ServedModel) -> dict[str, str | None]:
    """What the page shows of one model: its name, architecture and test accuracy."""
    return {
        "name": model.name,
        "architecture": model.architecture,
        "accuracy": as_percent(model.test_accuracy),
    }


def served_models(registry: ModelRegistry | None) -> list[dict[str, str | None]]:
    """The models the app serves, in the order the settings list them; none before the
    lifespan loaded them."""
    if registry is None:
        return []
    return [describe(model) for model in registry.models.values()]


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def index(
    request: Request, settings: SettingsDep, registry: MaybeRegistryDep, static: StaticUrlDep
) -> HTMLResponse:
    """The drawing page."""
    default = registry.default if registry is not None else None
    models = served_models(registry)
    current = next((m for m in models if m["name"] == default), None)
    return templates_for(settings.templates_dir).TemplateResponse(
        request,
        "index.html",
        {
            "models": models,
            "default_model": default,
            "model": current,
            "image_formats": FORMAT_NAMES,
            "max_upload_bytes": settings.max_upload_bytes,
            "max_upload_size": byte_size(settings.max_upload_bytes),
            "feedback": settings.feedback,
            "static_url": static,
        },
    )
