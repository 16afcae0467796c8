"""The interactive API documentation, whole from this server: ``/docs`` and ``/redoc``.

FastAPI's own ``/docs`` and ``/redoc`` pages load Swagger UI and ReDoc from a
CDN, so without internet they are blank. Here the same pages (FastAPI's
``get_swagger_ui_html`` and ``get_redoc_html``) point at copies served under
``/docs-assets/<version>``, taken from the ``fastapi-offline`` package, which
ships the Swagger UI and ReDoc builds (no files copied into this repository by
hand). The package's version is in the URL, so browsers keep them a year.

Each page gets a Content-Security-Policy that allows this origin only. Swagger
UI starts with a short inline script; rather than allow inline scripts in
general, the policy names each one a page holds by its SHA-256 hash. Styles
may be inline: both viewers set them from script as they render.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from app.service.assets import FOREVER, CachedStaticFiles

ASSETS_URL = f"/docs-assets/{version('fastapi-offline')}"
SWAGGER_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
FAVICON_URL = "/static/favicon.svg"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(include_in_schema=False)


def assets_dir() -> Path:
    """The folder of ``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``redoc.standalone.js``."""
    return Path(str(files("fastapi_offline") / "static"))


def docs_policy(html: str) -> str:
    """A Content-Security-Policy for ``html``: this origin, plus its own inline scripts by hash."""
    scripts = ["'self'"] + [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(html)
    ]
    return (
        f"default-src 'self'; script-src {' '.join(scripts)}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; worker-src 'self' blob:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body).decode())
    return page


@router.get(SWAGGER_URL)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI: every operation, with a form to try it."""
    app = request.app
    return _with_policy(
        get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title}: API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=FAVICON_URL,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        )
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    return _with_policy(get_swagger_ui_oauth2_redirect_html())


@router.get(REDOC_URL)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc: the same document as one page to read."""
    app = request.app
    return _with_policy(
        get_redoc_html(
            openapi_url=app.openapi_url,
            title=f"{app.title}: API",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=FAVICON_URL,
            with_google_fonts=False,
        )
    )


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets (the app is made with ``docs_url=None``)."""
    app.include_router(router)
    assets = CachedStaticFiles(cache_control=FOREVER, directory=assets_dir())
    app.mount(ASSETS_URL, assets, name="docs-assets")
