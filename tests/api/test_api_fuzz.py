"""Property-based fuzzing of the OpenAPI schema with schemathesis.

Schemathesis reads ``/openapi.json`` and sends generated requests, valid and
invalid, to every operation. Whatever it sends, the API must not answer 5xx, and
every answer must match the documented status codes, content types and response
schemas. The run is bounded (``max_examples`` per operation) to take a minute or so.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.registry import load_models
from app.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_app(api_settings: Settings) -> FastAPI:
    app = create_app(api_settings)
    app.state.registry = load_models(api_settings)  # what the lifespan does at start-up
    return app


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_fuzzed_requests_never_get_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
