"""Health that tells the truth: is the process alive, and can a prediction be made now?

- ``GET /health/live``: 200 whenever the event loop answers. Kubernetes' liveness
  probe: a process that cannot say even this is restarted.
- ``GET /health/ready``: 200 only when a prediction can actually be made: the
  models are loaded, and a tiny test prediction (a drawn 1, as 28x28 pixels) went
  through the same runner as requests (a thread, or a pool process) and came back
  within ``CANARY_TIMEOUT_S``. Otherwise 503 with the reason: the models are not
  loaded yet, no prediction process is running (they are being restarted), or the
  test prediction did not come back in time (the pool is stopped or stuck). The
  readiness probe: a pod that cannot predict gets no traffic.
- ``GET /health``: the readiness answer, with the body it always had (status,
  default model, model names), so existing checks keep working and now mean it.

The test prediction goes ahead of queued requests (``Runner.probe``), so a busy
server stays ready; its result is reused for ``CANARY_FRESH_S``, and checks that
arrive together share one, so probes cost next to nothing. All three answer HEAD.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request

from app.service.dependencies import MaybeRegistryDep
from app.service.inputs import PixelGrid
from app.service.offload import PredictionTimeoutError, Runner, WorkerLostError
from app.service.predictor import Options, predict_digit
from app.service.registry import ModelRegistry
from app.service.schemas import ErrorResponse, HealthResponse, LiveResponse

#: How long the test prediction may take before the server says it is not ready.
CANARY_TIMEOUT_S = 5.0
#: How long one test prediction's result stands for the checks that follow it.
CANARY_FRESH_S = 1.0


def _canary_pixels() -> np.ndarray:
    """A 1: a vertical bar of ink in the middle of 28x28 (MNIST convention, ink high)."""
    pixels = np.zeros((28, 28), dtype=np.float64)
    pixels[5:23, 13:16] = 255.0
    return pixels


CANARY = PixelGrid(_canary_pixels())


class Readiness:
    """The last test prediction's verdict, and the one in flight."""

    def __init__(self) -> None:
        self.checked_at = -CANARY_FRESH_S
        self.problem: str | None = "no test prediction has run yet"
        self.flight: asyncio.Task[str | None] | None = None

    async def problem_now(
        self, registry: ModelRegistry, runner: Runner, options: Options
    ) -> str | None:
        """``None`` when ready, else why not."""
        if time.monotonic() - self.checked_at < CANARY_FRESH_S:
            return self.problem
        if self.flight is None or self.flight.done():
            self.flight = asyncio.ensure_future(self._test(registry, runner, options))
        try:
            problem = await asyncio.wait_for(asyncio.shield(self.flight), CANARY_TIMEOUT_S)
        except TimeoutError:
            problem = (
                f"a test prediction did not finish within {CANARY_TIMEOUT_S:g} s "
                "(the prediction processes are stopped or stuck)"
            )
        self.checked_at, self.problem = time.monotonic(), problem
        return problem

    @staticmethod
    async def _test(registry: ModelRegistry, runner: Runner, options: Options) -> str | None:
        try:
            await runner.probe(predict_digit, registry.get(), CANARY, options)
        except WorkerLostError:
            return "no prediction process is running; they are being restarted"
        except PredictionTimeoutError as exc:
            return str(exc)
        except Exception as exc:  # whatever it is, the server cannot predict
            return f"a test prediction failed ({type(exc).__name__}: {exc})"
        return None


router = APIRouter(tags=["service"])
NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Cannot predict now; the detail says why."}
}


async def readiness(request: Request, registry: MaybeRegistryDep) -> HealthResponse:
    """The readiness verdict as the answer; a 503 with the reason when not ready."""
    if registry is None:
        raise HTTPException(503, "Not ready: the models are not loaded yet.")
    state = request.app.state
    options = Options.of(state.settings)
    problem = await state.readiness.problem_now(registry, state.runner, options)
    if problem is not None:
        raise HTTPException(503, f"Not ready: {problem}.", headers={"Retry-After": "5"})
    return HealthResponse(default_model=registry.default, models=registry.names)


ReadyDep = Annotated[HealthResponse, Depends(readiness)]


@router.get("/health/live", summary="Alive?", response_model=LiveResponse)
async def live() -> LiveResponse:
    """200 while the server process answers at all (Kubernetes' liveness probe)."""
    return LiveResponse()


@router.get(
    "/health/ready",
    summary="Able to predict now?",
    response_model=HealthResponse,
    responses=NOT_READY,
)
async def ready(answer: ReadyDep) -> HealthResponse:
    """200 when a test prediction just went through; 503 with the reason otherwise."""
    return answer


@router.get(
    "/health",
    summary="Able to predict now? (the readiness answer)",
    response_model=HealthResponse,
    responses=NOT_READY,
)
async def health(answer: ReadyDep) -> HealthResponse:
    """The same answer as `/health/ready`."""
    return answer


# HEAD answers as GET does (without the body); kept out of /docs, which lists GET.
for _route, _answer in (("/health/live", live), ("/health/ready", ready), ("/health", health)):
    router.add_api_route(_route, _answer, methods=["HEAD"], include_in_schema=False)
