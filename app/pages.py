"""The drawing page: ``GET /`` renders ``templates/index.html``.

The page itself is static (JavaScript modules and CSS under ``/static``); the
server only fills in what it knows at start-up, the default model's name and
accuracy, so the page can show them without an extra request. When the app has
no model loaded yet the page still renders and asks ``GET /model`` later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
router = APIRouter(include_in_schema=False)


def _field(source: Any, name: str) -> Any:
    """Read ``name`` from a mapping or an object, ``None`` when absent."""
    if source is None:
        return None
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def _as_percent(value: Any) -> str | None:
    """Format an accuracy given as a fraction (0.99) or a percentage (99.1)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    percent = value * 100 if value <= 1 else value
    return f"{percent:.1f}%"


def model_summary(app_state: Any) -> dict[str, str | None]:
    """Name and accuracy of the default model, from wherever the app keeps it.

    Looks, in order, for ``app.state.model_info`` (a mapping or object with
    ``name`` and ``accuracy``), then for the default entry of ``app.state.models``
    and its ``info``/``metadata``. Anything missing yields ``None`` values.
    """
    info = getattr(app_state, "model_info", None)
    if info is None:
        models = getattr(app_state, "models", None)
        default = getattr(app_state, "default_model", None)
        if isinstance(models, dict) and models:
            entry = models.get(default) if default in models else next(iter(models.values()))
            info = _field(entry, "info") or _field(entry, "metadata") or entry
    name = _field(info, "name")
    accuracy = _field(info, "accuracy") or _field(info, "test_accuracy")
    return {
        "name": str(name) if name is not None else None,
        "accuracy": _as_percent(accuracy),
    }


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The drawing page."""
    return templates.TemplateResponse(
        request,
        "index.html",
        {"model": model_summary(request.app.state)},
    )
