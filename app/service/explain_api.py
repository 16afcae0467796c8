"""``POST /explain``: look inside the network for the image a client sent.

It takes exactly what ``POST /predict`` takes (a multipart file, JSON ``image`` or
``pixels``, or the raw file; ``?model=``) plus ``?number=true`` to explain every digit
of a number. The work (``app.service.explain_view``) runs off the event loop like a
prediction and is only ever done when this route is called: ``/predict`` never pays
for it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.service.api import IMAGE_BODY, PREDICT_ERRORS
from app.service.dependencies import PredictionDep, SourceDep
from app.service.explain_schemas import ExplainResponse
from app.service.explain_view import ExplainRequest, explain_image

router = APIRouter()

NumberFlag = Annotated[
    bool,
    Query(
        description="`true`: the image holds a number; explain each digit, left to right "
        "(as `POST /predict/number` reads it). `false`: one digit."
    ),
]


@router.post(
    "/explain",
    tags=["look inside"],
    summary="What each layer saw, and why this digit",
    response_model=ExplainResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=IMAGE_BODY,
)
async def explain(
    prediction: PredictionDep, source: SourceDep, number: NumberFlag = False
) -> ExplainResponse:
    """Every layer's output for the digit as pictures and numbers, the first layer's
    filters, and which pixels pushed the network toward its answer and toward the
    runner-up (gradient times input). Several times the work of `POST /predict`.

    `curl -F file=@four.png http://localhost:8000/explain`
    """
    return await prediction.run(explain_image, ExplainRequest(source, number))
