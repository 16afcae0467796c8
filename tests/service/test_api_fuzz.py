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
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import APIOperation

from app.main import create_app
from app.service.registry import load_models
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


def fuzz(operation: APIOperation) -> None:
    """Up to 60 valid and 60 invalid generated requests to one operation, each validated."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            # nothing to make invalid (GET /health has no parameters or body)


# Hypothesis driven directly rather than through ``schemathesis.pytest.from_fixture``,
# whose lazy parametrisation reaches into pytest internals that pytest 9.2 removed.
@pytest.mark.slow
def test_fuzzed_requests_never_get_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5  # predict, number, batch, health, model
    failures = []
    for operation in operations:
        try:
            fuzz(operation)
        except Exception as error:  # every operation is fuzzed; all failures are reported
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
