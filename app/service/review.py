"""The review page: the corrections as a grid, for the operator, behind a token.

``GET /review`` exists only when ``DIGITS_REVIEW_TOKEN`` is set (else 404, like
any page that is not there) and feedback is on. A browser proves it knows the
token once, through the form the page shows (``POST /review/session``), and
then carries a cookie holding the token's SHA-256 (``HttpOnly``,
``SameSite=Strict``, only sent to ``/review``); a program may send
``Authorization: Bearer <token>`` instead. Both are compared in constant time
(``hmac.compare_digest``), so the time an answer takes says nothing about how
much of a guess was right.

The grid shows the 28x28 image the network saw, the label the person gave, what
the model answered and how sure it was, the model, the input kind and the time;
it filters by label, by model and by "the model was wrong" (plain GET forms, no
script). ``/review/corrections/{id}/original`` serves the image as it was sent.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.corrections.export import is_held_out
from app.corrections.store import Correction, Filter
from app.corrections.table import NOT_A_DIGIT_NAME, label_name, parse_label
from app.service.dependencies import SettingsDep, StaticUrlDep
from app.service.feedback import Feedback, get_feedback
from app.service.pages import templates_for
from app.service.pictures import data_url
from app.settings import Settings

router = APIRouter(include_in_schema=False)
COOKIE = "digits_review"
PAGE_SIZE = 60
LABEL_CHOICES = [(str(d), str(d)) for d in range(10)] + [(NOT_A_DIGIT_NAME, "not a digit")]
IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def review_feedback(request: Request, settings: SettingsDep) -> Feedback:
    """The store, when the review page is on; a 404 otherwise (the page is not there)."""
    if settings.review_token is None:
        raise HTTPException(404, "Not found: the review page is off (DIGITS_REVIEW_TOKEN).")
    return await get_feedback(request)


ReviewDep = Annotated[Feedback, Depends(review_feedback)]


def authorised(request: Request, settings: Settings) -> bool:
    """Whether the request carries the token (cookie or bearer), compared in constant time."""
    expected = _digest(settings.review_token or "")
    cookie = request.cookies.get(COOKIE, "")
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    offered = _digest(bearer) if scheme.lower() == "bearer" and bearer else cookie
    return hmac.compare_digest(offered.encode(), expected.encode())


def _sign_in_page(request: Request, settings: Settings, static: str, wrong: bool) -> HTMLResponse:
    context = {"wrong": wrong, "static_url": static}
    return templates_for(settings.templates_dir).TemplateResponse(
        request, "review_sign_in.html", context, status_code=401
    )


@router.get("/review", response_class=HTMLResponse)
async def review(
    request: Request,
    feedback: ReviewDep,
    settings: SettingsDep,
    static: StaticUrlDep,
    label: Annotated[str, Query(max_length=12)] = "",
    model: Annotated[str, Query(max_length=64)] = "",
    wrong: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The grid of corrections, newest first, filtered."""
    if not authorised(request, settings):
        return _sign_in_page(request, settings, static, wrong=False)
    chosen = _label_filter(label)
    where = Filter(label=chosen, model_name=model or None, wrong_only=wrong)
    offset = (page - 1) * PAGE_SIZE
    rows, total, models = await run_in_threadpool(_read, feedback, where, offset)
    return templates_for(settings.templates_dir).TemplateResponse(
        request,
        "review.html",
        {
            "cards": [_card(row) for row in rows],
            "total": total,
            "first": offset + 1 if rows else 0,
            "last": offset + len(rows),
            "page": page,
            "more": offset + len(rows) < total,
            "labels": LABEL_CHOICES,
            "models": models,
            "label": label if chosen is not None else "",
            "model": model,
            "wrong": wrong,
            "static_url": static,
        },
    )


Page = tuple[list[Correction], int, list[str]]  # the rows shown, how many match, the models


def _read(feedback: Feedback, where: Filter, offset: int) -> Page:
    store = feedback.store
    return store.find(where, PAGE_SIZE, offset), store.count(where), store.model_names()


def _label_filter(label: str) -> int | None:
    """The label to show only, or ``None`` for any (an empty or unknown choice)."""
    try:
        return parse_label(label)
    except ValueError:
        return None


def _card(row: Correction) -> dict[str, object]:
    return {
        "id": row.id,
        "image": data_url(row.network_input),
        "label": label_name(row.label).replace("_", " "),
        "predicted": label_name(row.predicted),
        "confidence": f"{row.confidence:.0%}",
        "wrong": row.model_was_wrong,
        "model": row.model_name,
        "kind": row.kind,
        "when": row.created_at.strftime("%Y-%m-%d %H:%M") if row.created_at else "",
        "has_original": row.original is not None,
        "held_out": is_held_out(row.id),
    }


@router.post("/review/session")
async def sign_in(
    request: Request,
    settings: SettingsDep,
    static: StaticUrlDep,
    _feedback: ReviewDep,
    token: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Check the token once; a cookie for ``/review`` when it is right."""
    expected = _digest(settings.review_token or "")
    if not hmac.compare_digest(_digest(token).encode(), expected.encode()):
        return _sign_in_page(request, settings, static, wrong=True)
    response = RedirectResponse("/review", status_code=303)
    response.set_cookie(
        COOKIE,
        expected,
        path="/review",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/review/corrections/{correction_id}/original")
async def original(
    correction_id: int, request: Request, settings: SettingsDep, feedback: ReviewDep
) -> Response:
    """The image as the person sent it."""
    if not authorised(request, settings):
        raise HTTPException(401, "Sign in at /review first.")
    row = await run_in_threadpool(feedback.store.get, correction_id)
    if row is None or row.original is None:
        raise HTTPException(404, f"Correction {correction_id} has no original image.")
    kind = next((t for magic, t in IMAGE_TYPES.items() if row.original.startswith(magic)), None)
    return Response(
        row.original,
        media_type=kind or "application/octet-stream",
        headers={"Cache-Control": "private, no-store"},  # nosniff: app.service.guards
    )
