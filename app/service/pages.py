"""The drawing page: ``GET /`` renders ``templates/index.html``.

The page itself is static (JavaScript modules and CSS under ``/static``); the
server only fills in what it knows at start-up: the served models, their test
accuracy and which one answers by default, so the page can show them without an
extra request. With no model loaded the page still renders and asks
``GET /model`` itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=4)
def templates_for(directory: Path) -> Jinja2Templates:
    """One Jinja2 environment per templates folder, built once."""
    return Jinja2Templates(directory=str(directory))


def _field(source: Any, name: str) -> Any:
    """``name`` of a mapping or an object, ``None`` when absent."""
    if source is None:
        return None
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def as_percent(value: Any) -> str | None:
    """An accuracy given as a fraction (0.991) or a percentage (99.1) as ``"99.1%"``."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    percent = value * 100 if value <= 1 else value
    return f"{percent:.1f}%"


def _describe(key: str, entry: Any) -> dict[str, str | None]:
    info = _field(entry, "info") or entry
    accuracy = _field(info, "test_accuracy")
    if accuracy is None:
        accuracy = _field(info, "accuracy")
    architecture = _field(info, "architecture")
    return {
        "name": str(_field(info, "name") or key),
        "architecture": str(architecture) if isinstance(architecture, str) else None,
        "accuracy": as_percent(accuracy),
    }


def served_models(app_state: Any) -> tuple[list[dict[str, str | None]], str | None]:
    """The models the app serves (name, architecture, accuracy) and the default's name.

    Reads the model registry the app keeps on its state (``registry`` or
    ``models``: an object with a ``models`` mapping and a ``default`` name, or a
    plain mapping). Anything missing gives an empty list.
    """
    holder = getattr(app_state, "registry", None) or getattr(app_state, "models", None)
    entries = _field(holder, "models") if not isinstance(holder, dict) else holder
    if not isinstance(entries, dict):
        return [], None
    models = [_describe(str(key), entry) for key, entry in entries.items()]
    default = _field(holder, "default") if not isinstance(holder, dict) else None
    default = default or getattr(app_state, "default_model", None)
    if default not in entries:
        default = models[0]["name"] if models else None
    return models, default


def _templates_dir(app_state: Any) -> Path:
    configured = _field(getattr(app_state, "settings", None), "templates_dir")
    return Path(configured) if configured else TEMPLATES_DIR


def upload_limit(app_state: Any) -> int:
    """The largest photo the server accepts, so the page can refuse bigger ones at once."""
    limit = _field(getattr(app_state, "settings", None), "max_upload_bytes")
    return limit if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_UPLOAD_BYTES


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The drawing page."""
    state = request.app.state
    models, default = served_models(state)
    current = next((m for m in models if m["name"] == default), None)
    return templates_for(_templates_dir(state)).TemplateResponse(
        request,
        "index.html",
        {
            "models": models,
            "default_model": default,
            "model": current,
            "max_upload_bytes": upload_limit(state),
            "max_upload_mb": f"{upload_limit(state) / 1024 / 1024:g}",
        },
    )
